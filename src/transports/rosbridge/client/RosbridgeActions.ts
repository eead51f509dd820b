/**
 * Graph actions over rosbridge's action ops, as rosbridge_suite implements them for ROS 2
 * (ROSBRIDGE_PROTOCOL.md 3.2.10-3.2.15; capabilities send_action_goal, advertise_action,
 * action_feedback, action_result). A rosbridge server does not expose an action's hidden
 * `_action/*` services and topics, so the graph's five endpoints of an action are mapped here:
 *
 * Action client (the graph sends goals to a server behind rosbridge):
 * - `_action/send_goal` call -> `send_action_goal {id, action, action_type, args, feedback: true}`.
 *   rosbridge sends no "accepted" message. The goal counts as accepted at its first
 *   `action_feedback`, at a successful `action_result`, or when `acceptWindowMs` passes without a
 *   refusal; an `action_result` with `result: false` before that is a rejection ("Action goal was
 *   rejected") or a failure to send ("No action server available"), which fails the call.
 * - `action_feedback {id, values}` -> a `_action/feedback` message `{goal_id, feedback}`.
 * - `action_result {id, values, status, result}` -> the `_action/get_result` response
 *   `{status, result}`; `_action/status` subscribers get a synthesized GoalStatusArray.
 * - `_action/cancel_goal` call -> `cancel_action_goal {id, action}`. rosbridge does not answer a
 *   cancel; the goal then ends with `action_result` status 5 (canceled) or finishes anyway.
 * - A lost link fails every goal in flight at once: rosbridge ties goals to the connection, so
 *   after a drop their outcome is unknown.
 *
 * Action server (the graph serves an action to the graph behind rosbridge):
 * - Serving `_action/send_goal` -> `advertise_action {action, type}` (again after each reconnect);
 *   closing it -> `unadvertise_action`.
 * - `send_action_goal {id, args}` from the server -> the graph's send_goal, then get_result;
 *   answered by `action_result {id, values, status, result: true}`. rosbridge_server has already
 *   accepted the goal on the ROS side, so a goal the graph rejects ends `result: false` (aborted).
 * - `_action/feedback` publishes -> `action_feedback {id, values}`; `cancel_action_goal {id}` ->
 *   the graph's cancel_goal. `_action/status` publishes are dropped: rosbridge has no op for them.
 */

import { GoalStatus, type GoalUuid, goalIdKey, isTerminal } from '../../../graph/GoalStatus.ts';
import { GraphError } from '../../../graph/GraphError.ts';
import type { Logger } from '../../../graph/Logger.ts';
import type { Time } from '../../../graph/types.ts';
import { decodeRosbridgeJson, toRosbridgeJson } from '../../../msgs/rosbridgeJson.ts';
import type {
  MessageInfo,
  PublisherHandle,
  RequestId,
  ServiceClientHandle,
  ServiceEndpoint,
  ServiceHandle,
  ServiceHandler,
  SubscriptionHandle,
  TopicEndpoint,
} from '../../Transport.ts';
import { replyLatch } from '../../Transport.ts';
import {
  type ActionFeedbackMessage,
  type ActionResultMessage,
  type CancelActionGoalMessage,
  describeValue,
  type RosbridgeId,
  type SendActionGoalMessage,
} from '../protocol.ts';
import { LinkServiceClient } from './LinkServiceClient.ts';

/** What the action mapping needs from the transport that owns it. */
export interface ActionLink {
  readonly url: string;
  readonly connected: boolean;
  readonly logger: Logger;
  /** Sends one op if the link is up; drops it otherwise. */
  send(op: Record<string, unknown>): void;
  /** Counts and logs a frame that names nothing this client knows. */
  bad(what: string): void;
}

export interface RosbridgeActionOptions {
  /**
   * A goal neither refused nor answered within this long counts as accepted, ms. rosbridge has
   * no "accepted" message; rosbridge_server waits up to 1 s for a missing action server before it
   * reports one, so keep this above 1000 to have that reported as a failed `sendGoal`. Goals
   * whose server sends feedback are accepted at the first feedback, sooner. @default 1500
   */
  acceptWindowMs: number;
  /** Finished goals whose results stay available to `get_result`. @default 256 */
  resultCacheSize: number;
}

