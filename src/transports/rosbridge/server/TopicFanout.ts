/**
 * One graph topic as rosbridge clients see it: a single graph subscription, however many
 * clients subscribe, that hands each message to every client's subscription. The graph's
 * publish path stays synchronous and cheap: per message it allocates one OutgoingMessage and
 * pushes a reference to each client's queue; encoding happens later, once per encoding, when
 * the queues flush (see OutgoingMessage).
 *
 * Every fanout reads with a best-effort volatile subscription, which matches reliable and
 * best-effort publishers alike. Latched topics (/robot_description, /tf_static) need more: a
 * volatile subscription does not receive a transient-local publisher's history, and a
 * transient-local one does not match volatile publishers (and makes them warn). So for a topic
 * known to be latched the fanout also holds a transient-local subscription, made first: it gets
 * the latched publishers' history and messages, records each such publisher and keeps its last
 * message for clients that subscribe later, and the volatile subscription skips what it recorded.
 * The transport API does not expose publishers' QoS, so which topics are latched is given
 * (GraphBridge keeps the list).
 */
import type { Node, Subscription } from '../../../graph/index.ts';
import type { MessageInfo } from '../../Transport.ts';
import { OutgoingMessage } from './OutgoingMessage.ts';

/** A client's interest in a topic: receives every message the fanout gets. */
export interface TopicListener {
  offer(message: OutgoingMessage): void;
}

const QOS_LATCHED_READER = {
  history: 'keep_last',
  depth: 10,
  reliability: 'best_effort',
  durability: 'transient_local',
} as const;
const QOS_READER = {
  history: 'keep_last',
  depth: 10,
  reliability: 'best_effort',
  durability: 'volatile',
} as const;

export class TopicFanout {
  readonly topic: string;
  readonly type: string;
  /** Messages received from the graph. */
  received = 0;
  readonly #node: Node;
  readonly #subs: Subscription[];
  /** Replaced, never mutated, so a delivery loop can keep iterating it. */
  #listeners: TopicListener[] = [];
  /** Publishers seen on the transient-local subscription, and the last message of each. */
  readonly #latched = new Map<number, OutgoingMessage>();

  constructor(node: Node, topic: string, type: string, latched: boolean) {
    this.#node = node;
    this.topic = topic;
    this.type = type;
    const t = type as 'std_msgs/msg/String';
    this.#subs = [];
    if (latched) {
      this.#subs.push(
        node.createSubscription(t, topic, QOS_LATCHED_READER, (msg, info) => this.#onLatched(msg, info)),
      );
    }
    this.#subs.push(
      node.createSubscription(t, topic, QOS_READER, (msg, info) => {
        if (!this.#latched.has(info.publisherId)) this.#deliver(msg);
      }),
    );
  }

  get listenerCount(): number {
    return this.#listeners.length;
  }

  /** Adds a listener and hands it the latched messages at once. */
  add(listener: TopicListener): void {
    this.#listeners = [...this.#listeners, listener];
    for (const m of this.#latched.values()) listener.offer(m);
  }

  remove(listener: TopicListener): void {
    this.#listeners = this.#listeners.filter((l) => l !== listener);
  }

  destroy(): void {
    for (const s of this.#subs) s.destroy();
    this.#listeners = [];
    this.#latched.clear();
  }

  #onLatched(msg: unknown, info: MessageInfo): void {
    const out = this.#deliver(msg);
    this.#latched.set(info.publisherId, out);
  }

  #deliver(msg: unknown): OutgoingMessage {
    this.received++;
    const out = new OutgoingMessage(this.topic, this.type, msg, this.#node.now());
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.offer(out);
    return out;
  }
}
