/**
 * Serves one action, as rclpy's ActionServer does, over the five ROS 2 endpoints
 * (`_action/send_goal`, `cancel_goal`, `get_result` services; `feedback`, `status` topics).
 */

import type { RequestId } from '../transports/Transport.ts';
import {
  actionEndpoints,
  type CancelGoalResponse,
  CancelReturnCode,
  type GoalInfo,
  GoalStatus,
  type GoalStatusMessage,
  type GoalUuid,
  goalIdKey,
  isTerminal,
  isZeroGoalId,
} from './GoalStatus.ts';
import type { NodeCore } from './Node.ts';
import type { Publisher } from './Publisher.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from './Qos.ts';
import type { Service, ServiceHandler } from './Service.ts';
import { timeToNs } from './Time.ts';

export interface ActionServerCallbacks<Goal, Result, Feedback> {
  /** Accept or reject a new goal. @default accept every goal */
  onGoal?: (goal: Goal, goalId: string) => boolean | Promise<boolean>;
  /** Accept or reject a cancel request for an active goal. @default accept */
  onCancel?: (handle: ServerGoalHandle<Goal, Result, Feedback>) => boolean | Promise<boolean>;
  /**
   * Runs an accepted goal and returns its result. The final status is what the handle
   * was set to (`succeed()`, `abort()`, `canceled()`); if none was set, CANCELED when a
   * cancel was accepted meanwhile, else SUCCEEDED. A throw ends the goal ABORTED with an
   * empty result and is reported on the node.
   */
  execute: (handle: ServerGoalHandle<Goal, Result, Feedback>) => Result | Promise<Result>;
}

export interface ActionServerOptions {
  /** Finished goals whose results stay available to `get_result`. @default 256 */
  resultCacheSize?: number;
}

export class ServerGoalHandle<Goal, Result, Feedback> {
  readonly goalId: string;
  readonly goal: Goal;
  readonly info: GoalInfo;
  /** action_msgs/GoalStatus code. */
  status: number = GoalStatus.STATUS_ACCEPTED;
  #final: number | undefined;
  readonly #publishFeedback: (fb: Feedback) => void;
  /** @internal */
  readonly done: Promise<{ status: number; result: Result | Record<string, never> }>;
  /** @internal */
  settle!: (r: { status: number; result: Result | Record<string, never> }) => void;

  /** @internal */
  constructor(goal: Goal, info: GoalInfo, publishFeedback: (fb: Feedback) => void) {
    this.goal = goal;
    this.info = info;
    this.goalId = goalIdKey(info.goal_id);
    this.#publishFeedback = publishFeedback;
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** True once a cancel request for this goal was accepted; `execute` should wind down. */
  get isCancelRequested(): boolean {
    return this.status === GoalStatus.STATUS_CANCELING;
  }

  get isActive(): boolean {
    return !isTerminal(this.status);
  }

  publishFeedback(feedback: Feedback): void {
    if (this.isActive) this.#publishFeedback(feedback);
  }

  succeed(): void {
    this.#final = GoalStatus.STATUS_SUCCEEDED;
  }
  abort(): void {
    this.#final = GoalStatus.STATUS_ABORTED;
  }
  canceled(): void {
    this.#final = GoalStatus.STATUS_CANCELED;
  }

  /** @internal */
  get finalStatus(): number {
    return this.#final ?? (this.isCancelRequested ? GoalStatus.STATUS_CANCELED : GoalStatus.STATUS_SUCCEEDED);
  }
}

type AnyHandle = ServerGoalHandle<unknown, unknown, unknown>;

export class ActionServer<Goal = unknown, Result = unknown, Feedback = unknown> {
  /** Fully qualified action name. */
  readonly name: string;
  readonly type: string;
  readonly #core: NodeCore;
  readonly #goals = new Map<string, AnyHandle>();
  readonly #cacheSize: number;
  readonly #services: Service[];
  readonly #feedback: Publisher;
  readonly #status: Publisher;
  #destroyed = false;