/** The endpoints of one action, from a name the graph built (`/ns/act/_action/send_goal`). */
export type ActionEndpointKind = 'send_goal' | 'cancel_goal' | 'get_result' | 'feedback' | 'status';

const ACTION_ENDPOINT = /^(\/.*)\/_action\/(send_goal|cancel_goal|get_result|feedback|status)$/;
const TYPE_SUFFIX: Partial<Record<ActionEndpointKind, string>> = {
  send_goal: '_SendGoal',
  get_result: '_GetResult',
  feedback: '_FeedbackMessage',
};

/** The action and endpoint kind of a hidden action endpoint name, or undefined for any other name. */
export function parseActionEndpoint(name: string): { action: string; kind: ActionEndpointKind } | undefined {
  const m = ACTION_ENDPOINT.exec(name);
  return m ? { action: m[1]!, kind: m[2] as ActionEndpointKind } : undefined;
}

/** `control_msgs/action/GripperCommand` from `control_msgs/action/GripperCommand_SendGoal` etc. */
function actionTypeOf(kind: ActionEndpointKind, endpointType: string): string | undefined {
  const suffix = TYPE_SUFFIX[kind];
  return suffix && endpointType.endsWith(suffix) ? endpointType.slice(0, -suffix.length) : undefined;
}

type Outcome = { ok: true; status: number; result: unknown } | { ok: false; error: Error };

/** A goal this client sent. */
interface OutgoingGoal {
  /** The rosbridge interaction id. */
  id: string;
  key: string;
  goalId: GoalUuid;
  action: string;
  type: string;
  stamp: Time;
  phase: 'sending' | 'accepted' | 'done';
  status: number;
  accept:
    | { resolve: (r: { accepted: boolean; stamp: Time }) => void; reject: (e: Error) => void }
    | undefined;
  acceptTimer: ReturnType<typeof setTimeout> | undefined;
  outcome: Outcome | undefined;
  waiters: Array<{ resolve: (r: unknown) => void; reject: (e: Error) => void }>;
}

/** A goal the server forwarded to an action this client serves. */
interface IncomingGoal {
  id: RosbridgeId;
  key: string;
  goalId: GoalUuid;
}

interface ServedAction {
  action: string;
  type: string | undefined;
  sendGoal: ServiceHandler | undefined;
  cancelGoal: ServiceHandler | undefined;
  getResult: ServiceHandler | undefined;
  /** By rosbridge id (as a string). */
  goals: Map<string, IncomingGoal>;
  /** Rosbridge id by goal key, for feedback. */
  idByKey: Map<string, RosbridgeId>;
}

export class RosbridgeActions {
  readonly #link: ActionLink;
  readonly #options: RosbridgeActionOptions;
  /** Goals in flight, by rosbridge id. */
  readonly #goals = new Map<string, OutgoingGoal>();
  /** Every known goal (in flight and recently finished), by goal key. */
  readonly #byKey = new Map<string, OutgoingGoal>();
  readonly #feedbackSubs = new Map<string, Set<ActionSubscription>>();
  readonly #statusSubs = new Map<string, Set<ActionSubscription>>();
  readonly #served = new Map<string, ServedAction>();
  #nextId = 1;
  #nextRequest = 1;
  #finished = 0;

