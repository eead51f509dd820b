/**
 * Receives one message type on one topic. Create with `node.createSubscription`.
 *
 * A message that fails validation (or decoding) is dropped and counted, the node emits
 * `error` and logs the topic, field and value, and the subscription keeps running. A
 * callback that throws is caught, counted and reported the same way; other
 * subscriptions on the topic still get the message.
 */
import type { MessageInfo, QosProfile, SubscriptionHandle } from '../transports/Transport.ts';
import type { NodeCore } from './Node.ts';

export interface SubscriptionStats {
  /** Messages that reached this subscription (before validation). */
  received: number;
  /** Messages dropped because they failed validation or decoding. */
  dropped: number;
  /** Callback invocations that threw. */
  callbackErrors: number;
  /** Samples lost to a full keep_last queue (only when deliveries were queued). */
  lost: number;
  /** The last drop or callback error, for status displays. */
  lastError: Error | undefined;
}

export type SubscriptionCallback<M> = (msg: M, info: MessageInfo) => void;

export class Subscription<M = unknown> {
  /** Fully qualified topic name. */
  readonly topic: string;
  readonly type: string;
  readonly qos: Readonly<QosProfile>;
  /** Incompatible publishers seen so far (DDS REQUESTED_INCOMPATIBLE_QOS total count). */
  incompatibleQosCount = 0;
  readonly #stats = { received: 0, dropped: 0, callbackErrors: 0, lastError: undefined as Error | undefined };
  readonly #core: NodeCore;
  readonly #handle: SubscriptionHandle;
  #destroyed = false;

  /** @internal */
  constructor(
    core: NodeCore,
    type: string,
    topic: string,
    qos: QosProfile,
    callback: SubscriptionCallback<M>,
  ) {
    this.#core = core;
    this.type = type;
    this.topic = topic;
    this.qos = Object.freeze({ ...qos });
    const validate = core.transport.validation === 'at-receive';
    const decode = core.transport.kind === 'cdr';
    const stats = this.#stats;
    const source = topic;
    this.#handle = core.transport.subscribe(
      {
        topic,
        node: core.fullyQualifiedName,
        type,
        qos,
        onIncompatibleQos: (event) => {
          this.incompatibleQosCount = event.totalCount;
          core.reportIncompatibleQos('subscription', event);
        },
      },
      (raw, info) => {
        stats.received++;
        let msg = raw;
        if (decode || validate) {
          try {
            if (decode) msg = core.codec().decode(type, raw as Uint8Array);
            if (validate) msg = core.validator.validate(type, msg, source);
          } catch (error) {
            stats.dropped++;
            stats.lastError = error instanceof Error ? error : new Error(String(error));
            core.reportError({ kind: 'invalid_message', topic, error: stats.lastError });
            return;
          }
        }
        try {
          callback(msg as M, info);
        } catch (error) {
          stats.callbackErrors++;
          stats.lastError = error instanceof Error ? error : new Error(String(error));
          core.reportError({ kind: 'callback', topic, error: stats.lastError });
        }
      },
    );
  }

  /** A snapshot of the counters. */
  get stats(): SubscriptionStats {
    return { ...this.#stats, lost: this.#handle.lost };
  }

  /** Matched publishers right now. */
  get publisherCount(): number {
    return this.#handle.publisherCount;
  }

  /** Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#handle.close();
    this.#core.forget(this);
  }
}
