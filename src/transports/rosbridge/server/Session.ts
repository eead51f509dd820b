/**
 * One connected rosbridge client: decodes its frames, checks them (protocol.ts), runs each op
 * against the graph, and queues what goes back. Every bad frame (malformed JSON, unknown op,
 * wrong field types, an invalid message, an unknown topic) gets a `status` error naming the op,
 * id, field and value, and the connection stays up.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decode as cborDecode } from 'cbor-x';
import { UserError } from '../../../errors.ts';
import type { ClientGoalHandle, Logger, Publisher, ServerGoalHandle } from '../../../graph/index.ts';
import { GoalStatus } from '../../../graph/index.ts';
import { messageDefinition } from '../../../msgs/messageDefinition.ts';
import { fromRosbridgeJson, toRosbridgeJson } from '../../../msgs/rosbridgeJson.ts';
import {
  type ActionFeedbackMessage,
  type ActionResultMessage,
  type AdvertiseActionMessage,
  type AdvertiseMessage,
  type AdvertiseServiceMessage,
  type CallServiceMessage,
  type CancelActionGoalMessage,
  CLIENT_OPS,
  describeValue,
  type FragmentMessage,
  type PublishMessage,
  parseRosbridgeMessage,
  parseRosbridgeText,
  type RosbridgeId,
  type RosbridgeMessage,
  type SendActionGoalMessage,
  type ServiceResponseMessage,
  STATUS_LEVELS,
  type StatusLevel,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '../protocol.ts';
import type { GraphBridge } from './GraphBridge.ts';
import type { OutgoingMessage } from './OutgoingMessage.ts';
import { type FrameSink, OutgoingQueue } from './OutgoingQueue.ts';
import type { TopicFanout, TopicListener } from './TopicFanout.ts';

/** What a session needs from the server that owns it. */
export interface SessionHost {
  readonly bridge: GraphBridge;
  readonly logger: Logger;
  /** Expected access token, if any. */
  readonly token: string | undefined;
  /** Largest accepted message, bytes (frames and reassembled fragments). */
  readonly maxMessageBytes: number;
  readonly queueLength: number;
  readonly highWaterBytes: number;
  /** Asks for this session's queue to be flushed soon (once per event-loop turn). */
  scheduleFlush(session: Session): void;
  countReceived(): void;
  countError(): void;
}

/** The socket as a session uses it. */
export interface SessionSocket extends FrameSink {
  close(code?: number, reason?: string): void;
}

/** Partial fragmented messages one client may have open at once. */
const MAX_OPEN_FRAGMENTED = 16;
/** Fragments per message. */
const MAX_FRAGMENTS = 100_000;

interface SubOptions {
  throttleRate: number;
  queueLength: number;
  fragmentSize: number | undefined;
  compression: 'none' | 'cbor' | 'cbor-raw';
}

