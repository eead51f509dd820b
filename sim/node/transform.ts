import type { MessageType } from '../../src/msgs/index.ts';

/** A geometry_msgs/TransformStamped. */
export function transform(
  stamp: { sec: number; nanosec: number },
  parent: string,
  child: string,
  p: readonly number[],
  q: readonly number[],
): MessageType<'geometry_msgs/msg/TransformStamped'> {
  return {
    header: { stamp, frame_id: parent },
    child_frame_id: child,
    transform: {
      translation: { x: p[0]!, y: p[1]!, z: p[2]! },
      rotation: { x: q[0]!, y: q[1]!, z: q[2]!, w: q[3]! },
    },
  };
}
