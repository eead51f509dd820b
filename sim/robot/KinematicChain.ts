/**
 * A serial kinematic chain from a base link to a tip link of a URDF, with forward kinematics and
 * the geometric Jacobian. Fixed joints on the way are folded into the next movable joint's origin
 * (and the ones after the last movable joint into a constant tip offset), so the per-call work is
 * one transform product per movable joint.
 *
 * Frames: everything is in the base link's frame (ROS, Z-up, metres, radians).
 * Hot paths (`fk`, `jacobian`, `fkJacobian`) allocate nothing.
 */
import type { Matrix4 } from 'three';
import { UserError } from '../../src/errors.ts';
import {
  AFFINE_SIZE,
  affineFromOrigin,
  affineIdentity,
  affineJointMotion,
  affineMultiply,
  affineToMatrix4,
  JointKind,
} from './Affine.ts';
import type { UrdfJoint, UrdfRobot } from './Urdf.ts';

const _fixed = new Float64Array(AFFINE_SIZE);
const _tmp = new Float64Array(AFFINE_SIZE);

export class KinematicChain {
  readonly baseLink: string;
  readonly tipLink: string;
  /** Movable joints from base to tip. */
  readonly jointNames: readonly string[];
  /** Number of movable joints. */
  readonly dof: number;
  /** Position limits, rad or m (-Infinity/+Infinity for continuous joints). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Velocity limits, rad/s or m/s (Infinity when the URDF gives none). */
  readonly velocity: Float64Array;
  /** Effort limits, N·m or N (Infinity when the URDF gives none). */
  readonly effort: Float64Array;
  /** 1 for revolute/continuous, 2 for prismatic (see JointKind). */
  readonly kinds: Uint8Array;

  /** Per joint: the transform from the previous joint's moved frame (or base) to this joint's frame. */
  readonly #origins: Float64Array;
  /** Per joint: unit axis in its own frame. */
  readonly #axes: Float64Array;
  /** Constant transform from the last joint's moved frame to the tip. */
  readonly #tail = new Float64Array(AFFINE_SIZE);
  /** Scratch: joint frames in base (before the joint's own motion), then the tip. */
  readonly #frames: Float64Array;
  readonly #cur = new Float64Array(AFFINE_SIZE);
  readonly #motion = new Float64Array(AFFINE_SIZE);

