import type * as CANNON from 'cannon-es';
import { Matrix4, type Quaternion, Vector3 } from 'three';
import type { PhysicsWorld } from '../core/PhysicsWorld.ts';
import { Articulation } from './Articulation.ts';
import { JointController } from './JointController.ts';
import { ParallelGripper, type ParallelGripperOptions } from './ParallelGripper.ts';
import type { RobotDescription } from './RobotConfig.ts';

const _m = new Matrix4();
const _s = new Vector3();

/**
 * Sim-only grasp assist (see ParallelGripper): 'off'; 'cable', which welds a
 * pinched cable segment to the pad (a friction grip on one light segment creeps out;
 * FACTS.md-style measurement in the README); or 'all' dynamic bodies.
 */
export type GraspAssistMode = 'off' | 'cable' | 'all';

/**
 * A simulated arm with its gripper: a joint controller that enforces the URDF's
 * limits, a parallel gripper, and the kinematic articulation that carries both
 * into the physics world. Pure: no I/O, no transport.
 */
export class SimRobot {
  readonly description: RobotDescription;
  readonly arm: JointController;
  readonly gripper: ParallelGripper;
  readonly articulation: Articulation;
  /** Arm joint names in command order (robot.yaml `arm_joints`). */
  readonly jointNames: readonly string[];
  readonly #values: Float64Array;
  readonly #armSlot: Int32Array;
  readonly #fingerSlots: number[];
  readonly #physics: PhysicsWorld;

  constructor(
    description: RobotDescription,
    physics: PhysicsWorld,
    options: { graspAssist?: GraspAssistMode } = {},
  ) {
    this.description = description;
    this.#physics = physics;
    const { config, chain, tree, urdf } = description;
    this.jointNames = config.arm_joints;
    const maxAccel = effortLimitedAcceleration(description);
    this.arm = new JointController({
      initial: config.home,
      lower: chain.lower,
      upper: chain.upper,
      maxVelocity: chain.velocity,
      maxAcceleration: maxAccel,
    });
    this.#values = new Float64Array(tree.movableJoints.length);
    this.#armSlot = new Int32Array(config.arm_joints.length).fill(-1);
    this.#fingerSlots = [];
    tree.movableJoints.forEach((name, slot) => {
      const armIndex = config.arm_joints.indexOf(name);
      if (armIndex >= 0) this.#armSlot[armIndex] = slot;
      else if (config.gripper.joints.includes(name)) this.#fingerSlots.push(slot);
    });
    this.articulation = new Articulation(urdf, tree, config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] });
    const [leftPad, rightPad] = config.gripper.pad_links;
    const left = this.articulation.bodies.get(leftPad);
    const right = this.articulation.bodies.get(rightPad);
    if (!left || !right) throw new Error(`robot ${description.id}: pad links need collision geometry`);
    left.material = physics.materials.pad;
    right.material = physics.materials.pad;
    this.gripper = new ParallelGripper({
      maxWidth: config.gripper.max_width,
      maxEffort: config.gripper.max_effort,
      closingSpeed: config.gripper.closing_speed,
      pads: [left, right],
      ...assistOptions(options.graspAssist ?? 'off', physics),
    });
    this.articulation.addTo(physics.world);
    this.reset(config.home, config.gripper.max_width);
  }

  /** Teleports the arm to `q` and the gripper to `width`, at rest. */
  reset(q: ArrayLike<number>, width: number): void {
    this.arm.reset(q);
    this.gripper.reset(width);
    this.#updateTree();
    this.articulation.place();
  }

  /** Sets arm position targets. They must already be validated and clamped. */
  commandJoints(q: ArrayLike<number>): void {
    this.arm.setTarget(q);
  }

  /** Commands the gripper opening, m. */
  commandGripper(width: number): void {
    this.gripper.command(width);
  }

  /** Advances controllers and sets the link bodies' velocities. Call before world.step. */
  beforeStep(): void {
    const dt = this.#physics.dtSeconds;
    this.arm.step(dt);
    this.gripper.step(dt);
    this.#updateTree();
    this.articulation.drive(dt);
  }

  /** Snaps links to their targets and reads gripper contacts. Call after world.step. */
  afterStep(contacts: readonly CANNON.ContactEquation[]): void {
    this.articulation.snap();
    this.gripper.afterStep(contacts);
  }

  /** The tool centre point's world pose. */
  tcpPose(outPosition: Vector3, outQuaternion: Quaternion): void {
    this.articulation.linkWorldMatrix(this.description.config.tip_link, _m);
    _m.decompose(outPosition, outQuaternion, _s);
  }

  /** World pose of a link, as a new matrix (not for hot paths). */
  linkWorldMatrix(link: string): Matrix4 {
    return this.articulation.linkWorldMatrix(link, new Matrix4());
  }

  #updateTree(): void {
    const v = this.#values;
    for (let i = 0; i < this.#armSlot.length; i++) {
      const slot = this.#armSlot[i]!;
      if (slot >= 0) v[slot] = this.arm.position[i]!;
    }
    for (const slot of this.#fingerSlots) v[slot] = this.gripper.width / 2;
    this.description.tree.update(v);
  }
}

function assistOptions(
  mode: GraspAssistMode,
  physics: PhysicsWorld,
): { assist?: ParallelGripperOptions['assist'] } {
  if (mode === 'off') return {};
  const cable = physics.materials.cable;
  return {
    assist: {
      world: physics.world,
      applies: mode === 'all' ? () => true : (body) => body.material === cable,
    },
  };
}

/**
 * Per-joint acceleration limit, rad/s²: robot.yaml's `max_acceleration`, lowered
 * where the URDF effort limit cannot produce it. A kinematic arm has no dynamics,
 * so the effort limit is enforced through an inertia estimate: the inertia of
 * everything outboard of the joint about its axis at the home pose (point masses
 * at the links' centres of mass).
 */
export function effortLimitedAcceleration(description: RobotDescription): Float64Array {
  const { config, urdf, tree, chain } = description;
  const out = Float64Array.from(config.max_acceleration);
  const values = new Float64Array(tree.movableJoints.length);
  tree.movableJoints.forEach((name, slot) => {
    const i = config.arm_joints.indexOf(name);
    if (i >= 0) values[slot] = config.home[i]!;
  });
  tree.update(values);
  const children = new Map<string, string[]>();
  for (const j of urdf.joints) children.set(j.parent, [...(children.get(j.parent) ?? []), j.child]);
  const axis = new Vector3();
  const origin = new Vector3();
  const com = new Vector3();
  const r = new Vector3();
  config.arm_joints.forEach((name, i) => {
    const joint = urdf.joints.find((j) => j.name === name);
    if (!joint || joint.type === 'prismatic') return;
    const frame = tree.linkPose(joint.child);
    origin.setFromMatrixPosition(frame);
    axis.set(...joint.axis).transformDirection(frame);
    let inertia = 0;
    const stack = [joint.child];
    while (stack.length) {
      const link = stack.pop()!;
      const inertial = urdf.links.get(link)?.inertial;
      if (inertial) {
        com.set(...inertial.origin.xyz).applyMatrix4(tree.linkPose(link));
        r.subVectors(com, origin).cross(axis);
        inertia += inertial.mass * r.lengthSq();
      }
      stack.push(...(children.get(link) ?? []));
    }
    const effort = chain.effort[i]!;
    if (inertia > 1e-9 && effort > 0) out[i] = Math.min(out[i]!, effort / inertia);
  });
  return out;
}