  /** @internal */
  constructor(
    core: NodeCore,
    type: string,
    name: string,
    callbacks: ActionServerCallbacks<Goal, Result, Feedback>,
    options: ActionServerOptions = {},
  ) {
    this.#core = core;
    this.type = type;
    this.name = name;
    this.#cacheSize = options.resultCacheSize ?? 256;
    const ep = actionEndpoints(name, type);
    this.#feedback = core.createPublisherRaw(ep.feedback.type, ep.feedback.name, QOS_DEFAULT);
    this.#status = core.createPublisherRaw(ep.status.type, ep.status.name, QOS_TRANSIENT_LOCAL);

    const sendGoal = async (
      req: { goal_id: GoalUuid; goal: Goal },
      _id: RequestId,
      replied: Promise<void>,
    ) => {
      const stamp = core.now();
      const accepted = callbacks.onGoal ? await callbacks.onGoal(req.goal, goalIdKey(req.goal_id)) : true;
      if (!accepted || this.#destroyed) return { accepted: false, stamp };
      const info: GoalInfo = { goal_id: req.goal_id, stamp };
      const handle = new ServerGoalHandle<Goal, Result, Feedback>(req.goal, info, (feedback) =>
        this.#feedback.publish({ goal_id: req.goal_id, feedback }),
      );
      this.#goals.set(handle.goalId, handle as AnyHandle);
      // No status here: execution starts at once, so the first status says EXECUTING, as
      // rclpy's default accepted callback and rclcpp's ACCEPT_AND_EXECUTE publish it.
      // Execute once the response has gone out, so the client knows the goal before its first
      // status (a client ignores the status of a goal it does not know yet, as rclcpp's does).
      void replied.then(() => this.#run(handle, callbacks));
      return { accepted: true, stamp };
    };

    const cancelGoal = async (req: { goal_info: GoalInfo }): Promise<CancelGoalResponse> => {
      const targets = this.#cancelTargets(req.goal_info);
      if (targets === undefined)
        return { return_code: CancelReturnCode.ERROR_UNKNOWN_GOAL_ID, goals_canceling: [] };
      const canceling: GoalInfo[] = [];
      let terminated = targets.length > 0;
      for (const h of targets) {
        if (!h.isActive) continue;
        terminated = false;
        if (h.status === GoalStatus.STATUS_CANCELING) {
          canceling.push(h.info);
          continue;
        }
        const ok = callbacks.onCancel
          ? await callbacks.onCancel(h as unknown as ServerGoalHandle<Goal, Result, Feedback>)
          : true;
        if (ok && h.isActive) {
          h.status = GoalStatus.STATUS_CANCELING;
          canceling.push(h.info);
        }
      }
      if (canceling.length) this.#publishStatus();
      const code = terminated
        ? CancelReturnCode.ERROR_GOAL_TERMINATED
        : canceling.length || targets.length === 0
          ? CancelReturnCode.ERROR_NONE
          : CancelReturnCode.ERROR_REJECTED;
      return { return_code: code, goals_canceling: canceling };
    };

    const getResult = async (req: { goal_id: GoalUuid }) => {
      const h = this.#goals.get(goalIdKey(req.goal_id));
      if (!h) return { status: GoalStatus.STATUS_UNKNOWN, result: this.#emptyResult() };
      return h.done;
    };

    this.#services = [
      core.createServiceRaw(ep.sendGoal.type, ep.sendGoal.name, sendGoal as ServiceHandler<unknown, unknown>),
      core.createServiceRaw(
        ep.cancelGoal.type,
        ep.cancelGoal.name,
        cancelGoal as (r: unknown) => Promise<unknown>,
      ),
      core.createServiceRaw(
        ep.getResult.type,
        ep.getResult.name,
        getResult as (r: unknown) => Promise<unknown>,
      ),
    ];
  }

  /** Goals not yet finished. */
  get activeGoals(): number {
    let n = 0;
    for (const h of this.#goals.values()) if (h.isActive) n++;
    return n;
  }

  /** Safe to call twice. Active goals end ABORTED. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const h of this.#goals.values()) {
      if (h.isActive) {
        h.status = GoalStatus.STATUS_ABORTED;
        h.settle({ status: h.status, result: this.#emptyResult() });
      }
    }
    for (const s of this.#services) s.destroy();
    this.#feedback.destroy();
    this.#status.destroy();
    this.#core.forget(this);
  }

  async #run(
    handle: ServerGoalHandle<Goal, Result, Feedback>,
    callbacks: ActionServerCallbacks<Goal, Result, Feedback>,
  ) {
    if (this.#destroyed) return;
    if (handle.status === GoalStatus.STATUS_ACCEPTED) handle.status = GoalStatus.STATUS_EXECUTING;
    this.#publishStatus();
    let result: Result | Record<string, never>;
    let status: number;
    try {
      result = await callbacks.execute(handle);
      status = handle.finalStatus;
      this.#core.validator.validate(`${this.type}_Result`, result, `${this.name} result`);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.#core.reportError({ kind: 'action', topic: this.name, error: err });
      result = this.#emptyResult();
      status = GoalStatus.STATUS_ABORTED;
    }
    if (this.#destroyed) return;
    handle.status = status;
    handle.settle({ status, result });
    this.#publishStatus();
    this.#expire();
  }

  /** The result ROS 2 sends for a goal that produced none (aborted, unknown): all fields at their defaults. */
  #emptyResult(): Result | Record<string, never> {
    return (this.#core.validator.defaultMessage?.(`${this.type}_Result`) as Result | undefined) ?? {};
  }

  /** The goals a CancelGoal request names (rcl_action rules); undefined if it names an unknown goal. */
  #cancelTargets(info: GoalInfo): AnyHandle[] | undefined {
    const all = [...this.#goals.values()];
    const stampNs = timeToNs(info.stamp);
    if (isZeroGoalId(info.goal_id)) {
      return stampNs === 0n ? all : all.filter((h) => timeToNs(h.info.stamp) <= stampNs);
    }
    const h = this.#goals.get(goalIdKey(info.goal_id));
    if (!h) return undefined;
    const before = stampNs === 0n ? [] : all.filter((g) => g !== h && timeToNs(g.info.stamp) <= stampNs);
    return [h, ...before];
  }

  #publishStatus(): void {
    const status_list: GoalStatusMessage[] = [];
    for (const h of this.#goals.values()) status_list.push({ goal_info: h.info, status: h.status });
    this.#status.publish({ status_list });
  }

  #expire(): void {
    let finished = 0;
    for (const h of this.#goals.values()) if (!h.isActive) finished++;
    for (const [key, h] of this.#goals) {
      if (finished <= this.#cacheSize) break;
      if (!h.isActive) {
        this.#goals.delete(key);
        finished--;
      }
    }
  }
}
