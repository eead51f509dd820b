/**
 * The part of rclnodejs's API (types/*.d.ts of rclnodejs 0.2x-1.x) that Ros2Transport uses,
 * declared here because the package is optional and usually absent.
 */

export interface RclQos {
  history: number;
  depth: number;
  durability: number;
}

export interface RclQosConstructor {
  new (history?: number, depth?: number, reliability?: number, durability?: number): RclQos;
}

export interface RclCommunicationOptions {
  qos?: RclQos | string;
  enableTypedArray?: boolean;
}

export interface RclPublisher {
  publish(msg: unknown): void;
}

// biome-ignore lint/suspicious/noEmptyInterface: an opaque handle, passed back to destroySubscription
export interface RclSubscription {}

// biome-ignore lint/suspicious/noEmptyInterface: an opaque handle, passed back to destroyService
export interface RclService {}

export interface RclServiceResponse {
  send(response: unknown): void;
}

export interface RclClient {
  sendRequest(request: unknown, callback: (response: unknown) => void): void;
  isServiceServerAvailable(): boolean;
}

export interface RclNode {
  createPublisher(type: string, topic: string, options?: RclCommunicationOptions): RclPublisher;
  createSubscription(
    type: string,
    topic: string,
    options: RclCommunicationOptions,
    callback: (msg: unknown) => void,
  ): RclSubscription;
  createService(
    type: string,
    name: string,
    options: RclCommunicationOptions,
    callback: (request: unknown, response: RclServiceResponse) => void,
  ): RclService;
  createClient(type: string, name: string, options?: RclCommunicationOptions): RclClient;
  destroyPublisher(p: RclPublisher): void;
  destroySubscription(s: RclSubscription): void;
  destroyService(s: RclService): void;
  destroyClient(c: RclClient): void;
  countPublishers(topic: string): number;
  countSubscribers(topic: string): number;
  getTopicNamesAndTypes(): Array<{ name: string; types: string[] }>;
  getServiceNamesAndTypes(): Array<{ name: string; types: string[] }>;
  spin(timeoutMs?: number): void;
  destroy(): void;
}

export interface RclnodejsModule {
  init(): Promise<void>;
  shutdown(): void;
  isShutdown?(): boolean;
  Node: new (name: string, namespace?: string) => RclNode;
  QoS: RclQosConstructor & {
    HistoryPolicy?: { RMW_QOS_POLICY_HISTORY_KEEP_LAST: number; RMW_QOS_POLICY_HISTORY_KEEP_ALL: number };
    ReliabilityPolicy?: {
      RMW_QOS_POLICY_RELIABILITY_RELIABLE: number;
      RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number;
    };
    DurabilityPolicy?: {
      RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number;
      RMW_QOS_POLICY_DURABILITY_VOLATILE: number;
    };
  };
}
