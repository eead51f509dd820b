import { UserError } from '../errors.ts';

/** The fields of a trajectory_msgs/JointTrajectory this module reads. */
export interface JointTrajectoryLike {
  joint_names: readonly string[];
  points: ReadonlyArray<{
    positions: ArrayLike<number>;
    velocities?: ArrayLike<number>;
    time_from_start: { sec: number; nanosec: number };
  }>;
}

/** Why a trajectory was refused, as control_msgs/FollowJointTrajectory result codes name it. */
export type TrajectoryRejection = 'INVALID_JOINTS' | 'INVALID_GOAL';

export class TrajectoryError extends UserError {
  override name = 'TrajectoryError';
  readonly code: TrajectoryRejection;
  constructor(code: TrajectoryRejection, message: string, source?: string) {
    super(message, source === undefined ? undefined : { source });
    this.code = code;
  }
}

export interface TrajectoryLimits {
  /** Joint names in the robot's command order. */
  names: readonly string[];
  /** rad */
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
  /** rad/s */
  velocity: ArrayLike<number>;
}

/**
 * A validated joint trajectory in the robot's joint order, starting from the arm's
 * state when it was accepted, ready to be sampled at the controller rate.
 *
 * Checks, as ros2_controllers' joint_trajectory_controller does before it accepts a
 * goal, plus the limit checks DESIGN.md asks of every command:
 * - every joint is named once, and all of the robot's joints are present (INVALID_JOINTS);
 * - times from start strictly increase; values are finite (INVALID_GOAL);
 * - every position lies within the URDF limits, and the average velocity between
 *   successive points (and from the current state to the first) within the velocity
 *   limit, with `velocityTolerance` slack for rounding (INVALID_GOAL).
 * Errors name the joint, the point and the value.
 *
 * Interpolation: cubic Hermite between points when every point has velocities,
 * otherwise linear, like the JTC's spline and linear interpolation methods.
 */
export class JointTrajectoryPlan {
  readonly dof: number;
  /** Seconds from start, including t = 0 for the start state. */
  readonly times: Float64Array;
  /** Positions, points × dof. */
  readonly positions: Float64Array;
  /** Velocities, points × dof (zero where not given). */
  readonly velocities: Float64Array;
  readonly cubic: boolean;

  constructor(
    traj: JointTrajectoryLike,
    limits: TrajectoryLimits,
    start: ArrayLike<number>,
    source?: string,
  ) {
    const n = limits.names.length;
    this.dof = n;
    const order = new Int32Array(n).fill(-1);
    traj.joint_names.forEach((name, k) => {
      const i = limits.names.indexOf(name);
      if (i < 0) {
        throw new TrajectoryError(
          'INVALID_JOINTS',
          `unknown joint "${name}"; the arm's joints are ${limits.names.join(', ')}`,
          source,
        );
      }
      if (order[i]! >= 0)
        throw new TrajectoryError('INVALID_JOINTS', `joint "${name}" is named twice`, source);
      order[i] = k;
    });
    const missing = limits.names.filter((_, i) => order[i]! < 0);
    if (missing.length) {
      throw new TrajectoryError('INVALID_JOINTS', `missing joints ${missing.join(', ')}`, source);
    }
    if (traj.points.length === 0)
      throw new TrajectoryError('INVALID_GOAL', 'trajectory has no points', source);

    const m = traj.points.length + 1;
    this.times = new Float64Array(m);
    this.positions = new Float64Array(m * n);
    this.velocities = new Float64Array(m * n);
    for (let i = 0; i < n; i++) this.positions[i] = start[i]!;
    this.cubic = traj.points.every((p) => (p.velocities?.length ?? 0) === traj.joint_names.length);
    traj.points.forEach((p, k) => {
      const t = p.time_from_start.sec + p.time_from_start.nanosec * 1e-9;
      const prevT = this.times[k]!;
      if (!(Number.isFinite(t) && t > prevT)) {
        throw new TrajectoryError(
          'INVALID_GOAL',
          `point ${k}: time_from_start ${t} s must be finite and after ${prevT} s`,
          source,
        );
      }
      this.times[k + 1] = t;
      if (p.positions.length !== traj.joint_names.length) {
        throw new TrajectoryError(
          'INVALID_GOAL',
          `point ${k}: ${p.positions.length} positions for ${traj.joint_names.length} joints`,
          source,
        );
      }
      for (let i = 0; i < n; i++) {
        const name = limits.names[i]!;
        const q = p.positions[order[i]!]!;
        const v = this.cubic ? p.velocities![order[i]!]! : 0;
        if (!Number.isFinite(q) || !Number.isFinite(v)) {
          throw new TrajectoryError(
            'INVALID_GOAL',
            `point ${k}: joint "${name}" value ${q}/${v} is not finite`,
            source,
          );
        }
        if (q < limits.lower[i]! || q > limits.upper[i]!) {
          throw new TrajectoryError(
            'INVALID_GOAL',
            `point ${k}: joint "${name}" position ${q} is outside its limits [${limits.lower[i]}, ${limits.upper[i]}]`,
            source,
          );
        }
        const prevQ = this.positions[k * n + i]!;
        const speed = Math.abs(q - prevQ) / (t - prevT);
        const vmax = limits.velocity[i]!;
        if (speed > vmax * VELOCITY_TOLERANCE || Math.abs(v) > vmax * VELOCITY_TOLERANCE) {
          throw new TrajectoryError(
            'INVALID_GOAL',
            `point ${k}: joint "${name}" needs ${Math.max(speed, Math.abs(v)).toFixed(3)} rad/s, above its limit ${vmax} rad/s`,
            source,
          );
        }
        this.positions[(k + 1) * n + i] = q;
        this.velocities[(k + 1) * n + i] = v;
      }
    });
  }

  /** Seconds from start to the last point. */
  get duration(): number {
    return this.times[this.times.length - 1]!;
  }

  /** Desired positions (and velocities) at `t` seconds from start; holds the last point after the end. */
  sample(t: number, outPos: Float64Array, outVel?: Float64Array): void {
    const n = this.dof;
    const times = this.times;
    const last = times.length - 1;
    if (t >= times[last]!) {
      for (let i = 0; i < n; i++) {
        outPos[i] = this.positions[last * n + i]!;
        if (outVel) outVel[i] = 0;
      }
      return;
    }
    let k = 0;
    while (k < last - 1 && t >= times[k + 1]!) k++;
    const t0 = times[k]!;
    const h = times[k + 1]! - t0;
    const s = Math.max(0, (t - t0) / h);
    for (let i = 0; i < n; i++) {
      const p0 = this.positions[k * n + i]!;
      const p1 = this.positions[(k + 1) * n + i]!;
      if (!this.cubic) {
        outPos[i] = p0 + (p1 - p0) * s;
        if (outVel) outVel[i] = (p1 - p0) / h;
        continue;
      }
      const m0 = this.velocities[k * n + i]! * h;
      const m1 = this.velocities[(k + 1) * n + i]! * h;
      const s2 = s * s;
      const s3 = s2 * s;
      outPos[i] =
        (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * m1;
      if (outVel) {
        outVel[i] =
          ((6 * s2 - 6 * s) * p0 +
            (3 * s2 - 4 * s + 1) * m0 +
            (-6 * s2 + 6 * s) * p1 +
            (3 * s2 - 2 * s) * m1) /
          h;
      }
    }
  }
}

/** Slack on velocity checks for rounding in time_from_start. */
const VELOCITY_TOLERANCE = 1.01;