  /**
   * @throws UserError if either link is missing, the tip is not below the base, or the path holds
   *   a floating/planar or mimic joint.
   */
  constructor(urdf: UrdfRobot, baseLink: string, tipLink: string) {
    const fail = (msg: string): never => {
      throw new UserError(`chain "${baseLink}" -> "${tipLink}": ${msg}`, { source: urdf.source });
    };
    if (!urdf.links.has(baseLink)) fail(`no link "${baseLink}" in the URDF`);
    if (!urdf.links.has(tipLink)) fail(`no link "${tipLink}" in the URDF`);
    const parentJoint = new Map<string, UrdfJoint>();
    for (const j of urdf.joints) parentJoint.set(j.child, j);
    const path: UrdfJoint[] = [];
    for (let link = tipLink; link !== baseLink; ) {
      const j = parentJoint.get(link);
      if (j === undefined) fail(`link "${tipLink}" is not a descendant of "${baseLink}"`);
      path.push(j!);
      link = j!.parent;
    }
    path.reverse();

    const movable = path.filter((j) => j.type !== 'fixed');
    for (const j of movable) {
      if (j.type === 'floating' || j.type === 'planar') fail(`joint "${j.name}" is ${j.type}; not supported`);
      if (j.mimic) fail(`joint "${j.name}" is a mimic joint; a chain needs independent joints`);
    }
    const n = movable.length;
    this.baseLink = baseLink;
    this.tipLink = tipLink;
    this.dof = n;
    this.jointNames = movable.map((j) => j.name);
    this.lower = new Float64Array(n);
    this.upper = new Float64Array(n);
    this.velocity = new Float64Array(n);
    this.effort = new Float64Array(n);
    this.kinds = new Uint8Array(n);
    this.#origins = new Float64Array(AFFINE_SIZE * n);
    this.#axes = new Float64Array(3 * n);
    this.#frames = new Float64Array(AFFINE_SIZE * (n + 1));

    // Fold fixed joints: acc accumulates the transforms since the last movable joint.
    const acc = _fixed;
    affineIdentity(acc);
    let i = 0;
    for (const j of path) {
      affineFromOrigin(j.origin, _tmp);
      if (j.type === 'fixed') {
        const prev = Float64Array.from(acc);
        affineMultiply(prev, 0, _tmp, 0, acc, 0);
        continue;
      }
      affineMultiply(acc, 0, _tmp, 0, this.#origins, i * AFFINE_SIZE);
      affineIdentity(acc);
      this.#axes.set(j.axis, i * 3);
      this.kinds[i] = j.type === 'prismatic' ? JointKind.Prismatic : JointKind.Revolute;
      const lim = j.limit;
      const continuous = j.type === 'continuous';
      this.lower[i] = continuous ? -Infinity : (lim?.lower ?? 0);
      this.upper[i] = continuous ? Infinity : (lim?.upper ?? 0);
      this.velocity[i] = lim && lim.velocity > 0 ? lim.velocity : Infinity;
      this.effort[i] = lim && lim.effort > 0 ? lim.effort : Infinity;
      i++;
    }
    this.#tail.set(acc);
  }

  /** Pose of the tip link in the base link frame at joint values `q` (length dof), into `out`. */
  fk(q: ArrayLike<number>, out: Matrix4): Matrix4 {
    this.#forward(q);
    return affineToMatrix4(this.#frames, this.dof * AFFINE_SIZE, out);
  }

  /**
   * Geometric Jacobian in the base frame at `q`, 6 x dof row-major: rows are the tip's linear
   * velocity (vx vy vz, m/s) and angular velocity (wx wy wz, rad/s) per unit joint velocity.
   */
  jacobian(q: ArrayLike<number>, out: Float64Array): Float64Array {
    this.#forward(q);
    this.#fillJacobian(out);
    return out;
  }

  /**
   * FK and Jacobian in one pass (what IK needs each iteration). `tipOut` receives the packed
   * 12-number [R | t] row-major tip pose.
   */
  fkJacobian(q: ArrayLike<number>, tipOut: Float64Array, jacOut: Float64Array): void {
    this.#forward(q);
    for (let k = 0; k < AFFINE_SIZE; k++) tipOut[k] = this.#frames[this.dof * AFFINE_SIZE + k]!;
    this.#fillJacobian(jacOut);
  }

  /** Packed 12-number [R | t] tip pose at `q` into `tipOut`. */
  fkPacked(q: ArrayLike<number>, tipOut: Float64Array): void {
    this.#forward(q);
    for (let k = 0; k < AFFINE_SIZE; k++) tipOut[k] = this.#frames[this.dof * AFFINE_SIZE + k]!;
  }

  /** True when every q[i] is within [lower - tol, upper + tol]. */
  withinLimits(q: ArrayLike<number>, tol = 0): boolean {
    for (let i = 0; i < this.dof; i++) {
      const v = q[i]!;
      if (!(v >= this.lower[i]! - tol && v <= this.upper[i]! + tol)) return false;
    }
    return true;
  }

  #forward(q: ArrayLike<number>): void {
    const frames = this.#frames;
    const cur = this.#cur;
    const motion = this.#motion;
    const axes = this.#axes;
    affineIdentity(cur);
    for (let i = 0; i < this.dof; i++) {
      const fo = i * AFFINE_SIZE;
      affineMultiply(cur, 0, this.#origins, fo, frames, fo);
      affineJointMotion(
        this.kinds[i] as JointKind,
        axes[i * 3]!,
        axes[i * 3 + 1]!,
        axes[i * 3 + 2]!,
        q[i]!,
        motion,
      );
      affineMultiply(frames, fo, motion, 0, cur, 0);
    }
    affineMultiply(cur, 0, this.#tail, 0, frames, this.dof * AFFINE_SIZE);
  }

  #fillJacobian(out: Float64Array): void {
    const n = this.dof;
    const f = this.#frames;
    const axes = this.#axes;
    const to = n * AFFINE_SIZE;
    const px = f[to + 3]!;
    const py = f[to + 7]!;
    const pz = f[to + 11]!;
    for (let i = 0; i < n; i++) {
      const fo = i * AFFINE_SIZE;
      const ax = axes[i * 3]!;
      const ay = axes[i * 3 + 1]!;
      const az = axes[i * 3 + 2]!;
      // Axis in base: R_i * a.
      const zx = f[fo]! * ax + f[fo + 1]! * ay + f[fo + 2]! * az;
      const zy = f[fo + 4]! * ax + f[fo + 5]! * ay + f[fo + 6]! * az;
      const zz = f[fo + 8]! * ax + f[fo + 9]! * ay + f[fo + 10]! * az;
      if (this.kinds[i] === JointKind.Prismatic) {
        out[i] = zx;
        out[n + i] = zy;
        out[2 * n + i] = zz;
        out[3 * n + i] = 0;
        out[4 * n + i] = 0;
        out[5 * n + i] = 0;
      } else {
        // v = z x (p_tip - p_joint); the axis line passes through the joint frame origin.
        const rx = px - f[fo + 3]!;
        const ry = py - f[fo + 7]!;
        const rz = pz - f[fo + 11]!;
        out[i] = zy * rz - zz * ry;
        out[n + i] = zz * rx - zx * rz;
        out[2 * n + i] = zx * ry - zy * rx;
        out[3 * n + i] = zx;
        out[4 * n + i] = zy;
        out[5 * n + i] = zz;
      }
    }
  }
}
