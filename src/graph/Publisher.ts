/** Publishes one message type on one topic. Create with `node.createPublisher`. */
import type { PublisherHandle, QosProfile } from '../transports/Transport.ts';
import type { NodeCore } from './Node.ts';

export class Publisher<M = unknown> {
  /** Fully qualified topic name. */
  readonly topic: string;
  readonly type: string;
  readonly qos: Readonly<QosProfile>;
  /** Incompatible subscriptions seen so far (DDS OFFERED_INCOMPATIBLE_QOS total count). */
  incompatibleQosCount = 0;
  readonly #core: NodeCore;
  readonly #handle: PublisherHandle;
  readonly #validate: boolean;
  readonly #encode: boolean;
  readonly #source: string;
  #destroyed = false;

  /** @internal */
  constructor(core: NodeCore, type: string, topic: string, qos: QosProfile) {
    this.#core = core;
    this.type = type;
    this.topic = topic;
    this.qos = Object.freeze({ ...qos });
    this.#validate = core.transport.validation === 'at-publish';
    this.#encode = core.transport.kind === 'cdr';
    this.#source = `${topic} (published by ${core.fullyQualifiedName})`;
    this.#handle = core.transport.advertise({
      topic,
      node: core.fullyQualifiedName,
      type,
      qos,
      onIncompatibleQos: (event) => {
        this.incompatibleQosCount = event.totalCount;
        core.reportIncompatibleQos('publisher', event);
      },
    });
  }

  /** Matched subscriptions right now. */
  get subscriptionCount(): number {
    return this.#handle.subscriptionCount;
  }

  /**
   * Sends `msg`. On an in-process transport it is checked here, once, and a bad message
   * throws a UserError naming the field and value; the same object then reaches every
   * subscriber, so do not mutate it afterwards.
   */
  publish(msg: M): void {
    if (this.#destroyed) throw this.#core.destroyedError(`publish on ${this.topic}`);
    if (this.#validate) this.#core.validator.validate(this.type, msg, this.#source);
    this.#handle.publish(this.#encode ? this.#core.codec().encode(this.type, msg) : msg);
  }

  /** Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#handle.close();
    this.#core.forget(this);
  }
}
