/**
 * Whole-robot forward kinematics: the pose of every link in the root link's frame from the values
 * of the movable joints (arm and gripper). Mimic joints follow their master
 * (value = multiplier * master + offset), as ros2_control and robot_state_publisher do.
 *
 * The sim uses this each step to place the arm's kinematic bodies, so `update` allocates nothing.
 */
import { Matrix4 } from 'three';
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
import type { UrdfRobot } from './Urdf.ts';

export class RobotTree {
  /** Independently driven joints (not fixed, not mimic), in URDF document order. */
  readonly movableJoints: readonly string[];
  /** Every link, parents before children; linkNames[0] is the root. */
  readonly linkNames: readonly string[];
  readonly rootLink: string;

  readonly #linkIndex = new Map<string, number>();
  readonly #movableIndex = new Map<string, number>();
  readonly #poses: Matrix4[];
  /** Version of `#packed` each Matrix4 view was converted from. */
  readonly #poseVersion: Uint32Array;
  #version = 1;
  /** Packed poses per link, parallel to linkNames. */
  readonly #packed: Float64Array;
  // Per joint, in parent-before-child order:
  readonly #parentLink: Int32Array;
  readonly #childLink: Int32Array;
  readonly #origins: Float64Array;
  readonly #axes: Float64Array;
  readonly #kinds: Uint8Array;
  /** Index into the `values` passed to update(). */
  readonly #source: Int32Array;
  readonly #multiplier: Float64Array;
  readonly #offset: Float64Array;
  readonly #jointFrame = new Float64Array(AFFINE_SIZE);
  readonly #motion = new Float64Array(AFFINE_SIZE);

  /** @throws UserError for floating or planar joints, which the sim does not articulate. */
  constructor(urdf: UrdfRobot) {
    this.rootLink = urdf.rootLink;
    for (const j of urdf.joints) {
      if (j.type === 'floating' || j.type === 'planar') {
        throw new UserError(
          `joint "${j.name}" is ${j.type}; RobotTree supports revolute, continuous, prismatic, fixed`,
          {
            source: urdf.source,
          },
        );
      }
    }
    const movable = urdf.joints.filter((j) => j.type !== 'fixed' && j.mimic === undefined);
    this.movableJoints = movable.map((j) => j.name);
    movable.forEach((j, i) => {
      this.#movableIndex.set(j.name, i);
    });

    // Breadth-first from the root so parents come first.
    const childJoints = new Map<string, typeof urdf.joints>();
    for (const j of urdf.joints) {
      const list = childJoints.get(j.parent);
      if (list) list.push(j);
      else childJoints.set(j.parent, [j]);
    }
    const order: typeof urdf.joints = [];
    const links: string[] = [urdf.rootLink];
    for (let k = 0; k < links.length; k++) {
      for (const j of childJoints.get(links[k]!) ?? []) {
        order.push(j);
        links.push(j.child);
      }
    }
    this.linkNames = links;
    links.forEach((l, i) => {
      this.#linkIndex.set(l, i);
    });
    this.#poses = links.map(() => new Matrix4());
    this.#poseVersion = new Uint32Array(links.length);
    this.#packed = new Float64Array(AFFINE_SIZE * links.length);
    affineIdentity(this.#packed, 0);

    const m = order.length;
    this.#parentLink = new Int32Array(m);
    this.#childLink = new Int32Array(m);
    this.#origins = new Float64Array(AFFINE_SIZE * m);
    this.#axes = new Float64Array(3 * m);
    this.#kinds = new Uint8Array(m);
    this.#source = new Int32Array(m).fill(-1);
    this.#multiplier = new Float64Array(m).fill(1);
    this.#offset = new Float64Array(m);
    order.forEach((j, k) => {
      this.#parentLink[k] = this.#linkIndex.get(j.parent)!;
      this.#childLink[k] = this.#linkIndex.get(j.child)!;
      affineFromOrigin(j.origin, this.#origins, k * AFFINE_SIZE);
      this.#axes.set(j.axis, k * 3);
      this.#kinds[k] =
        j.type === 'fixed'
          ? JointKind.Fixed
          : j.type === 'prismatic'
            ? JointKind.Prismatic
            : JointKind.Revolute;
      if (j.type === 'fixed') return;
      const master = j.mimic ? j.mimic.joint : j.name;
      this.#source[k] = this.#movableIndex.get(master)!;
      if (j.mimic) {
        this.#multiplier[k] = j.mimic.multiplier;
        this.#offset[k] = j.mimic.offset;
      }
    });
    this.update(new Float64Array(this.movableJoints.length));
  }

  /** Index of a movable joint in `movableJoints` (and in `update`'s values), or -1. */
  movableIndex(jointName: string): number {
    return this.#movableIndex.get(jointName) ?? -1;
  }

  /** Recomputes every link pose. `values` is aligned with `movableJoints` (rad or m). */
  update(values: ArrayLike<number>): void {
    const packed = this.#packed;
    const jf = this.#jointFrame;
    const motion = this.#motion;
    const m = this.#kinds.length;
    for (let k = 0; k < m; k++) {
      const src = this.#source[k]!;
      const co = this.#childLink[k]! * AFFINE_SIZE;
      if (src < 0) {
        // Fixed joint: the child is the parent times the joint origin.
        affineMultiply(
          packed,
          this.#parentLink[k]! * AFFINE_SIZE,
          this.#origins,
          k * AFFINE_SIZE,
          packed,
          co,
        );
        continue;
      }
      const q = this.#multiplier[k]! * values[src]! + this.#offset[k]!;
      affineMultiply(packed, this.#parentLink[k]! * AFFINE_SIZE, this.#origins, k * AFFINE_SIZE, jf, 0);
      affineJointMotion(
        this.#kinds[k] as JointKind,
        this.#axes[k * 3]!,
        this.#axes[k * 3 + 1]!,
        this.#axes[k * 3 + 2]!,
        q,
        motion,
      );
      affineMultiply(jf, 0, motion, 0, packed, co);
    }
    // Matrix4 views are converted lazily, in linkPose(): the physics hot path reads `packed`.
    this.#version++;
  }

  /** Index of a link in `packed` (12 numbers per link, row-major [R | t]), or -1. */
  linkIndex(name: string): number {
    return this.#linkIndex.get(name) ?? -1;
  }

  /** Every link's pose in the base frame, 12 numbers per link (row-major [R | t]). Read-only. */
  get packed(): Float64Array {
    return this.#packed;
  }

  /**
   * Pose of a link in the root link frame after the last `update`. The returned matrix is owned by
   * the tree and overwritten by the next update: read it or copy it, do not mutate it.
   * @throws UserError for an unknown link name.
   */
  linkPose(name: string): Matrix4 {
    const i = this.#linkIndex.get(name);
    if (i === undefined) {
      throw new UserError(`unknown link "${name}"; links are ${this.linkNames.join(', ')}`);
    }
    const pose = this.#poses[i]!;
    if (this.#poseVersion[i] !== this.#version) {
      affineToMatrix4(this.#packed, i * AFFINE_SIZE, pose);
      this.#poseVersion[i] = this.#version;
    }
    return pose;
  }
}
