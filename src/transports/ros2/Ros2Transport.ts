/**
 * The graph on native ROS 2 through rclnodejs (optional; needs a sourced ROS 2 install, see
 * loadRclnodejs). All of the graph's nodes share one rcl node (`simbridge` by default), so
 * `ros2 node list` shows that one; topics, services and actions appear under their own names.
 *
 * - Messages cross as JS objects (`kind: 'object'`). What rclnodejs hands over is converted
 *   (int64 numbers to bigint, missing fields defaulted) and validated once by the graph on
 *   receipt (`validation: 'at-receive'`), as for rosbridge.
 * - QoS profiles map one to one onto rmw's.
 * - A service handler that throws sends no response (ROS 2 services have no error reply): the
 *   client's call times out, and the error is on the log.
 *
 * Written against rclnodejs's documented API but not run here: this machine has no ROS 2.
 * Its tests run where ROS 2 is sourced and rclnodejs is built, and are skipped elsewhere.
 */
import { type Logger, stderrLogger } from '../../graph/Logger.ts';
import { decodeRosbridgeJson } from '../../msgs/rosbridgeJson.ts';
import type {
  MessageInfo,
  NameAndTypes,
  PublisherHandle,
  QosProfile,
  RequestId,
  ServiceClientHandle,
  ServiceEndpoint,
  ServiceHandle,
  ServiceHandler,
  SubscriptionHandle,
  TopicEndpoint,
  Transport,
} from '../Transport.ts';
import { replyLatch } from '../Transport.ts';
import { loadRclnodejs } from './loadRclnodejs.ts';
import type { RclNode, RclnodejsModule, RclQos } from './rclnodejsTypes.ts';

export interface Ros2TransportOptions {
  /** Name of the one rcl node the graph runs in. @default 'simbridge' */
  nodeName?: string;
  /** Its namespace. @default '/' */
  namespace?: string;
  /** ROS_DOMAIN_ID for this process, set before rclnodejs initializes. @default the environment's */
  domainId?: number;
  /** @default writes to stderr */
  logger?: Logger;
}

/** Loads rclnodejs (a UserError saying how to install it if it cannot), initializes it, spins one node. */
export async function createRos2Transport(
  options: Ros2TransportOptions = {},
  load: () => Promise<RclnodejsModule> = () => loadRclnodejs(),
): Promise<Ros2Transport> {
  const rcl = await load();
  if (options.domainId !== undefined) process.env['ROS_DOMAIN_ID'] = String(options.domainId);
  await rcl.init();
  const node = new rcl.Node(options.nodeName ?? 'simbridge', options.namespace ?? '/');
  node.spin();
  return new Ros2Transport(rcl, node, options.logger ?? stderrLogger);
}

export class Ros2Transport implements Transport {
  readonly kind = 'object' as const;
  readonly validation = 'at-receive' as const;
  readonly #rcl: RclnodejsModule;
  readonly #node: RclNode;
  readonly #logger: Logger;
  readonly #closers = new Set<() => void>();
  #destroyed = false;
  #sequence = 0;

  /** @internal Use createRos2Transport. */
  constructor(rcl: RclnodejsModule, node: RclNode, logger: Logger) {
    this.#rcl = rcl;
    this.#node = node;
    this.#logger = logger;
  }

  advertise(endpoint: TopicEndpoint): PublisherHandle {
    const node = this.#node;
    const pub = node.createPublisher(endpoint.type, endpoint.topic, { qos: this.#qos(endpoint.qos) });
    const close = this.#track(() => node.destroyPublisher(pub));
    return {
      publish: (msg) => pub.publish(msg),
      get subscriptionCount() {
        return node.countSubscribers(endpoint.topic);
      },
      close,
    };
  }

  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    const node = this.#node;
    const info: MessageInfo = { publisherId: 0, sequenceNumber: 0 };
    const sub = node.createSubscription(
      endpoint.type,
      endpoint.topic,
      { qos: this.#qos(endpoint.qos) },
      (raw) => {
        info.sequenceNumber++;
        onMessage(this.#decode(endpoint.type, raw), info);
      },
    );
    const close = this.#track(() => node.destroySubscription(sub));
    return {
      get publisherCount() {
        return node.countPublishers(endpoint.topic);
      },
      lost: 0,
      close,
    };
  }

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle {
    const service = this.#node.createService(endpoint.type, endpoint.service, {}, (raw, response) => {
      const requestId: RequestId = { clientId: 0, sequenceNumber: ++this.#sequence };
      const { replied, settle } = replyLatch();
      Promise.resolve()
        .then(() => handler(this.#decode(`${endpoint.type}_Request`, raw), requestId, replied))
        .then(
          (result) => response.send(result),
          (error: unknown) =>
            this.#logger.error(
              `ros2: service ${endpoint.service} failed and sent no response: ${String(error)}`,
            ),
        )
        .finally(settle);
    });
    return { close: this.#track(() => this.#node.destroyService(service)) };
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    const client = this.#node.createClient(endpoint.type, endpoint.service);
    const close = this.#track(() => this.#node.destroyClient(client));
    return {
      isServiceAvailable: () => client.isServiceServerAvailable(),
      call: (request) =>
        new Promise((resolve) => {
          client.sendRequest(request, (response) =>
            resolve(this.#decode(`${endpoint.type}_Response`, response)),
          );
        }),
      close,
    };
  }

  getTopicNamesAndTypes(): NameAndTypes[] {
    return sortByName(this.#node.getTopicNamesAndTypes().map((t) => ({ name: t.name, types: [...t.types] })));
  }

  getServiceNamesAndTypes(): NameAndTypes[] {
    return sortByName(
      this.#node.getServiceNamesAndTypes().map((t) => ({ name: t.name, types: [...t.types] })),
    );
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const close of [...this.#closers]) close();
    this.#node.destroy();
    if (!this.#rcl.isShutdown?.()) this.#rcl.shutdown();
  }

  #decode(type: string, raw: unknown): unknown {
    try {
      return decodeRosbridgeJson(type, raw);
    } catch {
      return raw; // the graph's validation names what is wrong
    }
  }

  #qos(q: QosProfile): RclQos {
    const { HistoryPolicy: H, ReliabilityPolicy: R, DurabilityPolicy: D } = this.#rcl.QoS;
    // The fallbacks are rmw's enum values (rmw/types.h), for rclnodejs versions without the enums.
    return new this.#rcl.QoS(
      q.history === 'keep_all'
        ? (H?.RMW_QOS_POLICY_HISTORY_KEEP_ALL ?? 2)
        : (H?.RMW_QOS_POLICY_HISTORY_KEEP_LAST ?? 1),
      q.depth,
      q.reliability === 'best_effort'
        ? (R?.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT ?? 2)
        : (R?.RMW_QOS_POLICY_RELIABILITY_RELIABLE ?? 1),
      q.durability === 'transient_local'
        ? (D?.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL ?? 1)
        : (D?.RMW_QOS_POLICY_DURABILITY_VOLATILE ?? 2),
    );
  }

  /** Registers a closer; the returned function runs it once, and destroy() runs what is left. */
  #track(destroy: () => void): () => void {
    let done = false;
    const close = () => {
      if (done) return;
      done = true;
      this.#closers.delete(close);
      try {
        destroy();
      } catch (error) {
        this.#logger.warn(`ros2: closing an endpoint failed: ${String(error)}`);
      }
    };
    this.#closers.add(close);
    return close;
  }
}

function sortByName(list: NameAndTypes[]): NameAndTypes[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
