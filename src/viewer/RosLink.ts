import { Ros, Service, Topic } from 'roslib';

export type LinkState = 'connecting' | 'connected' | 'disconnected';

export interface SubscribeOptions {
  /** Least time between two messages, ms (rosbridge's throttle_rate). @default 0 */
  throttleMs?: number;
  /** Messages the server may queue for this subscription (rosbridge's queue_length). @default 1 */
  queueLength?: number;
}

/**
 * The viewer's rosbridge connection, through roslib. It reconnects after a drop (backoff from
 * 0.5 s to 5 s); roslib then subscribes and advertises again by itself. Messages arrive as
 * rosbridge JSON (uint8[] as base64 strings).
 */
export class RosLink {
  readonly url: string;
  readonly ros: Ros;
  #state: LinkState = 'connecting';
  #retryMs = 500;
  #closed = false;
  readonly #listeners = new Set<(state: LinkState) => void>();
  readonly #publishers = new Map<string, Topic<unknown>>();

  constructor(url: string) {
    this.url = url;
    this.ros = new Ros({});
    this.ros.on('connection', () => {
      this.#retryMs = 500;
      this.#setState('connected');
    });
    this.ros.on('close', () => {
      this.#setState('disconnected');
      if (this.#closed) return;
      setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(5000, this.#retryMs * 2);
    });
    this.ros.on('error', () => {
      // A 'close' follows; reconnecting is handled there.
    });
    this.#connect();
  }

  get state(): LinkState {
    return this.#state;
  }

  onState(listener: (state: LinkState) => void): void {
    this.#listeners.add(listener);
    listener(this.#state);
  }

  subscribe<T>(
    name: string,
    messageType: string,
    callback: (msg: T) => void,
    options: SubscribeOptions = {},
  ): void {
    const topic = new Topic<T>({
      ros: this.ros,
      name,
      messageType,
      throttle_rate: options.throttleMs ?? 0,
      queue_length: options.queueLength ?? 1,
    });
    topic.subscribe(callback);
  }

  publish<T>(name: string, messageType: string, msg: T): void {
    let topic = this.#publishers.get(name) as Topic<T> | undefined;
    if (!topic) {
      topic = new Topic<T>({ ros: this.ros, name, messageType });
      this.#publishers.set(name, topic as Topic<unknown>);
    }
    topic.publish(msg);
  }

  /** Calls a service; rejects with the server's error text, or after `timeoutMs`. */
  call<Req, Res>(name: string, serviceType: string, request: Req, timeoutMs = 10_000): Promise<Res> {
    const service = new Service<Req, Res>({ ros: this.ros, name, serviceType });
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no reply within ${timeoutMs} ms`)),
        timeoutMs,
      );
      service.callService(
        request,
        (res) => {
          clearTimeout(timer);
          resolve(res);
        },
        (err) => {
          clearTimeout(timer);
          reject(new Error(`${name}: ${err}`));
        },
      );
    });
  }

  close(): void {
    this.#closed = true;
    this.ros.close();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#setState('connecting');
    this.ros.connect(this.url).catch(() => {
      // 'close' (or 'error') reports the failure and schedules the retry.
    });
  }

  #setState(state: LinkState): void {
    if (state === this.#state && state !== 'connecting') return;
    this.#state = state;
    for (const l of this.#listeners) l(state);
  }
}