  constructor(link: ActionLink, options: Partial<RosbridgeActionOptions> = {}) {
    this.#link = link;
    this.#options = {
      acceptWindowMs: options.acceptWindowMs ?? 1500,
      resultCacheSize: options.resultCacheSize ?? 256,
    };
  }

  /** Actions this client serves (advertised with advertise_action). */
  get servedActions(): string[] {
    return [...this.#served.values()].filter((s) => s.sendGoal).map((s) => s.action);
  }

  /** Goals this client has sent that have not finished. */
  get goalsInFlight(): number {
    return this.#goals.size;
  }

  // ---- the graph's side: endpoints ----------------------------------------------------------

  createClient(endpoint: ServiceEndpoint, kind: ActionEndpointKind, action: string): ServiceClientHandle {
    return new LinkServiceClient(
      endpoint.service,
      () => this.#link.connected,
      (request) => this.#call(kind, endpoint, action, request),
    );
  }

  advertiseService(
    endpoint: ServiceEndpoint,
    kind: ActionEndpointKind,
    action: string,
    handler: ServiceHandler,
  ): ServiceHandle {
    const served = this.#servedEntry(action);
    const type = actionTypeOf(kind, endpoint.type);
    if (type) served.type = type;
    if (kind === 'send_goal') {
      served.sendGoal = handler;
      this.#advertise(served);
    } else if (kind === 'cancel_goal') served.cancelGoal = handler;
    else served.getResult = handler;
    return {
      close: () => {
        const s = this.#served.get(action);
        if (!s) return;
        if (kind === 'send_goal' && s.sendGoal === handler) {
          s.sendGoal = undefined;
          this.#link.send({ op: 'unadvertise_action', action });
        } else if (kind === 'cancel_goal' && s.cancelGoal === handler) s.cancelGoal = undefined;
        else if (kind === 'get_result' && s.getResult === handler) s.getResult = undefined;
        if (!s.sendGoal && !s.cancelGoal && !s.getResult) this.#served.delete(action);
      },
    };
  }

  subscribe(
    endpoint: TopicEndpoint,
    kind: ActionEndpointKind,
    action: string,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    const map = kind === 'feedback' ? this.#feedbackSubs : this.#statusSubs;
    const set = map.get(action) ?? new Set<ActionSubscription>();
    map.set(action, set);
    const sub = new ActionSubscription(this.#link, endpoint, onMessage, () => {
      set.delete(sub);
      if (set.size === 0 && map.get(action) === set) map.delete(action);
    });
    set.add(sub);
    return sub;
  }

  advertise(endpoint: TopicEndpoint, kind: ActionEndpointKind, action: string): PublisherHandle {
    const type = actionTypeOf(kind, endpoint.type);
    if (type) this.#servedEntry(action).type = type;
    return new ActionPublisher(this.#link, (msg) => {
      if (kind === 'feedback') this.#sendFeedback(action, msg);
      // Status: rosbridge has no op for it; the server derives status from feedback and result.
    });
  }

  // ---- the link ----------------------------------------------------------------------------

  /** Re-advertises every served action: a new connection knows nothing of the old one. */
  onConnected(): void {
    for (const s of this.#served.values()) this.#advertise(s);
  }

  /** Fails every goal in flight and cancels every served goal: rosbridge ties goals to the link. */
  onDisconnected(why: string): void {
    for (const g of [...this.#goals.values()]) {
      this.#fail(
        g,
        new Error(
          `${why} while goal ${g.key} on ${g.action} was in progress; its outcome is unknown ` +
            '(the server drops a client’s goals with its connection)',
        ),
      );
    }
    for (const s of this.#served.values()) {
      const goals = [...s.goals.values()];
      s.goals.clear();
      s.idByKey.clear();
      for (const g of goals) this.#cancelServed(s, g, `${why}: the goal's client is gone`);
    }
  }

  destroy(why: string): void {
    for (const g of [...this.#goals.values()]) this.#fail(g, new Error(why));
    for (const set of [...this.#feedbackSubs.values(), ...this.#statusSubs.values()]) {
      for (const sub of [...set]) sub.close();
    }
    this.#served.clear();
    this.#byKey.clear();
  }

  // ---- incoming ops ------------------------------------------------------------------------

  onFeedback(m: ActionFeedbackMessage): void {
    const g = this.#goals.get(String(m.id));
    if (!g) {
      // Normal for a goal sent with feedback on, after its result or a drop: say it quietly.
      this.#link.logger.debug(`rosbridge: action_feedback for ${m.action} id ${String(m.id)}: no such goal`);
      return;
    }
    this.#accepted(g, GoalStatus.STATUS_EXECUTING);
    let feedback: unknown;
    try {
      feedback = decodeRosbridgeJson(`${g.type}_Feedback`, m.values);
    } catch {
      feedback = m.values; // the graph's validation names what is wrong
    }
    const subs = this.#feedbackSubs.get(g.action);
    if (!subs) return;
    const msg = { goal_id: g.goalId, feedback };
    for (const sub of [...subs]) sub.deliver(msg);
  }

  onResult(m: ActionResultMessage): void {
    const g = this.#goals.get(String(m.id));
    if (!g) {
      this.#link.bad(`action_result for ${m.action} with id ${String(m.id)} matches no goal in flight`);
      return;
    }
    if (m.result) {
      let result: unknown;
      try {
        result = decodeRosbridgeJson(`${g.type}_Result`, isObject(m.values) ? m.values : {});
      } catch {
        result = m.values;
      }
      this.#accepted(g, GoalStatus.STATUS_EXECUTING);
      this.#finish(g, { ok: true, status: m.status, result });
      return;
    }
    const text = typeof m.values === 'string' ? m.values : describeValue(m.values ?? null);
    const rejected = /reject/i.test(text);
    if (g.phase === 'sending') {
      if (rejected) {
        const accept = g.accept;
        this.#settleAccept(g);
        this.#forget(g);
        accept?.resolve({ accepted: false, stamp: g.stamp });
        return;
      }
      this.#fail(g, new Error(`the rosbridge server at ${this.#link.url} could not send the goal: ${text}`));
      return;
    }
    // Refused after the accept window gave it up as accepted: the handle says accepted, so the
    // result is what reports the refusal.
    const error = rejected
      ? new GraphError('GOAL_REJECTED', `goal ${g.key} was rejected by ${g.action}: ${text}`)
      : new Error(`goal ${g.key} on ${g.action} failed on the rosbridge server: ${text}`);
    this.#fail(g, error);
  }

  /** A goal for an action this client serves. */
  async onSendGoal(m: SendActionGoalMessage): Promise<void> {
    const action = absolute(m.action);
    const served = this.#served.get(action);
    const fail = (why: string) => {
      this.#link.logger.warn(`rosbridge: goal ${String(m.id)} for ${action}: ${why}`);
      // result false: rosbridge_server aborts the goal (it accepted it on the ROS side already).
      this.#sendResult(m.id, action, GoalStatus.STATUS_ABORTED, false, {});
    };
    if (!served?.sendGoal || !served.getResult || !served.type) {
      this.#link.bad(`send_action_goal for ${action}, which this client does not serve`);
      this.#sendResult(m.id, action, GoalStatus.STATUS_ABORTED, false, {});
      return;
    }
    if (m.id === undefined) {
      fail('it has no id, so its feedback and result could not be matched; refused');
      return;
    }
    const type = served.type;
    const key = String(m.id);
    const goalId: GoalUuid = { uuid: crypto.getRandomValues(new Uint8Array(16)) };
    const goalKey = goalIdKey(goalId);
    const incoming: IncomingGoal = { id: m.id, key: goalKey, goalId };
    served.goals.set(key, incoming);
    served.idByKey.set(goalKey, m.id);
    const done = () => {
      if (served.goals.get(key) === incoming) served.goals.delete(key);
      if (served.idByKey.get(goalKey) === m.id) served.idByKey.delete(goalKey);
    };
    try {
      let goal: unknown;
      try {
        goal = decodeRosbridgeJson(`${type}_Goal`, argsToObject(m.args));
      } catch {
        goal = m.args;
      }
      const response = (await this.#callServed(served.sendGoal, { goal_id: goalId, goal })) as {
        accepted?: unknown;
      };
      if (response?.accepted !== true) {
        done();
        fail(`rejected by the action server`);
        return;
      }
      const r = (await this.#callServed(served.getResult, { goal_id: goalId })) as {
        status: number;
        result: unknown;
      };
      const live = served.goals.get(key) === incoming;
      done();
      if (!live) return; // the link dropped meanwhile; the server has forgotten the goal
      this.#sendResult(m.id, action, r.status, true, toRosbridgeJson(`${type}_Result`, r.result));
    } catch (error) {
      done();
      fail(error instanceof Error ? error.message : String(error));
    }
  }

  onCancelGoal(m: CancelActionGoalMessage): void {
    const action = absolute(m.action);
    const served = this.#served.get(action);
    const goal = served?.goals.get(String(m.id));
    if (!served || !goal) {
      this.#link.logger.debug(`rosbridge: cancel_action_goal for ${action} id ${String(m.id)}: no such goal`);
      return;
    }
    this.#cancelServed(served, goal, 'cancel_action_goal');
  }

  // ---- calls from the graph's action client -------------------------------------------------

  #call(
    kind: ActionEndpointKind,
    endpoint: ServiceEndpoint,
    action: string,
    request: unknown,
  ): Promise<unknown> {
    if (!this.#link.connected) {
      return Promise.reject(new Error(`not connected to the rosbridge server at ${this.#link.url}`));
    }
    if (kind === 'send_goal') return this.#sendGoal(endpoint, action, request);
    if (kind === 'get_result') return this.#getResult(action, request);
    return Promise.resolve(this.#cancel(action, request));
  }

  #sendGoal(endpoint: ServiceEndpoint, action: string, request: unknown): Promise<unknown> {
    const type = actionTypeOf('send_goal', endpoint.type);
    const req = request as { goal_id?: GoalUuid; goal?: unknown } | undefined;
    if (!type || !req?.goal_id) {
      return Promise.reject(new Error(`${endpoint.service}: not a ${endpoint.type} request`));
    }
    const id = `send_action_goal:${action}:${this.#nextId++}`;
    const g: OutgoingGoal = {
      id,
      key: goalIdKey(req.goal_id),
      goalId: req.goal_id,
      action,
      type,
      stamp: wallTime(),
      phase: 'sending',
      status: GoalStatus.STATUS_UNKNOWN,
      accept: undefined,
      acceptTimer: undefined,
      outcome: undefined,
      waiters: [],
    };
    const promise = new Promise<{ accepted: boolean; stamp: Time }>((resolve, reject) => {
      g.accept = { resolve, reject };
    });
    this.#goals.set(id, g);
    this.#byKey.set(g.key, g);
    g.acceptTimer = setTimeout(
      () => this.#accepted(g, GoalStatus.STATUS_ACCEPTED),
      this.#options.acceptWindowMs,
    );
    g.acceptTimer.unref?.();
    this.#link.send({
      op: 'send_action_goal',
      id,
      action,
      action_type: type,
      args: toRosbridgeJson(`${type}_Goal`, req.goal),
      feedback: true,
    });
    return promise;
  }

  #getResult(action: string, request: unknown): Promise<unknown> {
    const goalId = (request as { goal_id?: GoalUuid } | undefined)?.goal_id;
    const g = goalId ? this.#byKey.get(goalIdKey(goalId)) : undefined;
    if (!g || g.action !== action || g.phase === 'sending') {
      // As an rclpy server answers an unknown goal: status unknown, an empty result.
      const type = g?.type;
      return Promise.resolve({
        status: GoalStatus.STATUS_UNKNOWN,
        result: type ? decodeRosbridgeJson(`${type}_Result`, {}) : {},
      });
    }
    return new Promise((resolve, reject) => {
      g.waiters.push({ resolve, reject });
      if (g.outcome) this.#settleWaiters(g);
    });
  }

  #cancel(action: string, request: unknown): unknown {
    const info = (request as { goal_info?: { goal_id?: GoalUuid } } | undefined)?.goal_info;
    const key = info?.goal_id ? goalIdKey(info.goal_id) : '';
    const all = /^0*$/.test(key);
    const targets = all
      ? [...this.#goals.values()].filter((g) => g.action === action)
      : [this.#byKey.get(key)].filter((g): g is OutgoingGoal => g !== undefined && g.action === action);
    if (!all && targets.length === 0) return { return_code: 2, goals_canceling: [] }; // ERROR_UNKNOWN_GOAL_ID
    const canceling = targets.filter((g) => g.phase !== 'done');
    if (!all && canceling.length === 0) return { return_code: 3, goals_canceling: [] }; // ERROR_GOAL_TERMINATED
    for (const g of canceling) {
      this.#link.send({ op: 'cancel_action_goal', id: g.id, action });
      if (g.phase === 'accepted') this.#setStatus(g, GoalStatus.STATUS_CANCELING);
    }
    return { return_code: 0, goals_canceling: canceling.map((g) => ({ goal_id: g.goalId, stamp: g.stamp })) };
  }

  // ---- goal bookkeeping ---------------------------------------------------------------------

  #accepted(g: OutgoingGoal, status: number): void {
    if (g.phase !== 'sending') {
      if (g.phase === 'accepted' && status > g.status && !isTerminal(status)) this.#setStatus(g, status);
      return;
    }
    g.phase = 'accepted';
    const accept = g.accept;
    this.#settleAccept(g);
    accept?.resolve({ accepted: true, stamp: g.stamp });
    // The graph makes the goal's handle once the send_goal answer has gone through its promise
    // chain; a status sent before that would find no handle.
    g.status = status;
    setImmediate(() => {
      if (g.phase === 'accepted' && g.status === status) this.#setStatus(g, status);
    });
  }

  #finish(g: OutgoingGoal, outcome: Outcome): void {
    this.#settleAccept(g);
    g.phase = 'done';
    g.outcome = outcome;
    this.#goals.delete(g.id);
    if (outcome.ok) this.#setStatus(g, outcome.status);
    this.#settleWaiters(g);
    this.#finished++;
    this.#expire();
  }

  /** Fails a goal: the send_goal call if it is still pending, else its result. */
  #fail(g: OutgoingGoal, error: Error): void {
    if (g.phase === 'done') return;
    const accept = g.accept;
    if (g.phase === 'sending') {
      this.#settleAccept(g);
      this.#forget(g);
      accept?.reject(error);
      return;
    }
    this.#finish(g, { ok: false, error });
  }

  #settleAccept(g: OutgoingGoal): void {
    clearTimeout(g.acceptTimer);
    g.acceptTimer = undefined;
    g.accept = undefined;
  }

  #settleWaiters(g: OutgoingGoal): void {
    const outcome = g.outcome;
    if (!outcome) return;
    const waiters = g.waiters.splice(0);
    for (const w of waiters) {
      if (outcome.ok) w.resolve({ status: outcome.status, result: outcome.result });
      else w.reject(outcome.error);
    }
  }

  #forget(g: OutgoingGoal): void {
    g.phase = 'done';
    this.#goals.delete(g.id);
    if (this.#byKey.get(g.key) === g) this.#byKey.delete(g.key);
  }

  /** Keeps at most `resultCacheSize` finished goals for late get_result calls. */
  #expire(): void {
    if (this.#finished <= this.#options.resultCacheSize) return;
    for (const [key, g] of this.#byKey) {
      if (this.#finished <= this.#options.resultCacheSize) break;
      if (g.phase !== 'done' || g.waiters.length) continue;
      this.#byKey.delete(key);
      this.#finished--;
    }
  }

  #setStatus(g: OutgoingGoal, status: number): void {
    g.status = status;
    const subs = this.#statusSubs.get(g.action);
    if (!subs) return;
    const msg = { status_list: [{ goal_info: { goal_id: g.goalId, stamp: g.stamp }, status }] };
    for (const sub of [...subs]) sub.deliver(msg);
  }

  // ---- served actions -----------------------------------------------------------------------

  #servedEntry(action: string): ServedAction {
    let s = this.#served.get(action);
    if (!s) {
      s = {
        action,
        type: undefined,
        sendGoal: undefined,
        cancelGoal: undefined,
        getResult: undefined,
        goals: new Map(),
        idByKey: new Map(),
      };
      this.#served.set(action, s);
    }
    return s;
  }

  #advertise(s: ServedAction): void {
    if (s.sendGoal && s.type) this.#link.send({ op: 'advertise_action', action: s.action, type: s.type });
  }

  #sendFeedback(action: string, msg: unknown): void {
    const s = this.#served.get(action);
    const m = msg as { goal_id?: GoalUuid; feedback?: unknown } | undefined;
    if (!s?.type || !m?.goal_id) return;
    const id = s.idByKey.get(goalIdKey(m.goal_id));
    if (id === undefined) return; // a goal from before a reconnect: its client is gone
    this.#link.send({
      op: 'action_feedback',
      id,
      action,
      values: toRosbridgeJson(`${s.type}_Feedback`, m.feedback),
    });
  }

  #sendResult(id: RosbridgeId | undefined, action: string, status: number, result: boolean, values: unknown) {
    this.#link.send({
      op: 'action_result',
      ...(id === undefined ? {} : { id }),
      action,
      values,
      status,
      result,
    });
  }

  #cancelServed(s: ServedAction, g: IncomingGoal, why: string): void {
    const cancel = s.cancelGoal;
    if (!cancel) return;
    Promise.resolve()
      .then(() =>
        this.#callServed(cancel, { goal_info: { goal_id: g.goalId, stamp: { sec: 0, nanosec: 0 } } }),
      )
      .catch((error: unknown) =>
        this.#link.logger.warn(
          `rosbridge: canceling goal ${g.key} on ${s.action} (${why}) failed: ${String(error)}`,
        ),
      );
  }

  /** Calls a served action handler whose reply this class reads itself: replied once it returns. */
  async #callServed(handler: ServiceHandler, request: unknown): Promise<unknown> {
    const { replied, settle } = replyLatch();
    try {
      return await handler(request, this.#requestId(), replied);
    } finally {
      settle();
    }
  }

  #requestId(): RequestId {
    return { clientId: 0, sequenceNumber: this.#nextRequest++ };
  }
}

