/**
 * The in-process transport: publishers hand JS objects straight to subscriptions.
 *
 * - **Zero copies.** Every subscription receives the very object that was published.
 *   Subscribers must not mutate a received message (and publishers must not mutate one
 *   after publishing it): copy it first if you need to change it.
 * - **Synchronous delivery.** `publish()` runs the matched callbacks before it returns, in
 *   subscription order, so a run is deterministic and costs no event-loop turn. A callback
 *   that publishes does not recurse: the nested sample is queued and delivered, in order,
 *   once the current delivery returns. With `delivery: 'manual'`, `publish()` only queues
 *   and `flush()` delivers (for step-locked loops and for tests of queue depth).
 * - **QoS.** Matching follows DDS request/offered rules (a reliable subscription does not
 *   match a best-effort publisher; a transient_local subscription does not match a volatile
 *   one); unmatched pairs are reported to both sides. Queued samples obey the subscription's
 *   history: `keep_last` keeps the newest `depth` and counts the rest in `lost`, whatever
 *   the reliability (nothing is lost in-process otherwise). Transient-local publishers keep
 *   their last `depth` samples for late-joining transient-local subscriptions, which get
 *   them in a microtask after `subscribe()` returns (or at the next publish or flush,
 *   whichever is first), never inside `subscribe()`.
 * - **Validation.** `validation: 'at-publish'` (default): the graph validates once in
 *   `publish()`, and subscriptions trust what they receive.
 */
import type {
  IncompatibleQosEvent,
  MessageInfo,
  NameAndTypes,
  PublisherHandle,
  QosPolicyKind,
  RequestId,
  ServiceClientHandle,
  ServiceEndpoint,
  ServiceHandle,
  ServiceHandler,
  SubscriptionHandle,
  TopicEndpoint,
  Transport,
  ValidationPoint,
} from '../Transport.ts';
import { replyLatch } from '../Transport.ts';

export interface LocalTransportOptions {
  /**
   * `sync`: `publish()` delivers before returning. `manual`: `publish()` queues (bounded by
   * each subscription's history) and `flush()` delivers.
   * @default 'sync'
   */
  delivery?: 'sync' | 'manual';
  /**
   * Called when a subscription callback throws. The graph catches its own callbacks'
   * errors, so this only sees errors from raw transport users.
   * @default logs to stderr
   */
  onCallbackError?: (error: unknown, topic: string) => void;
  /**
   * `at-publish`: only graph publishers feed this transport, so the graph validates once
   * in `publish()`. `at-receive`: something else also publishes here (a bridge injecting a
   * remote peer's messages through `advertise()`), so the graph validates on receipt.
   * @default 'at-publish'
   */
  validation?: ValidationPoint;
}

/** DDS request/offered check; returns the failing policy or undefined when compatible. */
export function qosIncompatibility(
  offered: TopicEndpoint,
  requested: TopicEndpoint,
): { policy: QosPolicyKind; reason: string } | undefined {
  if (offered.type !== requested.type) {
    return {
      policy: 'type',
      reason: `subscription type ${requested.type} vs publisher type ${offered.type}`,
    };
  }
  if (requested.qos.reliability === 'reliable' && offered.qos.reliability === 'best_effort') {
    return { policy: 'reliability', reason: 'reliable subscription vs best_effort publisher' };
  }
  if (requested.qos.durability === 'transient_local' && offered.qos.durability === 'volatile') {
    return { policy: 'durability', reason: 'transient_local subscription vs volatile publisher' };
  }
  return undefined;
}

interface TopicEntry {
  publishers: LocalPublisher[];
  subscriptions: LocalSubscription[];
}

export class LocalTransport implements Transport {
  readonly kind = 'object' as const;
  readonly validation: ValidationPoint;
  readonly #delivery: 'sync' | 'manual';
  readonly #onCallbackError: (error: unknown, topic: string) => void;
  readonly #topics = new Map<string, TopicEntry>();
  readonly #services = new Map<string, LocalServer[]>();
  #nextId = 1;
  #destroyed = false;
  /** True while callbacks run: nested publishes queue instead of recursing. */
  #draining = false;
  /** One entry per queued sample, in publish order; the sample itself sits in the subscription's queue. */
  #pending: LocalSubscription[] = [];
  #pendingHead = 0;
  #microtaskScheduled = false;

