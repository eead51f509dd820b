import { Matrix4, Quaternion, type Vector3 } from 'three';
import type { ObjectObservation } from '../../../sim/Env.ts';

/** tcp pose pointing straight down (+z tcp = world −z), rotated `yaw` about world z. */
export function topDownPose(p: Vector3, yaw: number, out: Matrix4): Matrix4 {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  // columns: x = (c, s, 0), y = z × x = (s, −c, 0), z = (0, 0, −1)
  return out.set(c, s, 0, p.x, s, -c, 0, p.y, 0, 0, -1, p.z, 0, 0, 0, 1);
}

/** Rotation about world z of a quaternion's x axis, rad. */
export function yawOf(q: readonly number[]): number {
  const m = new Matrix4().makeRotationFromQuaternion(new Quaternion(q[0], q[1], q[2], q[3]));
  const e = m.elements; // column-major: x axis = (e0, e1, e2)
  return Math.atan2(e[1]!, e[0]!);
}

/** Yaw that aligns the closing axis with a face of a square object, in [−π/4, π/4]. */
export function graspYaw(objectYaw: number): number {
  let y = objectYaw % (Math.PI / 2);
  if (y > Math.PI / 4) y -= Math.PI / 2;
  if (y < -Math.PI / 4) y += Math.PI / 2;
  return y;
}

/** The gripper is symmetric under a half turn: fold a yaw into [−π/2, π/2]. */
export function foldHalfTurn(yaw: number): number {
  let y = wrapAngle(yaw);
  if (y > Math.PI / 2) y -= Math.PI;
  if (y < -Math.PI / 2) y += Math.PI;
  return y;
}

export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

/** A world point's (x, y) in an object's frame (rotated by its yaw about z). */
export function toLocal(p: readonly number[], frame: ObjectObservation): [number, number] {
  const dx = p[0]! - frame.position[0];
  const dy = p[1]! - frame.position[1];
  const c = Math.cos(frame.yaw);
  const s = Math.sin(frame.yaw);
  return [c * dx + s * dy, -s * dx + c * dy];
}

/** Duration of a trapezoidal (or triangular) profile over `length`. */
export function profileDuration(length: number, vmax: number, amax: number): number {
  const ta = vmax / amax;
  const da = 0.5 * amax * ta * ta;
  return length >= 2 * da ? 2 * ta + (length - 2 * da) / vmax : 2 * Math.sqrt(length / amax);
}

/** Fraction of `length` covered at time t of that profile. */
export function profileFraction(
  t: number,
  duration: number,
  length: number,
  vmax: number,
  amax: number,
): number {
  if (length < 1e-9) return Math.min(1, t / duration);
  const ta = Math.min(vmax / amax, duration / 2);
  const v = Math.min(vmax, amax * ta);
  let d: number;
  if (t <= ta) d = 0.5 * amax * t * t;
  else if (t >= duration - ta) d = length - 0.5 * amax * (duration - t) ** 2;
  else d = 0.5 * amax * ta * ta + v * (t - ta);
  return Math.min(1, Math.max(0, d / length));
}
