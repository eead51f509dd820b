// Perception from RGB-D: the node, the object finder, the robot self-filter and the tracker.
export { type EstimateOptions, estimateObjects, type PerceivedObject } from './estimateObjects.ts';
export {
  type GripperState,
  ObjectTracker,
  type Track,
  type TrackerOptions,
  type Visibility,
} from './ObjectTracker.ts';
export { createRobotPerception, PerceptionNode, type PerceptionNodeOptions } from './PerceptionNode.ts';
export { RobotMask, type RobotMaskOptions } from './RobotMask.ts';
