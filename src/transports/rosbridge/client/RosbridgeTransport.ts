/**
 * The graph over a remote rosbridge v2 server (rosbridge_suite's `rosbridge_server`, or this
 * project's): topics and services travel as rosbridge JSON over one WebSocket, with ROS 2 type
 * names (`sensor_msgs/msg/JointState`, `std_srvs/srv/Trigger`). Graph actions, which the graph
 * builds from hidden `_action/*` services and topics that rosbridge does not expose, travel as
 * rosbridge's action ops instead (send_action_goal, action_feedback, action_result,
 * cancel_action_goal, advertise_action): see RosbridgeActions.ts.
 *
 * - **Validation at receipt.** Every message from the server is converted from rosbridge JSON
 *   (base64 `uint8[]`, `null` for NaN, missing fields defaulted) and handed to the graph, which
 *   validates it once (`validation: 'at-receive'`): a bad one is logged with its topic, field and
 *   value and dropped. Frames that are not rosbridge at all are counted and logged here.
 * - **Reconnects.** A dropped link is retried with exponential, bounded, jittered backoff. After
 *   each reconnect every publisher is re-advertised, every subscription re-subscribed and every
 *   service re-advertised; transient-local publishers re-send their last sample.
 * - **Holding while down.** While disconnected, `publish()` drops and counts (a command queued
 *   through an outage would reach the arm late and stale), service calls fail at once, and
 *   `connection.connected` is false: the policy node stops commanding until fresh observations
 *   arrive. A link that stops answering pings is treated as dropped.
 * - **Backpressure.** When more than `maxBufferedBytes` wait in the socket, publishes are dropped
 *   and counted rather than queued behind a slow link.
 */
import WebSocket from 'ws';
import { UserError } from '../../../errors.ts';
import { type Logger, stderrLogger } from '../../../graph/Logger.ts';
import { decodeRosbridgeJson, toRosbridgeJson } from '../../../msgs/rosbridgeJson.ts';
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
} from '../../Transport.ts';
import { replyLatch } from '../../Transport.ts';
import type { TransportConnection } from '../../TransportConnection.ts';
import {
  type CallServiceMessage,
  type FragmentMessage,
  type PublishMessage,
  parseRosbridgeText,
  SERVER_OPS,
  type ServiceResponseMessage,
  type StatusMessage,
} from '../protocol.ts';
import { Backoff, type BackoffOptions } from './Backoff.ts';
import { LinkServiceClient } from './LinkServiceClient.ts';
import { parseActionEndpoint, RosbridgeActions } from './RosbridgeActions.ts';

export interface RosbridgeTransportOptions {
  /** The server, `ws://host:9090` or `wss://...`. */
  url: string;
  /** Access token, sent in an `auth` op as the first frame of every connection. */
  token?: string;
  /** Reconnect delays; see {@link BackoffOptions}. */
  backoff?: Partial<BackoffOptions>;
  /** Uniform [0, 1) source for the backoff jitter (tests inject one). */
  random?: () => number;
  /** Seeds the default jitter source. @default a different seed per process */
  seed?: number;
  /** @default writes to stderr */
  logger?: Logger;
  /** A connection attempt that has not opened after this long has failed, ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Ping the server this often, ms; a link silent for two intervals is dropped and retried.
   * rosbridge_server (tornado) and `ws` servers answer pings by themselves. @default 2000
   */
  pingIntervalMs?: number;
  /** Largest frame accepted from the server, bytes; a bigger one drops the link. @default 64 MiB */
  maxFrameBytes?: number;
  /** Bytes allowed to wait in the socket before publishes are dropped. @default 8 MiB */
  maxBufferedBytes?: number;
  /** Fragmented messages reassembled at once; beyond it the oldest is abandoned. @default 16 */
  maxFragmentedMessages?: number;
  /**
   * An action goal neither refused nor answered within this long counts as accepted, ms
   * (rosbridge sends no "accepted"; feedback or a result accept a goal sooner). Keep it above
   * rosbridge_server's 1 s wait for a missing action server, so that one fails `sendGoal`.
   * @default 1500
   */
  actionAcceptWindowMs?: number;
}

