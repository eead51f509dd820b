/**
 * A typed event emitter with private state (ws-protocol style). Unlike Node's
 * EventEmitter, an 'error' event with no listener is not thrown: the graph has already
 * logged it, and a bad message must never take a node down.
 */
// biome-ignore lint/suspicious/noExplicitAny: listener argument lists vary per event
export type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };

export class Emitter<E extends EventMap<E>> {
  #listeners = new Map<keyof E, E[keyof E][]>();

  on<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event) ?? [];
    this.#listeners.set(event, [...list, listener]);
    return this;
  }

  off<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event);
    if (list)
      this.#listeners.set(
        event,
        list.filter((l) => l !== listener),
      );
    return this;
  }

  /** Calls every listener; a listener that throws does not stop the others (its error goes to stderr). */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    for (const l of list) {
      try {
        l(...args);
      } catch (error) {
        console.error(`listener for '${String(event)}' threw:`, error);
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
