/**
 * Checks at the command boundary: every joint command from the policy or a transport passes
 * through here before it reaches the arm (simulated or real), as ros2_control's joint_limits do.
 *
 * - `assertFiniteJointValues` rejects wrong lengths and NaN/±Infinity, naming the joint.
 * - `clampToLimits` and `checkJointCommand` clamp positions into the URDF limits and say which
 *   joints were clamped.
 * - `limitStep` bounds how far a streamed position target may move per control period.
 *
 * The per-step functions allocate nothing.
 */
import { UserError } from '../errors.ts';

export interface JointPositionLimits {
  /** rad or m */
  lower: ArrayLike<number>;
  /** rad or m */
  upper: ArrayLike<number>;
}

export interface JointCommandCheck {
  /** How many joints were clamped into their limits. */
  clampedCount: number;
  /** Names of the clamped joints (empty, and shared, when none were). */
  clamped: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Throws unless `values` has one finite number per joint.
 * @param quantity what the values are, for the message: 'position', 'velocity', 'effort'.
 * @param source where the command came from (topic, file), for the message.
 * @throws UserError like `joint "elbow_joint" position NaN`.
 */
export function assertFiniteJointValues(
  names: readonly string[],
  values: ArrayLike<number>,
  quantity = 'position',
  source?: string,
): void {
  if (values.length !== names.length) {
    throw new UserError(
      `expected ${names.length} joint ${quantity} values (${names.join(', ')}), got ${values.length}`,
      source === undefined ? undefined : { source },
    );
  }
  for (let i = 0; i < names.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UserError(
        `joint "${names[i]}" ${quantity} ${String(v)}`,
        source === undefined ? undefined : { source },
      );
    }
  }
}

/**
 * out[i] = q[i] clamped into [lower[i], upper[i]]. `out` may be `q`. When given, `clampedMask[i]`
 * is set to 1 for clamped joints and 0 otherwise. Returns the number of clamped joints.
 */
export function clampToLimits(
  q: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  out: Float64Array,
  clampedMask?: Uint8Array,
): number {
  let count = 0;
  for (let i = 0; i < q.length; i++) {
    const v = q[i]!;
    const lo = lower[i]!;
    const hi = upper[i]!;
    const c = Math.min(hi, Math.max(lo, v));
    const hit = c !== v;
    if (hit) count++;
    if (clampedMask) clampedMask[i] = hit ? 1 : 0;
    out[i] = c;
  }
  return count;
}

/**
 * Validates a joint position command and clamps it into the limits, writing the result to `out`.
 * @throws UserError for a wrong length or a non-finite value, naming the joint.
 */
export function checkJointCommand(
  names: readonly string[],
  q: ArrayLike<number>,
  limits: JointPositionLimits,
  out: Float64Array,
  source?: string,
): JointCommandCheck {
  assertFiniteJointValues(names, q, 'position', source);
  let count = 0;
  for (let i = 0; i < names.length; i++) {
    const v = q[i]!;
    const c = Math.min(limits.upper[i]!, Math.max(limits.lower[i]!, v));
    if (c !== v) count++;
    out[i] = c;
  }
  if (count === 0) return { clampedCount: 0, clamped: NONE };
  const clamped: string[] = [];
  for (let i = 0; i < names.length; i++) if (out[i] !== q[i]) clamped.push(names[i]!);
  return { clampedCount: count, clamped };
}

/**
 * Moves from `current` toward `target` by at most `maxVelocity[i] * dt` per joint:
 * out[i] = current[i] + clamp(target[i] - current[i], ±maxVelocity[i]·dt). `out` may alias either
 * input. Returns the number of joints whose step was limited.
 * @param maxVelocity rad/s (m/s)
 * @param dt control period, seconds
 */
export function limitStep(
  current: ArrayLike<number>,
  target: ArrayLike<number>,
  maxVelocity: ArrayLike<number>,
  dt: number,
  out: Float64Array,
): number {
  let limited = 0;
  for (let i = 0; i < current.length; i++) {
    const c = current[i]!;
    const maxStep = maxVelocity[i]! * dt;
    const d = target[i]! - c;
    if (d > maxStep) {
      out[i] = c + maxStep;
      limited++;
    } else if (d < -maxStep) {
      out[i] = c - maxStep;
      limited++;
    } else {
      out[i] = target[i]!;
    }
  }
  return limited;
}
