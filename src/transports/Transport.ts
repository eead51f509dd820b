/**
 * The one small interface every transport implements: local (in-process) now;
 * rosbridge, native ROS 2 (rclnodejs) and DDS-RTPS later.
 *
 * A transport carries topics and services only. Actions are built from them in the
 * graph layer, as ROS 2 maps them (`<action>/_action/send_goal` and friends), and
 * parameters are node-local. Names reaching a transport are fully qualified and
 * already validated (`/ns/topic`); types are ROS 2 names (`sensor_msgs/msg/JointState`).
 *
 * The graph injects a transport into `createContext({ transport })`; nothing in the
 * graph imports a concrete transport.
 */

/** Quality of service, as rmw defines it (the subset with an in-process meaning). */
export interface QosProfile {
  /**
   * `keep_last`: queue at most `depth` samples per subscription, dropping the oldest.
   * `keep_all`: never drop (bounded only by memory).
   * @default 'keep_last'
   */
  history: 'keep_last' | 'keep_all';
  /** Queue length for `keep_last`; the number of samples a transient-local publisher keeps for late joiners. @default 10 */
  depth: number;
  /**
   * `reliable`: delivered or the publisher is told. `best_effort`: may be lost.
   * A reliable subscription does not match a best-effort publisher.
   * @default 'reliable'
   */
  reliability: 'reliable' | 'best_effort';
  /**
   * `transient_local`: the publisher keeps its last `depth` samples and hands them to
   * subscriptions that join later (and ask for transient_local themselves).
   * A transient_local subscription does not match a volatile publisher.
   * @default 'volatile'
   */
  durability: 'volatile' | 'transient_local';
}

/** The QoS policy that made a publisher and a subscription incompatible (DDS `*_QOS_POLICY_ID`). */
export type QosPolicyKind = 'reliability' | 'durability' | 'type';

/**
 * DDS OFFERED_INCOMPATIBLE_QOS (on the publisher) or REQUESTED_INCOMPATIBLE_QOS (on the
 * subscription): the two endpoints share a topic but were not connected.
 */
export interface IncompatibleQosEvent {
  /** Fully qualified topic name. */
  topic: string;
  /** Incompatible endpoints seen so far by this endpoint. */
  totalCount: number;
  /** The policy that failed last. */
  lastPolicyKind: QosPolicyKind;
  /** A sentence naming both sides, for logs: `reliable subscription vs best_effort publisher`. */
  reason: string;
}

/** Per-sample metadata. For the local transport it is only valid during the callback. */
export interface MessageInfo {
  /** Identifies the publisher within this transport. */
  publisherId: number;
  /** Per-publisher sequence number, from 1. */
  sequenceNumber: number;
}

/** What the graph must do with messages a subscription receives. */
export type ValidationPoint =
  /**
   * Every sample was published in this process through the graph, which validated it
   * at `publish()`; subscriptions do not validate again (the local transport).
   */
  | 'at-publish'
  /** Samples arrive from outside the process; the graph validates each once on receipt. */
  | 'at-receive';

export interface TopicEndpoint {
  /** Fully qualified topic name. */
  topic: string;
  /**
   * Fully qualified name of the graph node that owns the endpoint (`/arm/policy`), for ROS graph
   * introspection (`ros2 node list`); absent for endpoints made on the transport directly.
   */
  node?: string;
  /** ROS 2 message type name. */
  type: string;
  qos: QosProfile;
  /** Called when an endpoint on the same topic cannot be matched. */
  onIncompatibleQos?: (event: IncompatibleQosEvent) => void;
}

export interface PublisherHandle {
  /**
   * Sends one message: a JS object for `kind: 'object'` transports, CDR bytes
   * (`Uint8Array`) for `kind: 'cdr'` ones. The local transport hands the same
   * reference to every subscriber.
   */
  publish(msg: unknown): void;
  /** Matched (compatible) subscriptions right now. */
  readonly subscriptionCount: number;
  close(): void;
}

export interface SubscriptionHandle {
  /** Matched (compatible) publishers right now. */
  readonly publisherCount: number;
  /** Samples lost to a full `keep_last` queue (only when deliveries were queued). */
  readonly lost: number;
  close(): void;
}

export interface ServiceEndpoint {
  /** Fully qualified service name. */
  service: string;
  /** ROS 2 service type name, `std_srvs/srv/Trigger` (not the `_Request` message). */
  type: string;
  /** Fully qualified name of the graph node that owns the endpoint; see {@link TopicEndpoint.node}. */
  node?: string;
}

/** Identifies one request: the client's id and its per-client sequence number (rmw_request_id_t). */
export interface RequestId {
  clientId: number;
  sequenceNumber: number;
}

/**
 * Serves one request. `replied` settles once the transport has written this request's reply, or
 * has given up on it (the handler threw, the service closed); it never rejects. What a server does
 * after answering goes there: an action server starts a goal there, so that its client knows the
 * goal before the goal's first status arrives (rclcpp sends the goal response, then the status).
 * Replies are not always written when the handler returns: the rtps transport holds one until the
 * caller's reply reader has matched.
 */
export type ServiceHandler = (
  request: unknown,
  requestId: RequestId,
  replied: Promise<void>,
) => unknown | Promise<unknown>;

/** A request's `replied` promise (see {@link ServiceHandler}) and what settles it. */
export function replyLatch(): { replied: Promise<void>; settle: () => void } {
  let settle = () => {};
  const replied = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { replied, settle };
}

export interface ServiceHandle {
  close(): void;
}

export interface ServiceClientHandle {
  /** True while at least one server for the service (with the same type) exists. */
  isServiceAvailable(): boolean;
  /**
   * Sends a request; resolves with the response. Rejects if the server's handler throws
   * or the server goes away. Timeouts are the graph's job.
   */
  call(request: unknown, requestId: RequestId): Promise<unknown>;
  close(): void;
}

export interface NameAndTypes {
  name: string;
  types: string[];
}

export interface Transport {
  /**
   * What crosses `publish()` and the subscription callback: `object` (JS objects, zero
   * copy) or `cdr` (`Uint8Array` CDR bytes; the graph encodes and decodes).
   */
  readonly kind: 'object' | 'cdr';
  /** Where the graph validates messages; see {@link ValidationPoint}. */
  readonly validation: ValidationPoint;

  advertise(endpoint: TopicEndpoint): PublisherHandle;
  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle;

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle;
  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle;

  /** Topics with at least one publisher or subscription, sorted by name. */
  getTopicNamesAndTypes(): NameAndTypes[];
  /** Services with at least one server, sorted by name. */
  getServiceNamesAndTypes(): NameAndTypes[];

  /**
   * Optional: a graph node was created (`/arm/policy`), or destroyed. Transports that announce
   * the ROS graph (rtps: ros_discovery_info) list each node, even one with no endpoints.
   */
  addNode?(fullyQualifiedName: string): void;
  removeNode?(fullyQualifiedName: string): void;

  /** Closes every endpoint. Safe to call twice. */
  destroy(): void;
}
