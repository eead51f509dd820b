/**
 * action_msgs constants and the ROS 2 action wire layout: an action `/ns/move` of type
 * `pkg/action/Move` is three services and two topics, so transports need nothing more.
 */
import type { Time } from './types.ts';

/** action_msgs/msg/GoalStatus status codes. */
export const GoalStatus = Object.freeze({
  STATUS_UNKNOWN: 0,
  STATUS_ACCEPTED: 1,
  STATUS_EXECUTING: 2,
  STATUS_CANCELING: 3,
  STATUS_SUCCEEDED: 4,
  STATUS_CANCELED: 5,
  STATUS_ABORTED: 6,
} as const);
export type GoalStatusCode = (typeof GoalStatus)[keyof typeof GoalStatus];

/** action_msgs/srv/CancelGoal return codes. */
export const CancelReturnCode = Object.freeze({
  ERROR_NONE: 0,
  ERROR_REJECTED: 1,
  ERROR_UNKNOWN_GOAL_ID: 2,
  ERROR_GOAL_TERMINATED: 3,
} as const);

/** unique_identifier_msgs/msg/UUID. */
export interface GoalUuid {
  uuid: Uint8Array;
}
export interface GoalInfo {
  goal_id: GoalUuid;
  stamp: Time;
}
export interface GoalStatusMessage {
  goal_info: GoalInfo;
  status: number;
}
export interface CancelGoalResponse {
  return_code: number;
  goals_canceling: GoalInfo[];
}

export function isTerminal(status: number): boolean {
  return status >= GoalStatus.STATUS_SUCCEEDED;
}

/** The names and types an action maps to, as rcl_action builds them. */
export function actionEndpoints(name: string, type: string) {
  return {
    sendGoal: { name: `${name}/_action/send_goal`, type: `${type}_SendGoal` },
    cancelGoal: { name: `${name}/_action/cancel_goal`, type: 'action_msgs/srv/CancelGoal' },
    getResult: { name: `${name}/_action/get_result`, type: `${type}_GetResult` },
    feedback: { name: `${name}/_action/feedback`, type: `${type}_FeedbackMessage` },
    status: { name: `${name}/_action/status`, type: 'action_msgs/msg/GoalStatusArray' },
  };
}

export function randomGoalId(): GoalUuid {
  return { uuid: crypto.getRandomValues(new Uint8Array(16)) };
}

/** The goal id as 32 hex digits, for maps and logs. */
export function goalIdKey(id: GoalUuid): string {
  let s = '';
  for (const b of id.uuid) s += (b & 0xff).toString(16).padStart(2, '0');
  return s;
}

export function isZeroGoalId(id: GoalUuid): boolean {
  return id.uuid.every((b) => b === 0);
}
