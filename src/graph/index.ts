// The graph API: nodes, publishers, subscriptions, timers, services, actions, QoS, names.
// This file only re-exports.

export {
  ActionClient,
  ClientGoalHandle,
  type GoalResult,
  type SendGoalOptions,
} from './ActionClient.ts';
export {
  ActionServer,
  type ActionServerCallbacks,
  type ActionServerOptions,
  ServerGoalHandle,
} from './ActionServer.ts';
export { type CallOptions, Client } from './Client.ts';
export { Context, type ContextOptions, createContext } from './Context.ts';
export { CancelReturnCode, GoalStatus, type GoalStatusCode } from './GoalStatus.ts';
export { GraphError, type GraphErrorCode } from './GraphError.ts';
export { type Logger, stderrLogger } from './Logger.ts';
export {
  type MessageCodec,
  type MessageValidator,
  msgsValidator,
  permissiveValidator,
} from './MessageRegistry.ts';
export {
  expandTopicName,
  type NameRule,
  type NameViolation,
  validateFullTopicName,
  validateNamespace,
  validateNodeName,
  validateTopicName,
} from './Names.ts';
export { type GraphErrorEvent, Node, type NodeEvents, type NodeOptions } from './Node.ts';
export type {
  NumberRange,
  ParameterChange,
  ParameterDescriptor,
  ParameterType,
  ParameterValue,
  SetParametersResult,
} from './Parameters.ts';
export { Publisher } from './Publisher.ts';
export {
  type IncompatibleQosEvent,
  QOS_CLOCK,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_SERVICES_DEFAULT,
  QOS_TRANSIENT_LOCAL,
  type QosPolicyKind,
  type QosProfile,
} from './Qos.ts';
export { Service, type ServiceHandler } from './Service.ts';
export { SimClock } from './SimClock.ts';
export { Subscription, type SubscriptionCallback, type SubscriptionStats } from './Subscription.ts';
export { nsToTime, timeToNs, timeToSeconds } from './Time.ts';
export { Timer, type TimerOptions } from './Timer.ts';
export type * from './types.ts';
