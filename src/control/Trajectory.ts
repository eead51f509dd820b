/**
 * Time parameterisation of a joint-space path through waypoints under per-joint velocity and
 * acceleration limits.
 *
 * Each segment between consecutive waypoints is a straight line in joint space, traversed with a
 * synchronised trapezoidal velocity profile: one path parameter s(t) ∈ [0, 1] drives every joint,
 * so all joints start and arrive together and the arm does not wander off the line between
 * waypoints. The profile's peak speed and acceleration are the largest that keep every joint
 * within its limits (the tightest joint saturates). The arm comes to rest at each waypoint, as a
 * sequence of point-to-point moves does; that is the conservative choice for pick-and-place
 * approach, grasp and lift waypoints.
 *
 * The result maps straight onto trajectory_msgs/JointTrajectory: `waypointTimes` are the points'
 * time_from_start, with zero velocity at each point; `sample` gives the dense profile a
 * joint_trajectory_controller would interpolate.
 */
import { UserError } from '../errors.ts';

export interface TrajectoryLimits {
  /** Max speed per joint, rad/s (m/s for prismatic joints). Positive. */
  velocity: ArrayLike<number>;
  /** Max acceleration per joint, rad/s² (m/s²). Positive. */
  acceleration: ArrayLike<number>;
}

export interface TrajectoryOptions {
  /** Fraction of the velocity limits to use, in (0, 1], as MoveIt's max_velocity_scaling_factor. @default 1 */
  velocityScaling?: number;
  /** Fraction of the acceleration limits to use, in (0, 1]. @default 1 */
  accelerationScaling?: number;
}

export interface JointTrajectory {
  /** Joints per waypoint. */
  readonly dof: number;
  /** Total time, seconds. */
  readonly duration: number;
  /** Time from start at which each waypoint is reached (at rest), seconds; non-decreasing. */
  readonly waypointTimes: Float64Array;
  /**
   * Writes the state at time `t` seconds (clamped to [0, duration]) into the out arrays:
   * positions (rad or m), and optionally velocities and accelerations. Allocates nothing.
   */
  sample(t: number, outPos: Float64Array, outVel?: Float64Array, outAcc?: Float64Array): void;
}

/**
 * Plans a trajectory through `waypoints` (each of length dof, rad or m).
 * Repeated waypoints give zero-length segments, which take no time.
 * @throws UserError for empty or ragged waypoints, non-finite values, or non-positive limits.
 */
export function planTrajectory(
  waypoints: ReadonlyArray<ArrayLike<number>>,
  limits: TrajectoryLimits,
  options: TrajectoryOptions = {},
): JointTrajectory {
  if (waypoints.length === 0) throw new UserError('planTrajectory: no waypoints');
  const n = waypoints[0]!.length;
  const vs = options.velocityScaling ?? 1;
  const as = options.accelerationScaling ?? 1;
  if (!(vs > 0 && vs <= 1)) throw new UserError(`planTrajectory: velocityScaling ${vs} is not in (0, 1]`);
  if (!(as > 0 && as <= 1)) throw new UserError(`planTrajectory: accelerationScaling ${as} is not in (0, 1]`);
  if (limits.velocity.length !== n || limits.acceleration.length !== n) {
    throw new UserError(
      `planTrajectory: ${n} joints but ${limits.velocity.length} velocity and ${limits.acceleration.length} acceleration limits`,
    );
  }
  for (let j = 0; j < n; j++) {
    const v = limits.velocity[j]!;
    const a = limits.acceleration[j]!;
    if (!(v > 0 && Number.isFinite(v))) throw new UserError(`planTrajectory: joint ${j} velocity limit ${v}`);
    if (!(a > 0 && Number.isFinite(a)))
      throw new UserError(`planTrajectory: joint ${j} acceleration limit ${a}`);
  }
  const m = waypoints.length;
  const points = new Float64Array(m * n);
  waypoints.forEach((w, k) => {
    if (w.length !== n)
      throw new UserError(`planTrajectory: waypoint ${k} has ${w.length} values, expected ${n}`);
    for (let j = 0; j < n; j++) {
      const v = w[j]!;
      if (!Number.isFinite(v)) throw new UserError(`planTrajectory: waypoint ${k} joint ${j} value ${v}`);
      points[k * n + j] = v;
    }
  });

  // Per segment: acceleration A (1/s²) and accel time ta, cruise time tc, peak speed V (1/s) of s(t).
  const segs = m - 1;
  const accel = new Float64Array(segs);
  const tAcc = new Float64Array(segs);
  const tCruise = new Float64Array(segs);
  const peak = new Float64Array(segs);
  const times = new Float64Array(m);
  for (let k = 0; k < segs; k++) {
    let V = Infinity;
    let A = Infinity;
    for (let j = 0; j < n; j++) {
      const d = Math.abs(points[(k + 1) * n + j]! - points[k * n + j]!);
      if (d === 0) continue;
      V = Math.min(V, (vs * limits.velocity[j]!) / d);
      A = Math.min(A, (as * limits.acceleration[j]!) / d);
    }
    let duration = 0;
    if (V !== Infinity) {
      if (V * V >= A) {
        // Triangular: accelerate to the midpoint, then decelerate; the peak stays below V.
        const ta = Math.sqrt(1 / A);
        tAcc[k] = ta;
        peak[k] = A * ta;
        duration = 2 * ta;
      } else {
        const ta = V / A;
        tAcc[k] = ta;
        tCruise[k] = 1 / V - ta;
        peak[k] = V;
        duration = 2 * ta + tCruise[k]!;
      }
      accel[k] = A;
    }
    times[k + 1] = times[k]! + duration;
  }
  const total = times[m - 1]!;

  return {
    dof: n,
    duration: total,
    waypointTimes: times,
    sample(t: number, outPos: Float64Array, outVel?: Float64Array, outAcc?: Float64Array): void {
      const tc = t > 0 ? Math.min(t, total) : 0; // NaN -> 0
      if (segs === 0 || tc >= total) {
        for (let j = 0; j < n; j++) outPos[j] = points[(m - 1) * n + j]!;
        outVel?.fill(0, 0, n);
        outAcc?.fill(0, 0, n);
        return;
      }
      // Last segment whose start time is <= tc (zero-length segments are skipped over).
      let lo = 0;
      let hi = segs - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= tc) lo = mid;
        else hi = mid - 1;
      }
      const k = lo;
      const tau = tc - times[k]!;
      const T = times[k + 1]! - times[k]!;
      const A = accel[k]!;
      const ta = tAcc[k]!;
      let s: number;
      let sd: number;
      let sdd: number;
      if (T === 0) {
        s = 1;
        sd = 0;
        sdd = 0;
      } else if (tau < ta) {
        s = 0.5 * A * tau * tau;
        sd = A * tau;
        sdd = A;
      } else if (tau < ta + tCruise[k]!) {
        s = 0.5 * A * ta * ta + peak[k]! * (tau - ta);
        sd = peak[k]!;
        sdd = 0;
      } else {
        const r = T - tau;
        s = 1 - 0.5 * A * r * r;
        sd = A * r;
        sdd = -A;
      }
      const p0 = k * n;
      const p1 = (k + 1) * n;
      for (let j = 0; j < n; j++) {
        const a = points[p0 + j]!;
        const b = points[p1 + j]!;
        // (1 - s)·a + s·b is exactly a at s = 0 and exactly b at s = 1.
        outPos[j] = (1 - s) * a + s * b;
        if (outVel) outVel[j] = (b - a) * sd;
        if (outAcc) outAcc[j] = (b - a) * sdd;
      }
    },
  };
}