/** One client's subscription to one topic: every subscribe op (by id) for it merged, as rosbridge merges them. */
class ClientTopic implements TopicListener {
  readonly fanout: TopicFanout;
  readonly byId = new Map<string, SubOptions>();
  #session: Session;
  #effective: SubOptions = { throttleRate: 0, queueLength: 0, fragmentSize: undefined, compression: 'none' };
  #fragmentId: string;
  #lastSentMs = Number.NEGATIVE_INFINITY;
  #pending: OutgoingMessage[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(session: Session, fanout: TopicFanout) {
    this.#session = session;
    this.fanout = fanout;
    this.#fragmentId = fanout.topic;
  }

  /** rosbridge's merge: lowest throttle_rate and fragment_size, highest queue_length, latest compression. */
  update(latest: SubOptions, latestId: string): void {
    let throttleRate = Number.POSITIVE_INFINITY;
    let queueLength = 0;
    let fragmentSize: number | undefined;
    for (const o of this.byId.values()) {
      throttleRate = Math.min(throttleRate, o.throttleRate);
      queueLength = Math.max(queueLength, o.queueLength);
      if (o.fragmentSize !== undefined)
        fragmentSize = Math.min(fragmentSize ?? o.fragmentSize, o.fragmentSize);
    }
    this.#effective = {
      throttleRate: Number.isFinite(throttleRate) ? throttleRate : 0,
      queueLength,
      fragmentSize,
      compression: latest.compression,
    };
    this.#fragmentId = latestId || this.fanout.topic;
  }

  offer(message: OutgoingMessage): void {
    const o = this.#effective;
    if (o.throttleRate > 0) {
      const now = performance.now();
      if (now - this.#lastSentMs < o.throttleRate) {
        // Throttled: keep the newest queue_length messages for later, else drop this one (rosbridge).
        if (o.queueLength > 0) {
          this.#pending.push(message);
          if (this.#pending.length > o.queueLength) this.#pending.shift();
          this.#armTimer(o.throttleRate - (now - this.#lastSentMs));
        }
        return;
      }
      this.#lastSentMs = now;
    }
    this.#push(message);
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
  }

  #push(message: OutgoingMessage): void {
    const o = this.#effective;
    this.#session.queueData({
      message,
      compression: o.compression,
      fragmentSize: o.fragmentSize,
      fragmentId: this.#fragmentId,
    });
  }

  #armTimer(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const next = this.#pending.shift();
        if (!next) return;
        this.#lastSentMs = performance.now();
        this.#push(next);
        if (this.#pending.length > 0) this.#armTimer(this.#effective.throttleRate);
      },
      Math.max(0, delayMs),
    );
  }
}

interface PendingCall {
  resolve(response: unknown): void;
  reject(error: Error): void;
  service: string;
  type: string;
}

interface ExternalGoal {
  handle: ServerGoalHandle<unknown, unknown, unknown>;
  resolve(result: unknown): void;
  action: string;
  type: string;
}

interface OutgoingGoal {
  action: string;
  handle: ClientGoalHandle<unknown> | undefined;
  cancelRequested: boolean;
}

interface AdvertisedService {
  type: string;
  destroy(): void;
}

interface AdvertisedAction {
  type: string;
  destroy(): void;
  goals: Map<string, ExternalGoal>;
}

let nextSessionNumber = 1;

export class Session {
  readonly id: string;
  readonly queue: OutgoingQueue;
  readonly #host: SessionHost;
  readonly #socket: SessionSocket;
  readonly #log: Logger;
  #authenticated: boolean;
  #level: StatusLevel = 'error';
  readonly #topics = new Map<string, ClientTopic>();
  readonly #advertised = new Map<string, Publisher>();
  readonly #services = new Map<string, AdvertisedService>();
  readonly #pendingCalls = new Map<string, PendingCall>();
  readonly #actions = new Map<string, AdvertisedAction>();
  readonly #goals = new Map<string, OutgoingGoal>();
  readonly #fragments = new Map<
    string,
    { total: number; parts: (string | undefined)[]; count: number; chars: number }
  >();
  #requestCounter = 0;
  #closed = false;