/** Counters, for logs, status displays and tests. */
export interface RosbridgeClientStats {
  /** Successful connections (the first and every reconnect). */
  connects: number;
  /** Connections lost (not counting `destroy()`). */
  disconnects: number;
  /** Connection attempts that failed before opening. */
  failedAttempts: number;
  /** Messages sent with `publish`. */
  published: number;
  /** Publishes dropped because the link was down. */
  droppedDisconnected: number;
  /** Publishes dropped because too many bytes were waiting in the socket. */
  droppedBackpressure: number;
  /** `publish` frames received for a subscribed topic. */
  received: number;
  /** Frames that were not valid rosbridge messages, or named nothing this client knows. */
  badFrames: number;
  /** `status` messages from the server at level warning or error. */
  serverErrors: number;
}

interface TopicSubs {
  type: string;
  /** The id of this client's remote subscription; unsubscribe uses it. */
  remoteId: string;
  subs: Set<RemoteSubscription>;
  /** Set when a transient-local subscription exists: late local joiners get it. */
  last: unknown;
  transientLocal: boolean;
}

interface TopicPubs {
  type: string;
  pubs: Set<RemotePublisher>;
  latched: boolean;
}

interface PendingCall {
  service: string;
  responseType: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Fragments {
  parts: (string | undefined)[];
  received: number;
}

export class RosbridgeTransport implements Transport {
  readonly kind = 'object' as const;
  readonly validation = 'at-receive' as const;
  readonly url: string;
  /** Link state; see TransportConnection. */
  readonly connection: TransportConnection;
  readonly #options: Required<
    Pick<
      RosbridgeTransportOptions,
      'connectTimeoutMs' | 'pingIntervalMs' | 'maxFrameBytes' | 'maxBufferedBytes' | 'maxFragmentedMessages'
    >
  >;
  readonly #token: string | undefined;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #stats: RosbridgeClientStats = {
    connects: 0,
    disconnects: 0,
    failedAttempts: 0,
    published: 0,
    droppedDisconnected: 0,
    droppedBackpressure: 0,
    received: 0,
    badFrames: 0,
    serverErrors: 0,
  };
  readonly #subscriptions = new Map<string, TopicSubs>();
  readonly #publishers = new Map<string, TopicPubs>();
  readonly #services = new Map<string, RemoteServer>();
  readonly #pending = new Map<string, PendingCall>();
  readonly #fragments = new Map<string, Fragments>();
  readonly #listeners = new Set<(connected: boolean) => void>();
  readonly #actions: RosbridgeActions;
  readonly #firstConnection: Promise<void>;
  #resolveFirst!: () => void;
  #ws: WebSocket | undefined;
  #connected = false;
  #destroyed = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeardMs = 0;
  /** Why the attempt in progress failed, from its 'error' event. */
  #lastError = '';
  #nextId = 1;
  #nextPublisherId = 1;

