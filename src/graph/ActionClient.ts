/** Sends goals to one action server. Create with `node.createActionClient`. */
import type { Client } from './Client.ts';
import {
  actionEndpoints,
  type CancelGoalResponse,
  GoalStatus,
  type GoalStatusMessage,
  type GoalUuid,
  goalIdKey,
  isTerminal,
  randomGoalId,
} from './GoalStatus.ts';
import { GraphError } from './GraphError.ts';
import type { NodeCore } from './Node.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from './Qos.ts';
import type { Subscription } from './Subscription.ts';
import type { Time } from './types.ts';

export interface SendGoalOptions<Feedback> {
  /** Called with each feedback message for this goal, in order, before `result()` resolves. */
  onFeedback?: (feedback: Feedback) => void;
  /** Wall-clock seconds to wait for the server to accept or reject. @default no timeout */
  timeoutSeconds?: number;
}

export interface GoalResult<Result> {
  /** action_msgs/GoalStatus code: STATUS_SUCCEEDED (4), STATUS_CANCELED (5) or STATUS_ABORTED (6). */
  status: number;
  result: Result;
}

export class ClientGoalHandle<Result> {
  /** 32 hex digits. */
  readonly goalId: string;
  readonly accepted: boolean;
  /** When the server accepted (or rejected) the goal, on its clock. */
  readonly stamp: Time;
  /** Latest status from the server's status topic. */
  status: number;
  readonly #uuid: GoalUuid;
  readonly #client: ActionClient<unknown, Result, unknown>;
  #result: Promise<GoalResult<Result>> | undefined;

  /** @internal */
  constructor(
    client: ActionClient<unknown, Result, unknown>,
    uuid: GoalUuid,
    accepted: boolean,
    stamp: Time,
  ) {
    this.#client = client;
    this.#uuid = uuid;
    this.goalId = goalIdKey(uuid);
    this.accepted = accepted;
    this.stamp = stamp;
    this.status = accepted ? GoalStatus.STATUS_ACCEPTED : GoalStatus.STATUS_UNKNOWN;
  }

  /** Resolves when the goal finishes. Rejects with GraphError GOAL_REJECTED for a rejected goal. */
  result(): Promise<GoalResult<Result>> {
    this.#result ??= this.accepted
      ? this.#client._getResult(this.#uuid).then((r) => {
          this.status = r.status;
          return r;
        })
      : Promise.reject(
          new GraphError('GOAL_REJECTED', `goal ${this.goalId} was rejected by ${this.#client.name}`),
        );
    return this.#result;
  }

  /** Asks the server to cancel this goal; resolves with its answer (return_code 0 = accepted). */
  cancel(): Promise<CancelGoalResponse> {
    return this.#client._cancel(this.#uuid);
  }
}

export class ActionClient<Goal = unknown, Result = unknown, Feedback = unknown> {
  /** Fully qualified action name. */
  readonly name: string;
  readonly type: string;
  readonly #core: NodeCore;
  readonly #sendGoal: Client;
  readonly #cancelGoal: Client;
  readonly #getResult: Client;
  readonly #feedbackSub: Subscription;
  readonly #statusSub: Subscription;
  readonly #onFeedback = new Map<string, (fb: Feedback) => void>();
  readonly #handles = new Map<string, ClientGoalHandle<Result>>();
  #destroyed = false;

  /** @internal */
  constructor(core: NodeCore, type: string, name: string) {
    this.#core = core;
    this.type = type;
    this.name = name;
    const ep = actionEndpoints(name, type);
    this.#sendGoal = core.createClientRaw(ep.sendGoal.type, ep.sendGoal.name);
    this.#cancelGoal = core.createClientRaw(ep.cancelGoal.type, ep.cancelGoal.name);
    this.#getResult = core.createClientRaw(ep.getResult.type, ep.getResult.name);
    this.#feedbackSub = core.createSubscriptionRaw(ep.feedback.type, ep.feedback.name, QOS_DEFAULT, (msg) => {
      const m = msg as { goal_id: GoalUuid; feedback: Feedback };
      this.#onFeedback.get(goalIdKey(m.goal_id))?.(m.feedback);
    });
    this.#statusSub = core.createSubscriptionRaw(
      ep.status.type,
      ep.status.name,
      QOS_TRANSIENT_LOCAL,
      (msg) => {
        for (const s of (msg as { status_list: GoalStatusMessage[] }).status_list) {
          const key = goalIdKey(s.goal_info.goal_id);
          const h = this.#handles.get(key);
          if (!h) continue;
          h.status = s.status;
          if (isTerminal(s.status)) this.#handles.delete(key);
        }
      },
    );
  }

  /** True while the action's servers exist. */
  isServerAvailable(): boolean {
    return this.#sendGoal.isServiceAvailable() && this.#getResult.isServiceAvailable();
  }

  /**
   * Sends a goal; resolves with its handle once the server has accepted or rejected it
   * (check `handle.accepted`). Rejects with GraphError NO_SERVICE when no server exists.
   */
  async sendGoal(goal: Goal, options: SendGoalOptions<Feedback> = {}): Promise<ClientGoalHandle<Result>> {
    if (this.#destroyed) throw this.#core.destroyedError(`sendGoal on ${this.name}`);
    this.#core.validator.validate(`${this.type}_Goal`, goal, `${this.name} goal`);
    const goal_id = randomGoalId();
    const key = goalIdKey(goal_id);
    // Listen before asking: the server may send feedback as soon as it accepts.
    if (options.onFeedback) this.#onFeedback.set(key, options.onFeedback);
    let response: { accepted: boolean; stamp: Time };
    try {
      response = (await this.#sendGoal.call(
        { goal_id, goal },
        options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds },
      )) as { accepted: boolean; stamp: Time };
    } catch (error) {
      this.#onFeedback.delete(key);
      throw error;
    }
    const handle = new ClientGoalHandle<Result>(
      this as unknown as ActionClient<unknown, Result, unknown>,
      goal_id,
      response.accepted,
      response.stamp,
    );
    if (response.accepted) this.#handles.set(key, handle);
    else this.#onFeedback.delete(key);
    return handle;
  }

  /** Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const e of [this.#sendGoal, this.#cancelGoal, this.#getResult, this.#feedbackSub, this.#statusSub]) {
      e.destroy();
    }
    this.#onFeedback.clear();
    this.#handles.clear();
    this.#core.forget(this);
  }

  /** @internal */
  async _getResult(goal_id: GoalUuid): Promise<GoalResult<Result>> {
    try {
      return (await this.#getResult.call({ goal_id })) as GoalResult<Result>;
    } finally {
      this.#onFeedback.delete(goalIdKey(goal_id));
    }
  }

  /** @internal */
  async _cancel(goal_id: GoalUuid): Promise<CancelGoalResponse> {
    return (await this.#cancelGoal.call({
      goal_info: { goal_id, stamp: { sec: 0, nanosec: 0 } },
    })) as CancelGoalResponse;
  }
}