class ActionSubscription implements SubscriptionHandle {
  readonly lost = 0;
  readonly #link: ActionLink;
  readonly #endpoint: TopicEndpoint;
  readonly #onMessage: (msg: unknown, info: MessageInfo) => void;
  readonly #onClose: () => void;
  #closed = false;
  #sequence = 0;

  constructor(
    link: ActionLink,
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
    onClose: () => void,
  ) {
    this.#link = link;
    this.#endpoint = endpoint;
    this.#onMessage = onMessage;
    this.#onClose = onClose;
  }

  /** The server counts as one publisher while connected. */
  get publisherCount(): number {
    return !this.#closed && this.#link.connected ? 1 : 0;
  }

  deliver(msg: unknown): void {
    if (this.#closed) return;
    try {
      this.#onMessage(msg, { publisherId: 0, sequenceNumber: ++this.#sequence });
    } catch (error) {
      console.error(`rosbridge: callback on ${this.#endpoint.topic} threw:`, error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }
}

class ActionPublisher implements PublisherHandle {
  readonly #link: ActionLink;
  readonly #publish: (msg: unknown) => void;
  #closed = false;

  constructor(link: ActionLink, publish: (msg: unknown) => void) {
    this.#link = link;
    this.#publish = publish;
  }

  get subscriptionCount(): number {
    return !this.#closed && this.#link.connected ? 1 : 0;
  }

  publish(msg: unknown): void {
    if (!this.#closed) this.#publish(msg);
  }

  close(): void {
    this.#closed = true;
  }
}

/** Goal args: an object, or a ROS 1 style list (empty = none, else its first element). */
function argsToObject(args: unknown): unknown {
  if (Array.isArray(args)) return args.length === 0 ? {} : args[0];
  return args ?? {};
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function absolute(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

function wallTime(): Time {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1_000_000 };
}