  /** Starts connecting at once; endpoints may be created before the link is up. */
  constructor(options: RosbridgeTransportOptions) {
    this.url = checkUrl(options.url);
    this.#token = options.token;
    this.#logger = options.logger ?? stderrLogger;
    this.#backoff = new Backoff(options.backoff, options.random, options.seed);
    this.#options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      pingIntervalMs: options.pingIntervalMs ?? 2000,
      maxFrameBytes: options.maxFrameBytes ?? 64 * 1024 * 1024,
      maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
      maxFragmentedMessages: options.maxFragmentedMessages ?? 16,
    };
    const self = this;
    this.#actions = new RosbridgeActions(
      {
        url: this.url,
        get connected() {
          return self.#connected;
        },
        logger: this.#logger,
        send: (op) => this.#send(op),
        bad: (what) => this.#bad(what),
      },
      options.actionAcceptWindowMs === undefined ? {} : { acceptWindowMs: options.actionAcceptWindowMs },
    );
    this.#firstConnection = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
    this.connection = {
      get connected() {
        return self.#connected;
      },
      onConnectionChange(listener) {
        self.#listeners.add(listener);
        return () => self.#listeners.delete(listener);
      },
    };
    this.#connect();
  }

  /** A snapshot of the counters. */
  get stats(): RosbridgeClientStats {
    return { ...this.#stats };
  }

  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Resolves once connected (at once if already); rejects with a UserError naming the URL if
   * no connection opens within `timeoutMs`. Reconnect attempts go on either way.
   */
  waitForConnection(timeoutMs = 10_000): Promise<void> {
    if (this.#connected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new UserError(
            `no rosbridge server answered at ${this.url} within ${timeoutMs / 1000} s ` +
              `(${this.#stats.failedAttempts} attempts); is rosbridge_server running there?`,
            { source: 'rosbridge' },
          ),
        );
      }, timeoutMs);
      const off = this.connection.onConnectionChange((up) => {
        if (!up) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Resolves at the first successful connection (never rejects; see waitForConnection). */
  get firstConnection(): Promise<void> {
    return this.#firstConnection;
  }

  advertise(endpoint: TopicEndpoint): PublisherHandle {
    this.#assertAlive();
    const act = parseActionEndpoint(endpoint.topic);
    if (act) return this.#actions.advertise(endpoint, act.kind, act.action);
    let entry = this.#publishers.get(endpoint.topic);
    const latched = endpoint.qos.durability === 'transient_local';
    if (!entry) {
      entry = { type: endpoint.type, pubs: new Set(), latched };
      this.#publishers.set(endpoint.topic, entry);
      this.#send({ op: 'advertise', topic: endpoint.topic, type: endpoint.type, latch: latched });
    } else if (entry.type !== endpoint.type) {
      endpoint.onIncompatibleQos?.({
        topic: endpoint.topic,
        totalCount: 1,
        lastPolicyKind: 'type',
        reason: `publisher type ${endpoint.type} vs ${entry.type} already advertised on this connection`,
      });
      return new RemotePublisher(this, endpoint, this.#nextPublisherId++, false);
    }
    const pub = new RemotePublisher(this, endpoint, this.#nextPublisherId++, true);
    entry.pubs.add(pub);
    return pub;
  }

  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    this.#assertAlive();
    const act = parseActionEndpoint(endpoint.topic);
    if (act) return this.#actions.subscribe(endpoint, act.kind, act.action, onMessage);
    let entry = this.#subscriptions.get(endpoint.topic);
    if (!entry) {
      entry = {
        type: endpoint.type,
        remoteId: `subscribe:${endpoint.topic}:${this.#nextId++}`,
        subs: new Set(),
        last: undefined,
        transientLocal: false,
      };
      this.#subscriptions.set(endpoint.topic, entry);
      this.#send(subscribeOp(endpoint.topic, entry));
    } else if (entry.type !== endpoint.type) {
      endpoint.onIncompatibleQos?.({
        topic: endpoint.topic,
        totalCount: 1,
        lastPolicyKind: 'type',
        reason: `subscription type ${endpoint.type} vs ${entry.type} already subscribed on this connection`,
      });
      return new RemoteSubscription(this, endpoint, onMessage, false);
    }
    const sub = new RemoteSubscription(this, endpoint, onMessage, true);
    entry.subs.add(sub);
    if (endpoint.qos.durability === 'transient_local') {
      entry.transientLocal = true;
      // The server sent the latched sample once, to the first subscription; later ones get it here.
      const last = entry.last;
      if (last !== undefined) queueMicrotask(() => sub.deliver(last, { publisherId: 0, sequenceNumber: 0 }));
    }
    return sub;
  }

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle {
    this.#assertAlive();
    const act = parseActionEndpoint(endpoint.service);
    if (act) return this.#actions.advertiseService(endpoint, act.kind, act.action, handler);
    if (this.#services.has(endpoint.service)) {
      throw new UserError(`service ${endpoint.service} is already served on this rosbridge connection`, {
        source: this.url,
      });
    }
    const server = new RemoteServer(this, endpoint, handler);
    this.#services.set(endpoint.service, server);
    this.#send({ op: 'advertise_service', service: endpoint.service, type: endpoint.type });
    return server;
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    this.#assertAlive();
    const act = parseActionEndpoint(endpoint.service);
    if (act) return this.#actions.createClient(endpoint, act.kind, act.action);
    return new LinkServiceClient(
      endpoint.service,
      () => this.connected,
      (request) => this._call(endpoint, request),
    );
  }

  /** This client's own topics (rosbridge does not list the remote graph without rosapi). */
  getTopicNamesAndTypes(): NameAndTypes[] {
    const types = new Map<string, Set<string>>();
    const add = (name: string, type: string) => {
      const set = types.get(name) ?? new Set<string>();
      set.add(type);
      types.set(name, set);
    };
    for (const [name, e] of this.#publishers) add(name, e.type);
    for (const [name, e] of this.#subscriptions) add(name, e.type);
    return sortByName([...types].map(([name, set]) => ({ name, types: [...set].sort() })));
  }

  /** The services this client serves. */
  getServiceNamesAndTypes(): NameAndTypes[] {
    return sortByName(
      [...this.#services.values()].map((s) => ({ name: s.endpoint.service, types: [s.endpoint.type] })),
    );
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#pingTimer);
    this.#failPending(new Error(`rosbridge transport to ${this.url} was destroyed`));
    this.#actions.destroy(`rosbridge transport to ${this.url} was destroyed`);
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'transport destroyed');
      else ws.terminate();
    }
    this.#subscriptions.clear();
    this.#publishers.clear();
    this.#services.clear();
    this.#fragments.clear();
    this.#setConnected(false);
    this.#listeners.clear();
  }

  /**
   * Drops the current connection as if the network had (for tests and for callers that know the
   * link is dead); the transport reconnects with backoff.
   */
  dropConnection(): void {
    this.#ws?.terminate();
  }

  // ---- used by the handles -------------------------------------------------------------------

  /** @internal */
  _publish(pub: RemotePublisher, msg: unknown): void {
    const ws = this.#ws;
    if (!this.#connected || !ws) {
      this.#stats.droppedDisconnected++;
      return;
    }
    if (ws.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#stats.droppedBackpressure++;
      return;
    }
    const json = toRosbridgeJson(pub.endpoint.type, msg);
    ws.send(JSON.stringify({ op: 'publish', topic: pub.endpoint.topic, msg: json }));
    this.#stats.published++;
  }

  /** @internal */
  _removePublisher(pub: RemotePublisher): void {
    const entry = this.#publishers.get(pub.endpoint.topic);
    if (!entry?.pubs.delete(pub) || entry.pubs.size > 0) return;
    this.#publishers.delete(pub.endpoint.topic);
    this.#send({ op: 'unadvertise', topic: pub.endpoint.topic });
  }

  /** @internal */
  _removeSubscription(sub: RemoteSubscription): void {
    const entry = this.#subscriptions.get(sub.endpoint.topic);
    if (!entry?.subs.delete(sub) || entry.subs.size > 0) return;
    this.#subscriptions.delete(sub.endpoint.topic);
    this.#send({ op: 'unsubscribe', id: entry.remoteId, topic: sub.endpoint.topic });
  }

  /** @internal */
  _removeServer(server: RemoteServer): void {
    if (this.#services.get(server.endpoint.service) !== server) return;
    this.#services.delete(server.endpoint.service);
    this.#send({ op: 'unadvertise_service', service: server.endpoint.service });
  }

  /** @internal */
  _call(endpoint: ServiceEndpoint, request: unknown): Promise<unknown> {
    if (!this.#connected) {
      return Promise.reject(new Error(`not connected to the rosbridge server at ${this.url}`));
    }
    const id = `call_service:${endpoint.service}:${this.#nextId++}`;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, {
        service: endpoint.service,
        responseType: `${endpoint.type}_Response`,
        resolve,
        reject,
      });
      this.#send({
        op: 'call_service',
        id,
        service: endpoint.service,
        ...typeField(endpoint.type, 'srv'),
        args: toRosbridgeJson(`${endpoint.type}_Request`, request),
      });
    });
  }

  // ---- the connection ------------------------------------------------------------------------

  #connect(): void {
    if (this.#destroyed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, {
        handshakeTimeout: this.#options.connectTimeoutMs,
        maxPayload: this.#options.maxFrameBytes,
      });
    } catch (error) {
      this.#attemptFailed(error instanceof Error ? error.message : String(error));
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.#lastHeardMs = performance.now();
      this.#backoff.reset();
      this.#stats.connects++;
      if (this.#token !== undefined) ws.send(JSON.stringify({ op: 'auth', token: this.#token }));
      this.#declareAll();
      this.#actions.onConnected();
      this.#startPing(ws);
      // The first connection is the expected case; a reconnect is news.
      if (this.#stats.connects === 1) this.#logger.debug(`rosbridge: connected to ${this.url}`);
      else this.#logger.info(`rosbridge: reconnected to ${this.url}`);
      this.#setConnected(true);
      this.#resolveFirst();
      this.#resendLatched();
    });
    ws.on('message', (data, isBinary) => {
      this.#lastHeardMs = performance.now();
      if (isBinary) {
        this.#bad('a binary frame (this client asks for JSON only)');
        return;
      }
      this.#onText(rawToString(data));
    });
    ws.on('pong', () => {
      this.#lastHeardMs = performance.now();
    });
    ws.on('error', (error) => {
      // 'close' follows; say why once here.
      this.#logger.debug(`rosbridge: socket error on ${this.url}: ${error.message}`);
      if (!opened) this.#lastError = error.message;
    });
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      clearInterval(this.#pingTimer);
      if (opened) {
        this.#stats.disconnects++;
        this.#failPending(new Error(`connection to the rosbridge server at ${this.url} was lost`));
        this.#actions.onDisconnected(`the connection to the rosbridge server at ${this.url} was lost`);
        this.#fragments.clear();
        this.#setConnected(false);
        const why = reason.length ? `${code} ${rawToString(reason)}` : String(code);
        this.#logger.warn(`rosbridge: lost the connection to ${this.url} (${why}); reconnecting`);
        this.#schedule();
      } else {
        this.#attemptFailed(this.#lastError || `closed with code ${code}`);
      }
    });
  }

  #attemptFailed(why: string): void {
    this.#stats.failedAttempts++;
    this.#lastError = '';
    const n = this.#stats.failedAttempts;
    // The first failure and then every tenth: an unreachable server must not flood the log.
    if (n === 1 || n % 10 === 0) {
      this.#logger.warn(`rosbridge: cannot connect to ${this.url}: ${why} (attempt ${n}); retrying`);
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#destroyed) return;
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    this.#reconnectTimer.unref?.();
  }

  #startPing(ws: WebSocket): void {
    clearInterval(this.#pingTimer);
    const interval = this.#options.pingIntervalMs;
    this.#pingTimer = setInterval(() => {
      if (performance.now() - this.#lastHeardMs > 2 * interval) {
        this.#logger.warn(`rosbridge: ${this.url} stopped answering for ${(2 * interval) / 1000} s`);
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, interval);
    this.#pingTimer.unref?.();
  }

  /** Sends every declaration again: a new connection knows nothing of the old one. */
  #declareAll(): void {
    for (const [topic, e] of this.#publishers) {
      this.#send({ op: 'advertise', topic, type: e.type, latch: e.latched });
    }
    for (const [topic, e] of this.#subscriptions) this.#send(subscribeOp(topic, e));
    for (const s of this.#services.values()) {
      this.#send({ op: 'advertise_service', service: s.endpoint.service, type: s.endpoint.type });
    }
  }

  #resendLatched(): void {
    for (const e of this.#publishers.values()) {
      if (!e.latched) continue;
      for (const pub of e.pubs) if (pub.last !== undefined) this._publish(pub, pub.last);
    }
  }

  #setConnected(up: boolean): void {
    if (this.#connected === up) return;
    this.#connected = up;
    for (const l of [...this.#listeners]) {
      try {
        l(up);
      } catch (error) {
        this.#logger.error(`rosbridge: a connection listener threw: ${String(error)}`);
      }
    }
  }

  #send(op: Record<string, unknown>): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(op));
  }

  #failPending(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  // ---- incoming frames -----------------------------------------------------------------------

  #onText(text: string): void {
    const parsed = parseRosbridgeText(text, SERVER_OPS);
    if (!parsed.ok) {
      this.#bad(parsed.issue.message);
      return;
    }
    const m = parsed.message;
    switch (m.op) {
      case 'publish':
        this.#onPublish(m);
        return;
      case 'service_response':
        this.#onServiceResponse(m);
        return;
      case 'call_service':
        void this.#onCallService(m);
        return;
      case 'status':
        this.#onStatus(m);
        return;
      case 'fragment':
        this.#onFragment(m);
        return;
      case 'action_feedback':
        this.#actions.onFeedback(m);
        return;
      case 'action_result':
        this.#actions.onResult(m);
        return;
      case 'send_action_goal':
        void this.#actions.onSendGoal(m);
        return;
      case 'cancel_action_goal':
        this.#actions.onCancelGoal(m);
        return;
      default:
        this.#bad(`op "${m.op}" is not used by this client`);
    }
  }

  #onPublish(m: PublishMessage): void {
    const entry = this.#subscriptions.get(m.topic);
    if (!entry) {
      // Normal just after an unsubscribe; anything else is the server's mistake.
      this.#logger.debug(
        `rosbridge: dropped a message on ${m.topic}, which this client does not subscribe to`,
      );
      return;
    }
    this.#stats.received++;
    let msg: unknown;
    try {
      msg = decodeRosbridgeJson(entry.type, m.msg);
    } catch {
      msg = m.msg; // the graph's validation names what is wrong
    }
    if (entry.transientLocal) entry.last = msg;
    const info: MessageInfo = { publisherId: 0, sequenceNumber: this.#stats.received };
    for (const sub of [...entry.subs]) sub.deliver(msg, info);
  }

  #onServiceResponse(m: ServiceResponseMessage): void {
    const id = m.id === undefined ? undefined : String(m.id);
    const call = id === undefined ? undefined : this.#pending.get(id);
    if (!call || id === undefined) {
      this.#bad(`service_response for ${m.service} with id ${String(m.id)} matches no call in flight`);
      return;
    }
    this.#pending.delete(id);
    if (!m.result) {
      const why = typeof m.values === 'string' ? m.values : JSON.stringify(m.values ?? null);
      call.reject(new Error(`the server failed the call: ${why}`));
      return;
    }
    try {
      call.resolve(decodeRosbridgeJson(call.responseType, m.values ?? {}));
    } catch {
      call.resolve(m.values);
    }
  }

  async #onCallService(m: CallServiceMessage): Promise<void> {
    const server = this.#services.get(m.service);
    const reply = (result: boolean, values: unknown) => {
      const out: Record<string, unknown> = { op: 'service_response', service: m.service, values, result };
      if (m.id !== undefined) out['id'] = m.id;
      this.#send(out);
    };
    if (!server) {
      this.#bad(`call_service for ${m.service}, which this client does not serve`);
      reply(false, `${m.service} is not served by this client`);
      return;
    }
    const type = server.endpoint.type;
    const args = Array.isArray(m.args) ? (m.args.length === 0 ? {} : m.args[0]) : (m.args ?? {});
    const latch = replyLatch();
    try {
      let request: unknown;
      try {
        request = decodeRosbridgeJson(`${type}_Request`, args);
      } catch {
        request = args;
      }
      const response = await server.handler(
        request,
        { clientId: 0, sequenceNumber: this.#nextId++ },
        latch.replied,
      );
      reply(true, toRosbridgeJson(`${type}_Response`, response));
    } catch (error) {
      reply(false, error instanceof Error ? error.message : String(error));
    } finally {
      latch.settle();
    }
  }

  #onStatus(m: StatusMessage): void {
    const id = m.id === undefined ? undefined : String(m.id);
    const call = id === undefined ? undefined : this.#pending.get(id);
    const text = `rosbridge: ${this.url} says (${m.level}${id ? `, id ${id}` : ''}): ${m.msg}`;
    if (m.level === 'error' || m.level === 'warning') this.#stats.serverErrors++;
    if (call && id !== undefined && m.level === 'error') {
      this.#pending.delete(id);
      call.reject(new Error(`the server refused the call: ${m.msg}`));
    }
    if (m.level === 'error') this.#logger.error(text);
    else if (m.level === 'warning') this.#logger.warn(text);
    else this.#logger.info(text);
  }

  #onFragment(m: FragmentMessage): void {
    const id = String(m.id);
    if (m.num >= m.total) {
      this.#bad(`fragment ${m.num} of ${m.total} (id ${id}) is out of range`);
      return;
    }
    let f = this.#fragments.get(id);
    if (f && f.parts.length !== m.total) {
      this.#fragments.delete(id);
      this.#bad(`fragment id ${id} changed its total from ${f.parts.length} to ${m.total}; dropped`);
      return;
    }
    if (!f) {
      if (this.#fragments.size >= this.#options.maxFragmentedMessages) {
        const oldest = this.#fragments.keys().next().value as string;
        this.#fragments.delete(oldest);
        this.#bad(
          `abandoned fragmented message ${oldest}: more than ${this.#options.maxFragmentedMessages} open`,
        );
      }
      f = { parts: new Array<string | undefined>(m.total), received: 0 };
      this.#fragments.set(id, f);
    }
    if (f.parts[m.num] === undefined) f.received++;
    f.parts[m.num] = m.data;
    if (f.received < m.total) return;
    this.#fragments.delete(id);
    this.#onText(f.parts.join(''));
  }

  #bad(what: string): void {
    this.#stats.badFrames++;
    this.#logger.warn(`rosbridge: dropped a frame from ${this.url}: ${what}`);
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new Error(`RosbridgeTransport(${this.url}): used after destroy()`);
  }
}

