/**
 * Rigid transforms packed 12 to a slot in a Float64Array: row-major [R | t], i.e.
 * [r00 r01 r02 tx  r10 r11 r12 ty  r20 r21 r22 tz]. The kinematics hot paths work on these
 * (no objects, no allocation) and convert to three.js `Matrix4` only at the API boundary.
 * Internal to sim/robot.
 */
import type { Matrix4 } from 'three';
import type { UrdfOrigin } from './Urdf.ts';

export const AFFINE_SIZE = 12;

/** Writes the URDF origin (xyz, fixed-axis rpy) to `out[o..o+12)`. */
export function affineFromOrigin(origin: UrdfOrigin, out: Float64Array, o = 0): void {
  const [x, y, z] = origin.xyz;
  const [r, p, yw] = origin.rpy;
  const cr = Math.cos(r);
  const sr = Math.sin(r);
  const cp = Math.cos(p);
  const sp = Math.sin(p);
  const cy = Math.cos(yw);
  const sy = Math.sin(yw);
  out[o] = cy * cp;
  out[o + 1] = cy * sp * sr - sy * cr;
  out[o + 2] = cy * sp * cr + sy * sr;
  out[o + 3] = x;
  out[o + 4] = sy * cp;
  out[o + 5] = sy * sp * sr + cy * cr;
  out[o + 6] = sy * sp * cr - cy * sr;
  out[o + 7] = y;
  out[o + 8] = -sp;
  out[o + 9] = cp * sr;
  out[o + 10] = cp * cr;
  out[o + 11] = z;
}

export function affineIdentity(out: Float64Array, o = 0): void {
  out.fill(0, o, o + 12);
  out[o] = 1;
  out[o + 5] = 1;
  out[o + 10] = 1;
}

/** out = a * b. `out` may alias neither a nor b at the same offset. */
export function affineMultiply(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  out: Float64Array,
  oo: number,
): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[ao + r * 4]!;
    const a1 = a[ao + r * 4 + 1]!;
    const a2 = a[ao + r * 4 + 2]!;
    const a3 = a[ao + r * 4 + 3]!;
    out[oo + r * 4] = a0 * b[bo]! + a1 * b[bo + 4]! + a2 * b[bo + 8]!;
    out[oo + r * 4 + 1] = a0 * b[bo + 1]! + a1 * b[bo + 5]! + a2 * b[bo + 9]!;
    out[oo + r * 4 + 2] = a0 * b[bo + 2]! + a1 * b[bo + 6]! + a2 * b[bo + 10]!;
    out[oo + r * 4 + 3] = a0 * b[bo + 3]! + a1 * b[bo + 7]! + a2 * b[bo + 11]! + a3;
  }
}

/**
 * Writes the motion of a joint at value q: a rotation of q rad about the unit axis (revolute,
 * continuous) or a translation of q m along it (prismatic), or identity (fixed).
 */
export function affineJointMotion(
  kind: JointKind,
  ax: number,
  ay: number,
  az: number,
  q: number,
  out: Float64Array,
  o = 0,
): void {
  affineIdentity(out, o);
  if (kind === JointKind.Revolute) {
    const c = Math.cos(q);
    const s = Math.sin(q);
    const t = 1 - c;
    out[o] = t * ax * ax + c;
    out[o + 1] = t * ax * ay - s * az;
    out[o + 2] = t * ax * az + s * ay;
    out[o + 4] = t * ax * ay + s * az;
    out[o + 5] = t * ay * ay + c;
    out[o + 6] = t * ay * az - s * ax;
    out[o + 8] = t * ax * az - s * ay;
    out[o + 9] = t * ay * az + s * ax;
    out[o + 10] = t * az * az + c;
  } else if (kind === JointKind.Prismatic) {
    out[o + 3] = ax * q;
    out[o + 7] = ay * q;
    out[o + 11] = az * q;
  }
}

/** Copies a packed transform into a three.js Matrix4 (column-major elements). */
export function affineToMatrix4(a: Float64Array, o: number, out: Matrix4): Matrix4 {
  return out.set(
    a[o]!,
    a[o + 1]!,
    a[o + 2]!,
    a[o + 3]!,
    a[o + 4]!,
    a[o + 5]!,
    a[o + 6]!,
    a[o + 7]!,
    a[o + 8]!,
    a[o + 9]!,
    a[o + 10]!,
    a[o + 11]!,
    0,
    0,
    0,
    1,
  );
}

/** Joint kinds the kinematics handle. Continuous joints are revolute without position limits. */
export const JointKind = { Fixed: 0, Revolute: 1, Prismatic: 2 } as const;
export type JointKind = (typeof JointKind)[keyof typeof JointKind];

/**
 * Unit quaternion [x y z w] of a rotation matrix given row by row (Shepperd's method,
 * stable for every rotation), written to out[o..o+4). Allocation-free.
 */
export function quaternionFromRotation(
  m00: number,
  m01: number,
  m02: number,
  m10: number,
  m11: number,
  m12: number,
  m20: number,
  m21: number,
  m22: number,
  out: Float64Array,
  o = 0,
): void {
  const trace = m00 + m11 + m22;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    out[o + 3] = 0.25 / s;
    out[o] = (m21 - m12) * s;
    out[o + 1] = (m02 - m20) * s;
    out[o + 2] = (m10 - m01) * s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    out[o + 3] = (m21 - m12) / s;
    out[o] = 0.25 * s;
    out[o + 1] = (m01 + m10) / s;
    out[o + 2] = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    out[o + 3] = (m02 - m20) / s;
    out[o] = (m01 + m10) / s;
    out[o + 1] = 0.25 * s;
    out[o + 2] = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    out[o + 3] = (m10 - m01) / s;
    out[o] = (m02 + m20) / s;
    out[o + 1] = (m12 + m21) / s;
    out[o + 2] = 0.25 * s;
  }
}
