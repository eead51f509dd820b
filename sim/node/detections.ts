import type { MessageType } from '../../src/msgs/index.ts';
import type { ObjectObservation } from '../Env.ts';

type Detection3D = MessageType<'vision_msgs/msg/Detection3D'>;

const ZERO_COVARIANCE = new Array<number>(36).fill(0);

/**
 * Ground-truth detections, as a perception node would publish them: one
 * vision_msgs/Detection3D per object, `id` the object id, the hypothesis class its
 * class name ("red block", "blue bowl", "clip A"), score 1, the box centred on the
 * object's pose. A cable is published as its segments, in order from the fixed end:
 * ids `cable/0`, `cable/1`, ..., class "<color> cable segment".
 */
export function buildDetections(
  objects: readonly ObjectObservation[],
  stamp: { sec: number; nanosec: number },
): MessageType<'vision_msgs/msg/Detection3DArray'> {
  const header = { stamp, frame_id: 'world' };
  const detections: Detection3D[] = [];
  const one = (
    id: string,
    className: string,
    p: readonly number[],
    q: readonly number[],
    size: readonly number[],
  ) => {
    const pose = {
      position: { x: p[0]!, y: p[1]!, z: p[2]! },
      orientation: { x: q[0]!, y: q[1]!, z: q[2]!, w: q[3]! },
    };
    detections.push({
      header,
      id,
      results: [
        { hypothesis: { class_id: className, score: 1 }, pose: { pose, covariance: ZERO_COVARIANCE } },
      ],
      bbox: { center: pose, size: { x: size[0]!, y: size[1]!, z: size[2]! } },
    });
  };
  for (const o of objects) {
    if (o.segments) {
      const d = 2 * (o.segmentRadius ?? 0.008);
      o.segments.forEach((p, i) => {
        one(`${o.id}/${i}`, `${o.color} cable segment`, p, [0, 0, 0, 1], [d, d, d]);
      });
      continue;
    }
    const className = o.kind === 'clip' ? `clip ${o.label}` : o.className;
    one(o.id, className, o.position, o.quaternion, o.size);
  }
  return { header, detections };
}