class RemotePublisher implements PublisherHandle {
  readonly endpoint: TopicEndpoint;
  readonly id: number;
  /** Transient local: the last sample, re-sent after a reconnect. */
  last: unknown;
  readonly #transport: RosbridgeTransport;
  readonly #matched: boolean;
  #closed = false;

  constructor(transport: RosbridgeTransport, endpoint: TopicEndpoint, id: number, matched: boolean) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.id = id;
    this.#matched = matched;
  }

  /** The server counts as one subscription while connected: rosbridge does not report remote ones. */
  get subscriptionCount(): number {
    return this.#matched && !this.#closed && this.#transport.connected ? 1 : 0;
  }

  publish(msg: unknown): void {
    if (this.#closed) throw new Error(`rosbridge: publish on closed publisher ${this.endpoint.topic}`);
    if (!this.#matched) return;
    if (this.endpoint.qos.durability === 'transient_local') this.last = msg;
    this.#transport._publish(this, msg);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#matched) this.#transport._removePublisher(this);
  }
}

class RemoteSubscription implements SubscriptionHandle {
  readonly endpoint: TopicEndpoint;
  readonly lost = 0;
  readonly #transport: RosbridgeTransport;
  readonly #onMessage: (msg: unknown, info: MessageInfo) => void;
  readonly #matched: boolean;
  #closed = false;

  constructor(
    transport: RosbridgeTransport,
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
    matched: boolean,
  ) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.#onMessage = onMessage;
    this.#matched = matched;
  }

  /** The server counts as one publisher while connected. */
  get publisherCount(): number {
    return this.#matched && !this.#closed && this.#transport.connected ? 1 : 0;
  }

  deliver(msg: unknown, info: MessageInfo): void {
    if (this.#closed) return;
    try {
      this.#onMessage(msg, info);
    } catch (error) {
      // The graph catches its own callbacks' errors; this is a raw transport user's.
      console.error(`rosbridge: callback on ${this.endpoint.topic} threw:`, error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#matched) this.#transport._removeSubscription(this);
  }
}

class RemoteServer implements ServiceHandle {
  readonly endpoint: ServiceEndpoint;
  readonly handler: ServiceHandler;
  readonly #transport: RosbridgeTransport;
  #closed = false;

  constructor(transport: RosbridgeTransport, endpoint: ServiceEndpoint, handler: ServiceHandler) {
    this.#transport = transport;
    this.endpoint = endpoint;
    this.handler = handler;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport._removeServer(this);
  }
}

function subscribeOp(topic: string, e: TopicSubs): Record<string, unknown> {
  return { op: 'subscribe', id: e.remoteId, topic, ...typeField(e.type, 'msg') };
}

/**
 * `{ type }` for a `pkg/msg/Type` or `pkg/srv/Type` name, which every rosbridge server resolves;
 * nothing for other names (`pkg/action/Type_Goal` used as a plain topic type), which servers do
 * not know by that name: they look the type up from the topic or service name instead.
 */
function typeField(type: string, kind: 'msg' | 'srv'): { type?: string } {
  return type.split('/')[1] === kind ? { type } : {};
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`'${url}' is not a URL; expected ws://host:port, e.g. ws://robot:9090`, {
      source: '--url',
    });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UserError(`'${url}' must start with ws:// or wss:// (got ${parsed.protocol})`, {
      source: '--url',
    });
  }
  return url;
}

function rawToString(data: WebSocket.RawData | Buffer): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function sortByName(list: NameAndTypes[]): NameAndTypes[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
