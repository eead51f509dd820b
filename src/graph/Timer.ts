/**
 * A periodic callback on sim time (deterministic: fires as the SimClock advances) or
 * wall time (setInterval, unref'd so it never keeps the process alive).
 */
import type { SimClock, SimTimerEntry } from './SimClock.ts';
import { secondsToNs } from './Time.ts';

export interface TimerOptions {
  /**
   * `sim`: fires as the context's SimClock advances (needs `createContext({ clock })`
   * with a sim clock). `wall`: fires on the wall clock.
   * @default the context's clock: 'sim' if it has a sim clock, else 'wall'
   */
  clock?: 'sim' | 'wall';
}

export class Timer {
  /** Period, seconds. */
  readonly periodSeconds: number;
  readonly clock: 'sim' | 'wall';
  #sim: { clock: SimClock; entry: SimTimerEntry } | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  readonly #fire: () => void;
  #cancelled = false;
  readonly #onDestroy: (t: Timer) => void;

  /** @internal Use `node.createTimer`. */
  constructor(
    periodSeconds: number,
    fire: () => void,
    simClock: SimClock | undefined,
    onDestroy: (t: Timer) => void,
  ) {
    this.periodSeconds = periodSeconds;
    this.#fire = fire;
    this.#onDestroy = onDestroy;
    this.clock = simClock ? 'sim' : 'wall';
    if (simClock)
      this.#sim = { clock: simClock, entry: simClock._schedule(secondsToNs(periodSeconds), fire) };
    else this.#startWall();
  }

  get isCancelled(): boolean {
    return this.#cancelled;
  }

  /** Stops the timer; `reset()` starts it again. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (this.#sim) this.#sim.clock._cancel(this.#sim.entry);
    if (this.#interval) clearInterval(this.#interval);
    this.#interval = undefined;
  }

  /** Restarts the period from now (and un-cancels). */
  reset(): void {
    this.#cancelled = false;
    if (this.#sim) this.#sim.clock._reset(this.#sim.entry);
    else {
      if (this.#interval) clearInterval(this.#interval);
      this.#startWall();
    }
  }

  /** Cancels and removes the timer from its node. Safe to call twice. */
  destroy(): void {
    this.cancel();
    this.#onDestroy(this);
  }

  #startWall(): void {
    this.#interval = setInterval(this.#fire, this.periodSeconds * 1000);
    this.#interval.unref?.();
  }
}
