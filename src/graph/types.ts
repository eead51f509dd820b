/**
 * Type-level names of messages, services and actions, so that
 * `node.createPublisher('sensor_msgs/msg/JointState', ...)` types `publish()`.
 */

/**
 * Stand-in for the generated map of ROS 2 type names to message types, which
 * `src/msgs/generated/types.ts` provides; it is replaced by
 * `export type { MessageTypeMap } from '../msgs/generated/types.ts';`.
 */
export type { MessageTypeMap } from '../msgs/generated/types.ts';

import type { MessageTypeMap } from '../msgs/generated/types.ts';

type Keys = keyof MessageTypeMap & string;
type StripSuffix<K, Suffix extends string> = K extends `${infer Base}${Suffix}` ? Base : never;

/** A message type name: `sensor_msgs/msg/JointState`. */
export type MessageTypeName = Keys;
/** A service type name, `std_srvs/srv/Trigger`: any map key with a `_Request` twin. */
export type ServiceTypeName = string extends Keys ? string : StripSuffix<Keys, '_Request'>;
/** An action type name, `control_msgs/action/FollowJointTrajectory`: any map key with a `_Goal` twin. */
export type ActionTypeName = string extends Keys ? string : StripSuffix<Keys, '_Goal'>;

/** The message type named `T`. */
export type MessageOf<T extends string> = T extends Keys ? MessageTypeMap[T] : unknown;
export type RequestOf<S extends string> = MessageOf<`${S}_Request`>;
export type ResponseOf<S extends string> = MessageOf<`${S}_Response`>;
export type GoalOf<A extends string> = MessageOf<`${A}_Goal`>;
export type ResultOf<A extends string> = MessageOf<`${A}_Result`>;
export type FeedbackOf<A extends string> = MessageOf<`${A}_Feedback`>;

/** builtin_interfaces/msg/Time. */
export interface Time {
  sec: number;
  nanosec: number;
}
