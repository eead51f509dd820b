/**
 * The graph side of the rosbridge server, shared by every client: the /rosbridge_server node,
 * one TopicFanout per subscribed topic, one graph publisher per topic that clients advertise
 * (reference counted, as rosbridge shares them), and cached service and action clients.
 * Clients come and go; these stay as long as someone uses them.
 */
import { UserError } from '../../../errors.ts';
import type { ActionClient, Client, Context, Node, Publisher } from '../../../graph/index.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../../../graph/index.ts';
import { normalizeInterfaceType } from '../protocol.ts';
import { TopicFanout } from './TopicFanout.ts';

/** Topics whose publishers are transient local by the topic contract (DESIGN.md). */
export const DEFAULT_LATCHED_TOPICS = ['/robot_description', '/tf_static'] as const;

interface SharedPublisher {
  publisher: Publisher;
  owners: Set<object>;
}

export class GraphBridge {
  readonly node: Node;
  readonly context: Context;
  readonly #fanouts = new Map<string, TopicFanout>();
  readonly #publishers = new Map<string, SharedPublisher>();
  readonly #clients = new Map<string, Client>();
  readonly #actionClients = new Map<string, ActionClient>();
  /** Topics read with a transient-local subscription too (see TopicFanout). */
  readonly #latchedTopics = new Set<string>(DEFAULT_LATCHED_TOPICS);

  constructor(context: Context, nodeName = 'rosbridge_server') {
    this.context = context;
    this.node = context.createNode(nodeName);
  }

  /**
   * The ROS 2 name of a message, service or action type given in either style, checked against
   * the known types. Throws a UserError naming the type.
   */
  resolveType(type: string, kind: 'msg' | 'srv' | 'action', source: string): string {
    const full = normalizeInterfaceType(type, kind);
    const probe = kind === 'msg' ? full : kind === 'srv' ? `${full}_Request` : `${full}_Goal`;
    if (!full || !probe || !this.context.validator.has(probe)) {
      const what = kind === 'msg' ? 'message' : kind === 'srv' ? 'service' : 'action';
      throw new UserError(`unknown ${what} type ${JSON.stringify(type)}`, { source });
    }
    return full;
  }

  /** Types the graph knows for `topic` (publishers and subscriptions), empty if none. */
  topicTypes(topic: string): string[] {
    return this.context.transport.getTopicNamesAndTypes().find((t) => t.name === topic)?.types ?? [];
  }

  serviceTypes(service: string): string[] {
    return this.context.transport.getServiceNamesAndTypes().find((t) => t.name === service)?.types ?? [];
  }

  /** The fanout of `topic`, made on first use. Throws if the topic is already bridged with another type. */
  fanout(topic: string, type: string, source: string): TopicFanout {
    let f = this.#fanouts.get(topic);
    if (f && f.type !== type) {
      throw new UserError(`topic ${topic} is bridged as ${f.type}; cannot subscribe to it as ${type}`, {
        source,
      });
    }
    if (!f) {
      f = new TopicFanout(this.node, topic, type, this.#latchedTopics.has(topic));
      this.#fanouts.set(topic, f);
    }
    return f;
  }

  /** Drops a fanout nobody listens to any more. */
  releaseFanout(fanout: TopicFanout): void {
    if (fanout.listenerCount > 0 || this.#fanouts.get(fanout.topic) !== fanout) return;
    this.#fanouts.delete(fanout.topic);
    fanout.destroy();
  }

  /** A graph publisher on `topic` shared by every client that advertises it. */
  acquirePublisher(topic: string, type: string, latch: boolean, owner: object, source: string): Publisher {
    const shared = this.#publishers.get(topic);
    if (shared) {
      if (shared.publisher.type !== type) {
        throw new UserError(`topic ${topic} is advertised as ${shared.publisher.type}, not ${type}`, {
          source,
        });
      }
      shared.owners.add(owner);
      return shared.publisher;
    }
    const existing = this.topicTypes(topic);
    if (existing.length > 0 && !existing.includes(type)) {
      throw new UserError(`topic ${topic} already exists with type ${existing.join(', ')}, not ${type}`, {
        source,
      });
    }
    if (latch) this.#latchedTopics.add(topic);
    const publisher = this.node.createPublisher(
      type as 'std_msgs/msg/String',
      topic,
      latch ? QOS_TRANSIENT_LOCAL : QOS_DEFAULT,
    ) as Publisher;
    this.#publishers.set(topic, { publisher, owners: new Set([owner]) });
    return publisher;
  }

  /** Gives up `owner`'s share of the topic's publisher; the last one destroys it. */
  releasePublisher(topic: string, owner: object): void {
    const shared = this.#publishers.get(topic);
    if (!shared?.owners.delete(owner)) return;
    if (shared.owners.size === 0) {
      this.#publishers.delete(topic);
      shared.publisher.destroy();
    }
  }

  client(service: string, type: string): Client {
    const key = `${service}\n${type}`;
    let c = this.#clients.get(key);
    if (!c) {
      c = this.node.createClient(type as 'std_srvs/srv/Trigger', service) as unknown as Client;
      this.#clients.set(key, c);
    }
    return c;
  }

  actionClient(action: string, type: string): ActionClient {
    const key = `${action}\n${type}`;
    let c = this.#actionClients.get(key);
    if (!c) {
      c = this.node.createActionClient(
        type as 'control_msgs/action/FollowJointTrajectory',
        action,
      ) as unknown as ActionClient;
      this.#actionClients.set(key, c);
    }
    return c;
  }

  destroy(): void {
    for (const f of this.#fanouts.values()) f.destroy();
    this.#fanouts.clear();
    this.#publishers.clear();
    this.#clients.clear();
    this.#actionClients.clear();
    this.node.destroy();
  }
}