  constructor(options: LocalTransportOptions = {}) {
    this.#delivery = options.delivery ?? 'sync';
    this.validation = options.validation ?? 'at-publish';
    this.#onCallbackError =
      options.onCallbackError ??
      ((error, topic) => console.error(`local transport: callback on ${topic} threw:`, error));
  }

  advertise(endpoint: TopicEndpoint): PublisherHandle {
    this.#assertAlive();
    const pub = new LocalPublisher(this, this.#nextId++, endpoint);
    const entry = this.#entry(endpoint.topic);
    entry.publishers.push(pub);
    for (const sub of entry.subscriptions) this._match(pub, sub);
    return pub;
  }

  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    this.#assertAlive();
    const sub = new LocalSubscription(this, endpoint, onMessage);
    const entry = this.#entry(endpoint.topic);
    entry.subscriptions.push(sub);
    let late = false;
    for (const pub of entry.publishers) {
      if (this._match(pub, sub) && pub.history && endpoint.qos.durability === 'transient_local') {
        for (const sample of pub.history) this._enqueue(sub, sample.msg, sample.info);
        late ||= pub.history.length > 0;
      }
    }
    if (late && this.#delivery === 'sync' && !this.#microtaskScheduled) {
      this.#microtaskScheduled = true;
      queueMicrotask(() => {
        this.#microtaskScheduled = false;
        if (!this.#draining) this.flush();
      });
    }
    return sub;
  }

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle {
    this.#assertAlive();
    const server = new LocalServer(this, endpoint, handler);
    const list = this.#services.get(endpoint.service) ?? [];
    list.push(server);
    this.#services.set(endpoint.service, list);
    return server;
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    this.#assertAlive();
    return new LocalClient(this, endpoint);
  }

  getTopicNamesAndTypes(): NameAndTypes[] {
    const out: NameAndTypes[] = [];
    for (const [name, entry] of this.#topics) {
      const types = new Set<string>();
      for (const p of entry.publishers) types.add(p.endpoint.type);
      for (const s of entry.subscriptions) types.add(s.endpoint.type);
      if (types.size > 0) out.push({ name, types: [...types].sort() });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  getServiceNamesAndTypes(): NameAndTypes[] {
    const out: NameAndTypes[] = [];
    for (const [name, servers] of this.#services) {
      if (servers.length > 0)
        out.push({ name, types: [...new Set(servers.map((s) => s.endpoint.type))].sort() });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Delivers every queued sample, in publish order; returns how many callbacks ran. */
  flush(): number {
    if (this.#draining) return 0;
    this.#draining = true;
    let delivered = 0;
    try {
      while (this.#pendingHead < this.#pending.length) {
        const sub = this.#pending[this.#pendingHead++]!;
        if (sub.deliverNext()) delivered++;
      }
    } finally {
      this.#pending.length = 0;
      this.#pendingHead = 0;
      this.#draining = false;
    }
    return delivered;
  }

  destroy(): void {
    if (this.#destroyed) return;
    for (const entry of this.#topics.values()) {
      for (const p of [...entry.publishers]) p.close();
      for (const s of [...entry.subscriptions]) s.close();
    }
    for (const servers of this.#services.values()) for (const s of [...servers]) s.close();
    this.#topics.clear();
    this.#services.clear();
    this.#destroyed = true;
  }

  /** @internal Publishes on behalf of `pub`. */
  _publish(pub: LocalPublisher, msg: unknown, info: MessageInfo): void {
    const matched = pub.matched;
    if (matched.length === 0) return;
    if (this.#delivery === 'sync' && !this.#draining && this.#pendingHead === this.#pending.length) {
      // Fast path: nothing queued, not inside a callback. Deliver in place, allocating nothing.
      this.#draining = true;
      try {
        for (let i = 0; i < matched.length; i++) matched[i]!.deliver(msg, info);
      } finally {
        this.#draining = false;
      }
      if (this.#pendingHead < this.#pending.length) this.flush();
      return;
    }
    const queuedInfo: MessageInfo = { publisherId: info.publisherId, sequenceNumber: info.sequenceNumber };
    for (let i = 0; i < matched.length; i++) this._enqueue(matched[i]!, msg, queuedInfo);
    if (this.#delivery === 'sync' && !this.#draining) this.flush();
  }

  /** @internal */
  _enqueue(sub: LocalSubscription, msg: unknown, info: MessageInfo): void {
    sub.push(msg, info);
    this.#pending.push(sub);
  }

  /** @internal Connects `pub` and `sub` if compatible, else reports to both; returns whether matched. */
  _match(pub: LocalPublisher, sub: LocalSubscription): boolean {
    const bad = qosIncompatibility(pub.endpoint, sub.endpoint);
    if (bad) {
      const topic = pub.endpoint.topic;
      pub.incompatible(topic, bad.policy, bad.reason);
      sub.incompatible(topic, bad.policy, bad.reason);
      return false;
    }
    pub.matched = [...pub.matched, sub];
    sub.publisherCount++;
    return true;
  }

  /** @internal */
  _removePublisher(pub: LocalPublisher): void {
    const entry = this.#topics.get(pub.endpoint.topic);
    if (!entry) return;
    entry.publishers = entry.publishers.filter((p) => p !== pub);
    for (const sub of pub.matched) sub.publisherCount--;
    pub.matched = [];
    this.#prune(pub.endpoint.topic, entry);
  }

  /** @internal */
  _removeSubscription(sub: LocalSubscription): void {
    const entry = this.#topics.get(sub.endpoint.topic);
    if (!entry) return;
    entry.subscriptions = entry.subscriptions.filter((s) => s !== sub);
    for (const pub of entry.publishers) {
      if (pub.matched.includes(sub)) pub.matched = pub.matched.filter((s) => s !== sub);
    }
    this.#prune(sub.endpoint.topic, entry);
  }

  /** @internal */
  _removeServer(server: LocalServer): void {
    const list = this.#services.get(server.endpoint.service);
    if (!list) return;
    const rest = list.filter((s) => s !== server);
    if (rest.length) this.#services.set(server.endpoint.service, rest);
    else this.#services.delete(server.endpoint.service);
  }

  /** @internal The server a client of `endpoint` talks to: the first one advertised with the same type. */
  _server(endpoint: ServiceEndpoint): LocalServer | undefined {
    return this.#services.get(endpoint.service)?.find((s) => s.endpoint.type === endpoint.type);
  }

  /** @internal */
  _callbackError(error: unknown, topic: string): void {
    this.#onCallbackError(error, topic);
  }

  #entry(topic: string): TopicEntry {
    let entry = this.#topics.get(topic);
    if (!entry) {
      entry = { publishers: [], subscriptions: [] };
      this.#topics.set(topic, entry);
    }
    return entry;
  }

  #prune(topic: string, entry: TopicEntry): void {
    if (entry.publishers.length === 0 && entry.subscriptions.length === 0) this.#topics.delete(topic);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error('LocalTransport: used after destroy()');
  }
}

class IncompatibleCounter {
  totalCount = 0;
  readonly #listener: ((e: IncompatibleQosEvent) => void) | undefined;
  constructor(listener: ((e: IncompatibleQosEvent) => void) | undefined) {
    this.#listener = listener;
  }
  report(topic: string, policy: QosPolicyKind, reason: string): void {
    this.totalCount++;
    this.#listener?.({ topic, totalCount: this.totalCount, lastPolicyKind: policy, reason });
  }
}

class LocalPublisher implements PublisherHandle {
  readonly endpoint: TopicEndpoint;
  /** Compatible subscriptions; replaced (never mutated) so a delivery loop can keep iterating it. */
  matched: LocalSubscription[] = [];
  /** Transient-local only: the last `depth` samples. */
  readonly history: { msg: unknown; info: MessageInfo }[] | undefined;
  readonly #transport: LocalTransport;
  readonly #incompatible: IncompatibleCounter;
  /** Reused for every synchronous delivery: MessageInfo is only valid during the callback. */
  readonly #info: MessageInfo;
  #closed = false;

  constructor(transport: LocalTransport, id: number, endpoint: TopicEndpoint) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.#incompatible = new IncompatibleCounter(endpoint.onIncompatibleQos);
    this.#info = { publisherId: id, sequenceNumber: 0 };
    this.history = endpoint.qos.durability === 'transient_local' ? [] : undefined;
  }

  get subscriptionCount(): number {
    return this.matched.length;
  }

  incompatible(topic: string, policy: QosPolicyKind, reason: string): void {
    this.#incompatible.report(topic, policy, reason);
  }

  publish(msg: unknown): void {
    if (this.#closed) throw new Error(`LocalTransport: publish on closed publisher ${this.endpoint.topic}`);
    const info = this.#info;
    info.sequenceNumber++;
    const history = this.history;
    if (history) {
      history.push({ msg, info: { publisherId: info.publisherId, sequenceNumber: info.sequenceNumber } });
      const depth =
        this.endpoint.qos.history === 'keep_all' ? Number.POSITIVE_INFINITY : this.endpoint.qos.depth;
      while (history.length > depth) history.shift();
    }
    this.#transport._publish(this, msg, info);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport._removePublisher(this);
  }
}

class LocalSubscription implements SubscriptionHandle {
  readonly endpoint: TopicEndpoint;
  publisherCount = 0;
  lost = 0;
  readonly #transport: LocalTransport;
  readonly #onMessage: (msg: unknown, info: MessageInfo) => void;
  readonly #incompatible: IncompatibleCounter;
  readonly #limit: number;
  #queue: { msg: unknown; info: MessageInfo }[] = [];
  #closed = false;

  constructor(
    transport: LocalTransport,
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.#onMessage = onMessage;
    this.#incompatible = new IncompatibleCounter(endpoint.onIncompatibleQos);
    this.#limit = endpoint.qos.history === 'keep_all' ? Number.POSITIVE_INFINITY : endpoint.qos.depth;
  }

  incompatible(topic: string, policy: QosPolicyKind, reason: string): void {
    this.#incompatible.report(topic, policy, reason);
  }

  deliver(msg: unknown, info: MessageInfo): void {
    if (this.#closed) return;
    try {
      this.#onMessage(msg, info);
    } catch (error) {
      this.#transport._callbackError(error, this.endpoint.topic);
    }
  }

  /** Queues a sample; a full keep_last queue drops its oldest. */
  push(msg: unknown, info: MessageInfo): void {
    if (this.#queue.length >= this.#limit) {
      this.#queue.shift();
      this.lost++;
    }
    this.#queue.push({ msg, info });
  }

  /** Delivers the oldest queued sample, if any (a dropped sample leaves its pending slot empty). */
  deliverNext(): boolean {
    const sample = this.#queue.shift();
    if (!sample || this.#closed) return false;
    this.deliver(sample.msg, sample.info);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#transport._removeSubscription(this);
  }
}

class LocalServer implements ServiceHandle {
  readonly endpoint: ServiceEndpoint;
  readonly handler: ServiceHandler;
  readonly #transport: LocalTransport;
  /** Calls in flight: rejected if the server closes first. */
  readonly inFlight = new Set<(error: Error) => void>();
  #closed = false;

  constructor(transport: LocalTransport, endpoint: ServiceEndpoint, handler: ServiceHandler) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.handler = handler;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport._removeServer(this);
    const err = new Error(`service ${this.endpoint.service} was shut down before it responded`);
    for (const reject of this.inFlight) reject(err);
    this.inFlight.clear();
  }
}

class LocalClient implements ServiceClientHandle {
  readonly #transport: LocalTransport;
  readonly #endpoint: ServiceEndpoint;
  #closed = false;

  constructor(transport: LocalTransport, endpoint: ServiceEndpoint) {
    this.#transport = transport;
    this.#endpoint = endpoint;
  }

  isServiceAvailable(): boolean {
    return !this.#closed && this.#transport._server(this.#endpoint) !== undefined;
  }

  call(request: unknown, requestId: RequestId): Promise<unknown> {
    const server = this.#closed ? undefined : this.#transport._server(this.#endpoint);
    if (!server) {
      return Promise.reject(
        new Error(`no server for service ${this.#endpoint.service} (${this.#endpoint.type})`),
      );
    }
    return new Promise<unknown>((resolve, reject) => {
      const settle = (error: Error) => reject(error);
      server.inFlight.add(settle);
      // Always answer asynchronously, as a real service does, even for a synchronous handler.
      const latch = replyLatch();
      Promise.resolve()
        .then(() => server.handler(request, requestId, latch.replied))
        .then(
          (response) => {
            if (server.inFlight.delete(settle)) resolve(response);
          },
          (error: unknown) => {
            if (server.inFlight.delete(settle)) reject(error);
          },
        )
        .finally(latch.settle);
    });
  }

  close(): void {
    this.#closed = true;
  }
}
