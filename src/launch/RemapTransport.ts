/**
 * One node's view of a shared transport, with its topic remappings applied.
 *
 * rcl applies a remap rule to a name after expanding it (`~`, relative names, substitutions), so
 * the rule `/detections:=/perception/detections` renames whatever the node resolved to
 * `/detections`. Names reach a transport fully qualified, so a view over the transport is the one
 * place that sees every name a node uses without touching the graph: topics, services, and
 * actions (an action `/a` travels as `/a/_action/send_goal`, `/a/_action/feedback`, ..., and a
 * rule for `/a` renames all of them, as in ROS 2).
 *
 * Destroying the view closes only the endpoints made through it, never the shared transport:
 * a restarted node gets a fresh view while the others keep theirs.
 */

import type {
  MessageInfo,
  NameAndTypes,
  PublisherHandle,
  ServiceClientHandle,
  ServiceEndpoint,
  ServiceHandle,
  ServiceHandler,
  SubscriptionHandle,
  TopicEndpoint,
  Transport,
} from '../transports/Transport.ts';
import type { TransportConnection } from '../transports/TransportConnection.ts';

const ACTION_INFIX = '/_action/';

export class RemapTransport implements Transport {
  readonly kind: Transport['kind'];
  readonly validation: Transport['validation'];
  readonly #base: Transport;
  /** Fully qualified from -> to. */
  readonly #rules: ReadonlyMap<string, string>;
  readonly #open = new Set<{ close(): void }>();
  #destroyed = false;

  /** @param rules fully qualified names, from -> to */
  constructor(base: Transport, rules: ReadonlyMap<string, string> = new Map()) {
    this.#base = base;
    this.#rules = rules;
    this.kind = base.kind;
    this.validation = base.validation;
  }

  /** The shared transport's link state (rosbridge), so a policy node still sees drops. */
  get connection(): TransportConnection | undefined {
    return (this.#base as Transport & { connection?: TransportConnection }).connection;
  }

  /** The name a node's `name` travels under. */
  map(name: string): string {
    const direct = this.#rules.get(name);
    if (direct !== undefined) return direct;
    const at = name.indexOf(ACTION_INFIX);
    if (at > 0) {
      const action = this.#rules.get(name.slice(0, at));
      if (action !== undefined) return action + name.slice(at);
    }
    return name;
  }

  advertise(endpoint: TopicEndpoint): PublisherHandle {
    return this.#track(this.#base.advertise({ ...endpoint, topic: this.map(endpoint.topic) }));
  }

  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    return this.#track(this.#base.subscribe({ ...endpoint, topic: this.map(endpoint.topic) }, onMessage));
  }

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle {
    return this.#track(
      this.#base.advertiseService({ ...endpoint, service: this.map(endpoint.service) }, handler),
    );
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    return this.#track(this.#base.createServiceClient({ ...endpoint, service: this.map(endpoint.service) }));
  }

  getTopicNamesAndTypes(): NameAndTypes[] {
    return this.#base.getTopicNamesAndTypes();
  }

  getServiceNamesAndTypes(): NameAndTypes[] {
    return this.#base.getServiceNamesAndTypes();
  }

  addNode(fullyQualifiedName: string): void {
    this.#base.addNode?.(fullyQualifiedName);
  }

  removeNode(fullyQualifiedName: string): void {
    this.#base.removeNode?.(fullyQualifiedName);
  }

  /** Closes what this view opened; the shared transport stays up. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const handle of [...this.#open]) handle.close();
    this.#open.clear();
  }

  #track<H extends { close(): void }>(handle: H): H {
    if (this.#destroyed) {
      handle.close();
      throw new Error('RemapTransport: the view was destroyed');
    }
    const open = this.#open;
    const close = handle.close.bind(handle);
    // A handle closed by its owner leaves the set, so a long-lived view does not grow.
    handle.close = () => {
      open.delete(handle);
      close();
    };
    open.add(handle);
    return handle;
  }
}
