// The native ROS 2 transport (rclnodejs, optional). This file only re-exports.
export { loadRclnodejs, rclnodejsLoadError } from './loadRclnodejs.ts';
export { createRos2Transport, Ros2Transport, type Ros2TransportOptions } from './Ros2Transport.ts';
