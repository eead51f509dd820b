import { Matrix3, Matrix4, Vector3 } from 'three';
import { Rng } from '../../../sim/core/Rng.ts';
import type { Action, ObjectObservation, Observation } from '../../../sim/Env.ts';
import type { RobotDescription } from '../../../sim/robot/RobotConfig.ts';
import { originToMatrix4 } from '../../../sim/robot/Urdf.ts';
import { solveIk } from '../../control/Ik.ts';
import { topDownPose, yawOf } from './geometry.ts';
import { SkillFailure } from './SkillFailure.ts';

/** How fast a language correction moves the tcp, m/s. */
export const NUDGE_SPEED = 0.05;

export interface MotionContextOptions {
  /** Actions per second the skills are stepped at, Hz. */
  controlHz: number;
}

/**
 * What every skill shares: the robot, the commanded state (joints, gripper opening, tcp
 * pose), the IK, and the latest observation. Skills command by mutating it and yielding
 * `hold()`; the driver (a policy) sets `obs` before each step of a skill's generator.
 *
 * The commanded state, not the measured one, is the start of every motion, so a motion
 * continues smoothly from the last command even while the arm lags behind it.
 */
export class MotionContext {
  readonly robot: RobotDescription;
  /** Control period, s. */
  readonly dt: number;
  readonly worldToBase = new Matrix4();
  /** Seeds IK restarts; fixed so that the same episode gives the same joint path. */
  readonly rng = new Rng(7);
  /** The latest observation. Set by the driver before stepping a skill. */
  obs!: Observation;
  /** Last commanded joints (robot.yaml order), rad or m. */
  q: Float64Array;
  /** Last commanded gripper opening, m. */
  grip: number;
  /** Last commanded tcp position, world frame, m (the tcp always points down). */
  readonly pos = new Vector3();
  /** Last commanded tcp yaw about world z, rad. */
  yaw = 0;
  /**
   * A language correction ("a bit more to the left"): an offset, robot base frame, m, added
   * to every tcp target. `nudge()` moves the applied offset towards it at NUDGE_SPEED.
   */
  readonly correction = new Vector3();
  /** The offset applied to tcp targets now, world frame, m. */
  readonly #applied = new Vector3();
  readonly #baseToWorldRotation = new Matrix3();
  readonly #scratch = new Vector3();
  /**
   * Corrective adjustments made inside skills (re-aiming at a target that moved while
   * carrying), counted with the executor's recoveries.
   */
  adaptations = 0;

  constructor(robot: RobotDescription, options: MotionContextOptions) {
    this.robot = robot;
    this.dt = 1 / options.controlHz;
    this.q = Float64Array.from(robot.config.home);
    this.grip = robot.config.gripper.max_width;
    originToMatrix4(robot.config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] }, this.worldToBase).invert();
    this.#baseToWorldRotation.setFromMatrix4(this.worldToBase).transpose();
  }

  /** The offset applied to tcp targets now, world frame, m. */
  get appliedCorrection(): Readonly<Vector3> {
    return this.#applied;
  }

  /**
   * Moves the applied correction one control step (at most NUDGE_SPEED·dt) towards
   * `correction` and re-solves the commanded pose with it, so a correction takes effect
   * even while a skill waits, and never as a jump. An unreachable offset is not applied.
   */
  nudge(): void {
    const want = this.#scratch.copy(this.correction).applyMatrix3(this.#baseToWorldRotation);
    const delta = want.sub(this.#applied);
    const len = delta.length();
    if (len < 1e-9) return;
    const before = this.#applied.clone();
    this.#applied.add(delta.multiplyScalar(Math.min(1, (NUDGE_SPEED * this.dt) / len)));
    try {
      this.solveTo(this.pos.clone(), this.yaw);
    } catch (err) {
      if (!(err instanceof SkillFailure)) throw err;
      // Out of reach: keep what is applied, and ask for no more than that.
      this.#applied.copy(before);
      this.correction.copy(before).applyMatrix3(this.#baseToWorldRotation.clone().transpose());
    }
  }

  /** Adopts the measured state as the commanded one (on the first observation, or after a pause). */
  syncTo(obs: Observation): void {
    this.obs = obs;
    this.q = Float64Array.from(obs.joints.position);
    this.grip = obs.gripper.width;
    this.pos.set(...obs.ee.position).sub(this.#applied);
    this.yaw = yawOf(obs.ee.quaternion);
  }

  /** The action that holds the commanded state. */
  hold(): Action {
    return { joints: Array.from(this.q), gripper: this.grip };
  }

  /** Solves IK for a top-down tcp pose and makes it the commanded one. Throws SkillFailure if unreachable. */
  solveTo(p: Vector3, yaw: number): void {
    const target = topDownPose(this.#scratch.copy(p).add(this.#applied), yaw, new Matrix4()).premultiply(
      this.worldToBase,
    );
    const chain = this.robot.chain;
    const options = {
      seed: this.q,
      rest: chain.dof > 6 ? this.robot.config.home : undefined,
      restarts: 4,
      rng: this.rng,
      maxIterations: 100,
    };
    let result = solveIk(chain, target, options);
    // Near the edge of the workspace a few restarts may miss; try harder before giving up.
    if (!result.converged && result.positionError > 0.002)
      result = solveIk(chain, target, { ...options, restarts: 40 });
    if (!result.converged && result.positionError > 0.002) {
      throw new SkillFailure(
        `IK failed for tcp (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${p.z.toFixed(3)}) yaw ${yaw.toFixed(2)}: ` +
          `error ${(result.positionError * 1000).toFixed(1)} mm`,
      );
    }
    this.q = result.q;
    this.pos.copy(p);
    this.yaw = yaw;
  }

  /** An object of the latest observation; throws SkillFailure naming it when absent. */
  object(id: string): ObjectObservation {
    const o = this.obs.objects.find((k) => k.id === id);
    if (!o) throw new SkillFailure(`no object ${id} in the observation`);
    return o;
  }

  /** An object of the latest observation, or undefined. */
  findObject(id: string): ObjectObservation | undefined {
    return this.obs.objects.find((k) => k.id === id);
  }
}