  constructor(host: SessionHost, socket: SessionSocket, authenticated: boolean) {
    this.id = `client-${nextSessionNumber++}`;
    this.#host = host;
    this.#socket = socket;
    this.#log = host.logger;
    this.#authenticated = authenticated || host.token === undefined;
    this.queue = new OutgoingQueue(socket, {
      limit: host.queueLength,
      highWaterBytes: host.highWaterBytes,
      onEncodeError: (error, entry) =>
        this.#status('error', `cannot encode a message on ${entry.message.topic}: ${errorText(error)}`),
      onDrain: () => host.scheduleFlush(this),
    });
  }

  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** One frame from the socket. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    this.#host.countReceived();
    if (data.length > this.#host.maxMessageBytes) {
      this.#error(
        undefined,
        undefined,
        `frame of ${data.length} bytes exceeds the limit of ${this.#host.maxMessageBytes} bytes; dropped`,
      );
      return;
    }
    if (isBinary) {
      let value: unknown;
      try {
        value = cborDecode(data);
      } catch (error) {
        this.#error(undefined, undefined, `binary frame is not valid CBOR: ${errorText(error)}`);
        return;
      }
      this.#handleParsed(parseRosbridgeMessage(value, CLIENT_OPS));
      return;
    }
    this.#handleText(data.toString('utf8'));
  }

  /** Queues a topic message for this client (called from the graph's publish path: cheap). */
  queueData(entry: Parameters<OutgoingQueue['pushData']>[0]): void {
    this.queue.pushData(entry);
    this.#host.scheduleFlush(this);
  }

  /** Sends a protocol message on the control queue. */
  send(message: Record<string, unknown>): void {
    if (this.#closed) return;
    this.queue.pushControl(JSON.stringify(message));
    this.#host.scheduleFlush(this);
  }

  /** Tears down everything this client made on the graph. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#topics.values()) this.#dropTopic(t);
    this.#topics.clear();
    for (const topic of this.#advertised.keys()) this.#host.bridge.releasePublisher(topic, this);
    this.#advertised.clear();
    for (const s of this.#services.values()) s.destroy();
    this.#services.clear();
    for (const [, call] of this.#pendingCalls)
      call.reject(new Error(`rosbridge client ${this.id} disconnected`));
    this.#pendingCalls.clear();
    for (const a of this.#actions.values()) a.destroy();
    this.#actions.clear();
    for (const g of this.#goals.values()) if (g.handle?.accepted) void g.handle.cancel().catch(() => {});
    this.#goals.clear();
    this.#fragments.clear();
    this.queue.close();
  }

  // ---- decoding -------------------------------------------------------------------------

  #handleText(text: string): void {
    this.#handleParsed(parseRosbridgeText(text, CLIENT_OPS));
  }

  #handleParsed(parsed: ReturnType<typeof parseRosbridgeText>): void {
    if (!parsed.ok) {
      this.#error(parsed.issue.op, parsed.issue.id, parsed.issue.message);
      return;
    }
    const msg = parsed.message;
    if (!this.#authenticated && msg.op !== 'auth') {
      this.#error(msg.op, msg.id, `not authenticated: send {"op":"auth","token":...} first`);
      this.#closeAfterReplies(1008, 'authentication required');
      return;
    }
    try {
      this.#dispatch(msg);
    } catch (error) {
      this.#error(msg.op, msg.id, errorText(error));
      if (!(error instanceof UserError))
        this.#log.warn(`rosbridge ${this.id}: ${msg.op} failed: ${String(error)}`);
    }
  }

  #dispatch(msg: RosbridgeMessage): void {
    switch (msg.op) {
      case 'auth':
        this.#auth(msg.token ?? msg.mac, msg.id);
        break;
      case 'advertise':
        this.#advertise(msg);
        break;
      case 'unadvertise':
        this.#unadvertise(msg.topic, msg.id);
        break;
      case 'publish':
        this.#publish(msg);
        break;
      case 'subscribe':
        this.#subscribe(msg);
        break;
      case 'unsubscribe':
        this.#unsubscribe(msg);
        break;
      case 'call_service':
        void this.#callService(msg);
        break;
      case 'advertise_service':
        this.#advertiseService(msg);
        break;
      case 'unadvertise_service':
        this.#unadvertiseService(msg.service, msg.id);
        break;
      case 'service_response':
        this.#serviceResponse(msg);
        break;
      case 'send_action_goal':
        void this.#sendActionGoal(msg);
        break;
      case 'cancel_action_goal':
        this.#cancelActionGoal(msg);
        break;
      case 'advertise_action':
        this.#advertiseAction(msg);
        break;
      case 'unadvertise_action':
        this.#unadvertiseAction(msg.action, msg.id);
        break;
      case 'action_feedback':
        this.#actionFeedback(msg);
        break;
      case 'action_result':
        this.#actionResult(msg);
        break;
      case 'fragment':
        this.#fragment(msg);
        break;
      case 'set_level':
        this.#level = msg.level;
        break;
      case 'status':
        break; // not a client op: CLIENT_OPS refuses it before here
    }
  }

  // ---- auth -----------------------------------------------------------------------------

  #auth(token: string | undefined, id: RosbridgeId | undefined): void {
    const expected = this.#host.token;
    if (expected === undefined || this.#authenticated) return;
    if (token !== undefined && tokensEqual(token, expected)) {
      this.#authenticated = true;
      this.#status('info', 'authenticated', id);
      return;
    }
    this.#error('auth', id, 'wrong or missing token');
    this.#closeAfterReplies(1008, 'authentication failed');
  }

  /** Sends what is queued (the status saying why), then closes. */
  #closeAfterReplies(code: number, reason: string): void {
    this.queue.flush();
    this.#socket.close(code, reason);
  }

  // ---- topics ---------------------------------------------------------------------------

  #advertise(msg: AdvertiseMessage): void {
    const bridge = this.#host.bridge;
    const topic = bridge.node.resolveName(msg.topic);
    const source = `advertise ${topic}`;
    const type = bridge.resolveType(msg.type, 'msg', source);
    const existing = this.#advertised.get(topic);
    if (existing) {
      if (existing.type !== type) {
        throw new UserError(`already advertised as ${existing.type}; unadvertise it first`, { source });
      }
      return;
    }
    this.#advertised.set(topic, bridge.acquirePublisher(topic, type, msg.latch === true, this, source));
  }

  #unadvertise(rawTopic: string, id: RosbridgeId | undefined): void {
    const topic = this.#host.bridge.node.resolveName(rawTopic);
    if (!this.#advertised.delete(topic)) {
      this.#status('warning', `unadvertise: topic ${topic} is not advertised by this client`, id);
      return;
    }
    this.#host.bridge.releasePublisher(topic, this);
  }

  #publish(msg: PublishMessage): void {
    const bridge = this.#host.bridge;
    const topic = bridge.node.resolveName(msg.topic);
    let publisher = this.#advertised.get(topic);
    if (!publisher) {
      // roslib advertises first; other clients publish straight onto an existing topic, as rosbridge allows.
      const types = bridge.topicTypes(topic);
      if (types.length !== 1) {
        throw new UserError(
          types.length === 0
            ? 'topic does not exist: advertise it first (with its type)'
            : `topic has several types (${types.join(', ')}): advertise it first`,
          { source: `publish ${topic}` },
        );
      }
      publisher = bridge.acquirePublisher(topic, types[0]!, false, this, `publish ${topic}`);
      this.#advertised.set(topic, publisher);
    }
    const body = fillHeaderStamp(publisher.type, msg.msg, () => bridge.node.now());
    publisher.publish(fromRosbridgeJson(publisher.type, body, topic));
  }

  #subscribe(msg: SubscribeMessage): void {
    const bridge = this.#host.bridge;
    const topic = bridge.node.resolveName(msg.topic);
    const source = `subscribe ${topic}`;
    const known = bridge.topicTypes(topic);
    let type: string;
    if (msg.type !== undefined) {
      type = bridge.resolveType(msg.type, 'msg', source);
      if (known.length > 0 && !known.includes(type)) {
        throw new UserError(`topic has type ${known.join(', ')}, not ${type}`, { source });
      }
    } else if (known.length === 1) {
      type = known[0]!;
    } else {
      throw new UserError(
        known.length === 0
          ? 'topic does not exist yet and no type was given'
          : `topic has several types (${known.join(', ')}): give one`,
        { source },
      );
    }
    let compression = msg.compression ?? 'none';
    if (compression === 'png') {
      this.#status('warning', `${source}: png compression is not supported; sending JSON`, msg.id);
      compression = 'none';
    }
    let t = this.#topics.get(topic);
    if (t && t.fanout.type !== type) {
      throw new UserError(`already subscribed as ${t.fanout.type}; unsubscribe first`, { source });
    }
    const isNew = !t;
    if (!t) t = new ClientTopic(this, bridge.fanout(topic, type, source));
    const subId = msg.id === undefined ? '' : String(msg.id);
    const options: SubOptions = {
      throttleRate: msg.throttle_rate ?? 0,
      queueLength: msg.queue_length ?? 0,
      fragmentSize: msg.fragment_size,
      compression,
    };
    t.byId.set(subId, options);
    t.update(options, subId);
    if (isNew) {
      this.#topics.set(topic, t);
      t.fanout.add(t);
    }
  }

  #unsubscribe(msg: UnsubscribeMessage): void {
    const topic = this.#host.bridge.node.resolveName(msg.topic);
    const t = this.#topics.get(topic);
    if (!t) {
      this.#status('warning', `unsubscribe: not subscribed to ${topic}`, msg.id);
      return;
    }
    if (msg.id !== undefined && t.byId.size > 0) {
      const key = String(msg.id);
      if (!t.byId.delete(key)) {
        this.#status('warning', `unsubscribe: no subscription to ${topic} with id ${key}`, msg.id);
        return;
      }
    } else {
      t.byId.clear();
    }
    if (t.byId.size > 0) {
      const [lastId, last] = [...t.byId.entries()].at(-1)!;
      t.update(last, lastId);
      return;
    }
    this.#topics.delete(topic);
    this.#dropTopic(t);
  }

  #dropTopic(t: ClientTopic): void {
    t.close();
    t.fanout.remove(t);
    this.#host.bridge.releaseFanout(t.fanout);
  }

  // ---- services (client calls the graph) -------------------------------------------------

  async #callService(msg: CallServiceMessage): Promise<void> {
    const bridge = this.#host.bridge;
    let service = msg.service;
    const reply = (values: unknown, result: boolean) =>
      this.send({
        op: 'service_response',
        ...(msg.id === undefined ? {} : { id: msg.id }),
        service,
        values,
        result,
      });
    try {
      service = bridge.node.resolveName(msg.service, 'service');
      const source = `call_service ${service}`;
      let type: string;
      if (msg.type !== undefined) {
        type = bridge.resolveType(msg.type, 'srv', source);
      } else {
        const types = bridge.serviceTypes(service);
        if (types.length !== 1) {
          throw new UserError(
            types.length === 0
              ? 'no such service'
              : `service has several types (${types.join(', ')}): give one`,
            { source },
          );
        }
        type = types[0]!;
      }
      const request = fromRosbridgeJson(
        `${type}_Request`,
        argsToObject(`${type}_Request`, msg.args),
        `${service} request`,
      );
      const client = bridge.client(service, type);
      const response = await client.call(
        request,
        msg.timeout === undefined ? {} : { timeoutSeconds: msg.timeout },
      );
      if (this.#closed) return;
      reply(toRosbridgeJson(`${type}_Response`, response), true);
    } catch (error) {
      if (this.#closed) return;
      const text = errorText(error);
      reply(text, false);
      this.#error('call_service', msg.id, text);
    }
  }

  // ---- services (client serves the graph) -------------------------------------------------

  #advertiseService(msg: AdvertiseServiceMessage): void {
    const bridge = this.#host.bridge;
    const service = bridge.node.resolveName(msg.service, 'service');
    const source = `advertise_service ${service}`;
    const type = bridge.resolveType(msg.type, 'srv', source);
    this.#services.get(service)?.destroy();
    const others = bridge.serviceTypes(service);
    if (others.length > 0 && !this.#services.has(service)) {
      this.#status('warning', `${source}: the graph already has a server for it; calls may go there`, msg.id);
    }
    const graphService = bridge.node.createService(type as 'std_srvs/srv/Trigger', service, (request) =>
      this.#forwardCall(service, type, msg.type, request),
    );
    this.#services.set(service, {
      type,
      destroy: () => {
        graphService.destroy();
        this.#services.delete(service);
        for (const [key, call] of this.#pendingCalls) {
          if (call.service !== service) continue;
          this.#pendingCalls.delete(key);
          call.reject(new Error(`service ${service} was unadvertised by rosbridge client ${this.id}`));
        }
      },
    });
  }

  #forwardCall(service: string, type: string, _clientType: string, request: unknown): Promise<never> {
    const id = `service_request:${service}:${++this.#requestCounter}`;
    return new Promise((resolve, reject) => {
      this.#pendingCalls.set(id, { resolve: resolve as (r: unknown) => void, reject, service, type });
      this.send({ op: 'call_service', id, service, args: toRosbridgeJson(`${type}_Request`, request) });
    });
  }

  #unadvertiseService(rawService: string, id: RosbridgeId | undefined): void {
    const service = this.#host.bridge.node.resolveName(rawService, 'service');
    const s = this.#services.get(service);
    if (!s) {
      this.#status('warning', `unadvertise_service: ${service} is not advertised by this client`, id);
      return;
    }
    s.destroy();
  }

  #serviceResponse(msg: ServiceResponseMessage): void {
    const key = msg.id === undefined ? undefined : String(msg.id);
    const call = key === undefined ? undefined : this.#pendingCalls.get(key);
    if (!call || key === undefined) {
      throw new UserError(`no pending call with id ${describeValue(msg.id)}`, {
        source: `service_response ${msg.service}`,
      });
    }
    this.#pendingCalls.delete(key);
    if (!msg.result) {
      call.reject(new Error(`rosbridge client ${this.id} failed the call: ${describeValue(msg.values)}`));
      return;
    }
    try {
      call.resolve(
        fromRosbridgeJson(`${call.type}_Response`, msg.values ?? {}, `service_response ${call.service}`),
      );
    } catch (error) {
      call.reject(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  // ---- actions (client sends goals to the graph) -------------------------------------------

  async #sendActionGoal(msg: SendActionGoalMessage): Promise<void> {
    const bridge = this.#host.bridge;
    let action = msg.action;
    const key = msg.id === undefined ? undefined : String(msg.id);
    const withId = msg.id === undefined ? {} : { id: msg.id };
    const fail = (text: string) => {
      this.send({
        op: 'action_result',
        ...withId,
        action,
        values: text,
        status: GoalStatus.STATUS_UNKNOWN,
        result: false,
      });
      this.#error('send_action_goal', msg.id, text);
    };
    let goalEntry: OutgoingGoal | undefined;
    try {
      action = bridge.node.resolveName(msg.action, 'action');
      const source = `send_action_goal ${action}`;
      const type = bridge.resolveType(msg.action_type, 'action', source);
      const goal = fromRosbridgeJson(
        `${type}_Goal`,
        argsToObject(`${type}_Goal`, msg.args),
        `${action} goal`,
      );
      const client = bridge.actionClient(action, type);
      if (!client.isServerAvailable()) throw new UserError('no action server is available', { source });
      goalEntry = { action, handle: undefined, cancelRequested: false };
      if (key !== undefined) this.#goals.set(key, goalEntry);
      const feedbackType = `${type}_Feedback`;
      const handle = await client.sendGoal(goal, {
        ...(msg.feedback
          ? {
              onFeedback: (fb: unknown) =>
                this.send({
                  op: 'action_feedback',
                  ...withId,
                  action,
                  values: toRosbridgeJson(feedbackType, fb),
                }),
            }
          : {}),
      });
      if (this.#closed) {
        if (handle.accepted) void handle.cancel().catch(() => {});
        return;
      }
      goalEntry.handle = handle;
      if (!handle.accepted) {
        fail(`goal was rejected by ${action}`);
        return;
      }
      if (goalEntry.cancelRequested) void handle.cancel().catch(() => {});
      const r = await handle.result();
      if (this.#closed) return;
      this.send({
        op: 'action_result',
        ...withId,
        action,
        values: toRosbridgeJson(`${type}_Result`, r.result),
        status: r.status,
        result: true,
      });
    } catch (error) {
      if (!this.#closed) fail(errorText(error));
    } finally {
      if (key !== undefined && this.#goals.get(key) === goalEntry) this.#goals.delete(key);
    }
  }

  #cancelActionGoal(msg: CancelActionGoalMessage): void {
    const key = String(msg.id);
    const goal = this.#goals.get(key);
    if (!goal) {
      throw new UserError(`no goal in progress with id ${JSON.stringify(msg.id)}`, {
        source: `cancel_action_goal ${msg.action}`,
      });
    }
    if (goal.handle)
      void goal.handle
        .cancel()
        .catch((e: unknown) => this.#error('cancel_action_goal', msg.id, errorText(e)));
    else goal.cancelRequested = true;
  }

  // ---- actions (client serves goals from the graph) ------------------------------------------

  #advertiseAction(msg: AdvertiseActionMessage): void {
    const bridge = this.#host.bridge;
    const action = bridge.node.resolveName(msg.action, 'action');
    const source = `advertise_action ${action}`;
    const type = bridge.resolveType(msg.type, 'action', source);
    this.#actions.get(action)?.destroy();
    const goals = new Map<string, ExternalGoal>();
    let counter = 0;
    const server = bridge.node.createActionServer(
      type as 'control_msgs/action/FollowJointTrajectory',
      action,
      {
        execute: (handle) =>
          new Promise((resolve) => {
            const id = `action_goal:${action}:${++counter}`;
            goals.set(id, {
              handle: handle as ServerGoalHandle<unknown, unknown, unknown>,
              resolve: resolve as (r: unknown) => void,
              action,
              type,
            });
            this.send({
              op: 'send_action_goal',
              id,
              action,
              action_type: msg.type,
              args: toRosbridgeJson(`${type}_Goal`, handle.goal),
              feedback: true,
            });
          }),
        onCancel: (handle) => {
          for (const [id, g] of goals) {
            if (g.handle === (handle as unknown)) this.send({ op: 'cancel_action_goal', id, action });
          }
          return true;
        },
      },
    );
    const empty = () => bridge.context.validator.defaultMessage?.(`${type}_Result`) ?? {};
    this.#actions.set(action, {
      type,
      goals,
      destroy: () => {
        for (const g of goals.values()) {
          g.handle.abort();
          g.resolve(empty());
        }
        goals.clear();
        server.destroy();
        this.#actions.delete(action);
      },
    });
  }

  #unadvertiseAction(rawAction: string, id: RosbridgeId | undefined): void {
    const action = this.#host.bridge.node.resolveName(rawAction, 'action');
    const a = this.#actions.get(action);
    if (!a) {
      this.#status('warning', `unadvertise_action: ${action} is not advertised by this client`, id);
      return;
    }
    a.destroy();
  }

  #externalGoal(msg: ActionFeedbackMessage | ActionResultMessage): ExternalGoal {
    const action = this.#host.bridge.node.resolveName(msg.action, 'action');
    const goal = this.#actions.get(action)?.goals.get(String(msg.id));
    if (!goal) {
      throw new UserError(`no goal in progress with id ${JSON.stringify(msg.id)}`, {
        source: `${msg.op} ${action}`,
      });
    }
    return goal;
  }

  #actionFeedback(msg: ActionFeedbackMessage): void {
    const g = this.#externalGoal(msg);
    g.handle.publishFeedback(fromRosbridgeJson(`${g.type}_Feedback`, msg.values, `${g.action} feedback`));
  }

  #actionResult(msg: ActionResultMessage): void {
    const g = this.#externalGoal(msg);
    const ok = msg.result && msg.status === GoalStatus.STATUS_SUCCEEDED;
    let result: unknown;
    try {
      result = fromRosbridgeJson(
        `${g.type}_Result`,
        msg.values !== null && typeof msg.values === 'object' ? msg.values : {},
        `${g.action} result`,
      );
    } catch (error) {
      g.handle.abort();
      g.resolve(this.#host.bridge.context.validator.defaultMessage?.(`${g.type}_Result`) ?? {});
      this.#actions.get(g.action)?.goals.delete(String(msg.id));
      throw error;
    }
    if (ok) g.handle.succeed();
    else if (msg.status === GoalStatus.STATUS_CANCELED) g.handle.canceled();
    else g.handle.abort();
    this.#actions.get(g.action)?.goals.delete(String(msg.id));
    g.resolve(result);
  }

  // ---- fragments --------------------------------------------------------------------------

  #fragment(msg: FragmentMessage): void {
    const key = String(msg.id);
    const source = `fragment ${key}`;
    if (msg.total > MAX_FRAGMENTS)
      throw new UserError(`total ${msg.total} exceeds ${MAX_FRAGMENTS}`, { source });
    if (msg.num >= msg.total)
      throw new UserError(`num ${msg.num} is not below total ${msg.total}`, { source });
    let f = this.#fragments.get(key);
    if (f && f.total !== msg.total) {
      this.#fragments.delete(key);
      throw new UserError(`total changed from ${f.total} to ${msg.total}; message dropped`, { source });
    }
    if (!f) {
      if (this.#fragments.size >= MAX_OPEN_FRAGMENTED) {
        const oldest = this.#fragments.keys().next().value as string;
        this.#fragments.delete(oldest);
        this.#status('warning', `fragment: too many unfinished messages; dropped the one with id ${oldest}`);
      }
      f = { total: msg.total, parts: new Array(msg.total), count: 0, chars: 0 };
      this.#fragments.set(key, f);
    }
    if (f.parts[msg.num] === undefined) f.count++;
    else f.chars -= f.parts[msg.num]!.length;
    f.parts[msg.num] = msg.data;
    f.chars += msg.data.length;
    if (f.chars > this.#host.maxMessageBytes) {
      this.#fragments.delete(key);
      throw new UserError(`reassembled message exceeds ${this.#host.maxMessageBytes} bytes; dropped`, {
        source,
      });
    }
    if (f.count < f.total) return;
    this.#fragments.delete(key);
    const parsed = parseRosbridgeText(f.parts.join(''), CLIENT_OPS);
    if (parsed.ok && parsed.message.op === 'fragment') {
      throw new UserError('a reassembled message may not itself be a fragment', { source });
    }
    this.#handleParsed(parsed);
  }

  // ---- status -----------------------------------------------------------------------------

  #error(op: string | undefined, id: RosbridgeId | undefined, text: string): void {
    this.#host.countError();
    const where = op === undefined ? '' : `${op}${id === undefined ? '' : ` (id ${JSON.stringify(id)})`}: `;
    const message = text.startsWith(where) ? text : `${where}${text}`;
    this.#log.debug(`rosbridge ${this.id}: ${message}`);
    this.#status('error', message, id);
  }

  #status(level: Exclude<StatusLevel, 'none'>, msg: string, id?: RosbridgeId): void {
    if (STATUS_LEVELS.indexOf(level) < STATUS_LEVELS.indexOf(this.#level)) return;
    this.send({ op: 'status', ...(id === undefined ? {} : { id }), level, msg });
  }
}

