/**
 * Joint-space position controller for the kinematic arm, stepped at the physics rate.
 *
 * Each step it moves every joint toward its target along a time-optimal
 * bang-bang profile: velocity is limited by the URDF velocity limit, acceleration by
 * the smaller of robot.yaml's `max_acceleration` and the URDF effort limit divided by
 * the joint's estimated inertia. Targets are clamped to the URDF position limits
 * before they get here (see src/control/Limits.ts), and positions never leave them.
 *
 * Allocation-free: all state is in Float64Arrays.
 */
export class JointController {
  readonly dof: number;
  /** Current joint positions, rad (or m). */
  readonly position: Float64Array;
  /** Current joint velocities, rad/s. */
  readonly velocity: Float64Array;
  /** Targets being tracked. */
  readonly target: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly maxVelocity: Float64Array;
  readonly maxAcceleration: Float64Array;

  constructor(options: {
    initial: ArrayLike<number>;
    lower: ArrayLike<number>;
    upper: ArrayLike<number>;
    /** rad/s */
    maxVelocity: ArrayLike<number>;
    /** rad/s² */
    maxAcceleration: ArrayLike<number>;
  }) {
    this.dof = options.initial.length;
    this.position = Float64Array.from(options.initial);
    this.velocity = new Float64Array(this.dof);
    this.target = Float64Array.from(options.initial);
    this.lower = Float64Array.from(options.lower);
    this.upper = Float64Array.from(options.upper);
    this.maxVelocity = Float64Array.from(options.maxVelocity);
    this.maxAcceleration = Float64Array.from(options.maxAcceleration);
  }

  /** Sets new targets (already validated and clamped by the caller). */
  setTarget(q: ArrayLike<number>): void {
    for (let i = 0; i < this.dof; i++) this.target[i] = q[i] as number;
  }

  /** Teleports to `q` with zero velocity (episode reset only). */
  reset(q: ArrayLike<number>): void {
    for (let i = 0; i < this.dof; i++) this.position[i] = q[i] as number;
    this.velocity.fill(0);
    this.target.set(this.position);
  }

  /** Advances one step of `dt` seconds. */
  step(dt: number): void {
    for (let i = 0; i < this.dof; i++) {
      const q = this.position[i] as number;
      const v = this.velocity[i] as number;
      const a = this.maxAcceleration[i] as number;
      const vmax = this.maxVelocity[i] as number;
      const e = (this.target[i] as number) - q;
      // Fastest velocity from which we can still stop at the target.
      const vStop = Math.sqrt(2 * a * Math.abs(e));
      let vDes = Math.sign(e) * Math.min(vmax, vStop);
      // Land exactly on the target when one step gets there.
      if (Math.abs(e) <= Math.abs(vDes) * dt) vDes = e / dt;
      const dv = Math.max(-a * dt, Math.min(a * dt, vDes - v));
      let vNext = v + dv;
      if (Math.abs(vDes) <= a * dt && Math.abs(e) <= a * dt * dt) vNext = e / dt;
      let qNext = q + vNext * dt;
      const lo = this.lower[i] as number;
      const hi = this.upper[i] as number;
      if (qNext < lo) {
        qNext = lo;
        vNext = 0;
      } else if (qNext > hi) {
        qNext = hi;
        vNext = 0;
      }
      this.position[i] = qNext;
      this.velocity[i] = vNext;
    }
  }

  /** Largest |velocity| over the joints, rad/s. */
  maxSpeed(): number {
    let m = 0;
    for (let i = 0; i < this.dof; i++) m = Math.max(m, Math.abs(this.velocity[i] as number));
    return m;
  }
}