/** Service and goal args: an object as is; a list (ROS 1 positional form) mapped onto the fields in order. */
function argsToObject(type: string, args: unknown): unknown {
  if (args === undefined) return {};
  if (!Array.isArray(args)) return args;
  const fields = messageDefinition(type).fields.filter((f) => !f.isConstant);
  if (args.length > fields.length) {
    throw new UserError(`${args.length} positional args for ${type}, which has ${fields.length} fields`, {
      source: 'args',
    });
  }
  const out: Record<string, unknown> = {};
  args.forEach((v, i) => {
    out[fields[i]!.name] = v;
  });
  return out;
}

/**
 * rosbridge's publish rule: a message of a type with a top-level std_msgs/Header may omit the
 * header or its stamp, and gets the current (graph) time.
 */
function fillHeaderStamp(
  type: string,
  msg: Record<string, unknown>,
  now: () => unknown,
): Record<string, unknown> {
  const header = messageDefinition(type).fields.find(
    (f) => f.name === 'header' && f.type === 'std_msgs/msg/Header',
  );
  if (!header) return msg;
  const h = msg.header;
  if (h === undefined) return { ...msg, header: { stamp: now(), frame_id: '' } };
  if (h !== null && typeof h === 'object' && !Array.isArray(h) && !('stamp' in h)) {
    return { ...msg, header: { ...h, stamp: now() } };
  }
  return msg;
}

/** Constant-time comparison (of digests, so the lengths do not leak either). */
export function tokensEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
