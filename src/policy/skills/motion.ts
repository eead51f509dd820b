import { Vector3 } from 'three';
import type { Action, Observation } from '../../../sim/Env.ts';
import { profileDuration, profileFraction, wrapAngle } from './geometry.ts';
import type { MotionContext } from './MotionContext.ts';

/** Heights and speeds of the skills' motions. Metres, m/s, s. */
export const SAFE_Z = 0.15; // free moves happen at or above this tcp height
export const FREE_SPEED = 0.35;
export const CARRY_SPEED = 0.3;
export const APPROACH_SPEED = 0.12;
export const CART_ACCEL = 1.0; // m/s²
export const YAW_SPEED = 1.5; // rad/s
/** Joint speed of joint-space moves (go home), rad/s. */
export const JOINT_SPEED = 0.8;

/** A motion primitive: yields actions, receives observations. */
export type Motion = Generator<Action, void, Observation>;

/**
 * Straight-line tcp move (pointing down) with a trapezoidal speed profile. With `until`,
 * the move stops where it is as soon as `until()` is true on a new observation; returns
 * whether it went all the way.
 */
export function* moveTo(
  ctx: MotionContext,
  x: number,
  y: number,
  z: number,
  yaw: number,
  speed: number,
  until?: () => boolean,
): Generator<Action, boolean, Observation> {
  const start = ctx.pos.clone();
  const startYaw = ctx.yaw;
  const goal = new Vector3(x, y, z);
  const length = start.distanceTo(goal);
  const dyaw = wrapAngle(yaw - startYaw);
  const duration = Math.max(profileDuration(length, speed, CART_ACCEL), Math.abs(dyaw) / YAW_SPEED, ctx.dt);
  const steps = Math.ceil(duration / ctx.dt);
  const p = new Vector3();
  for (let i = 1; i <= steps; i++) {
    const s = profileFraction((i / steps) * duration, duration, length, speed, CART_ACCEL);
    p.lerpVectors(start, goal, s);
    ctx.solveTo(p, startYaw + dyaw * s);
    yield ctx.hold();
    if (until?.()) return false;
  }
  return true;
}

/** Straight up to SAFE_Z (or stays, if already above it), keeping the yaw. */
export function* retreat(ctx: MotionContext, speed = FREE_SPEED): Motion {
  yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, Math.max(ctx.pos.z, SAFE_Z), ctx.yaw, speed);
}

/** Joint-space move to `target` with a smooth (cosine) profile at up to JOINT_SPEED. */
export function* moveJoints(ctx: MotionContext, target: readonly number[]): Motion {
  const start = Float64Array.from(ctx.q);
  const span = target.reduce((m, v, k) => Math.max(m, Math.abs(v - start[k]!)), 0);
  const steps = Math.max(1, Math.ceil((1.5 * span) / JOINT_SPEED / ctx.dt));
  for (let i = 1; i <= steps; i++) {
    const s = 0.5 - 0.5 * Math.cos((Math.PI * i) / steps);
    ctx.q = Float64Array.from(start, (v, k) => v + (target[k]! - v) * s);
    yield ctx.hold();
  }
}

/** Waits until the arm reaches its commanded joints (bounded to 1 s). */
export function* settle(ctx: MotionContext): Motion {
  for (let i = 0; i < 1 / ctx.dt; i++) {
    const err = ctx.obs.joints.position.reduce((m, v, k) => Math.max(m, Math.abs(v - ctx.q[k]!)), 0);
    const speed = ctx.obs.joints.velocity.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    if (err < 2e-4 && speed < 1e-3) return;
    yield ctx.hold();
  }
}

/** Closes until the gripper stalls on an object or shuts (bounded to 2 s). */
export function* closeGripper(ctx: MotionContext): Motion {
  ctx.grip = 0;
  let last = ctx.obs.gripper.width;
  for (let i = 0; i < 2 / ctx.dt; i++) {
    yield ctx.hold();
    const w = ctx.obs.gripper.width;
    if (ctx.obs.gripper.grasping || w < 1e-4) break;
    if (i > 5 && Math.abs(w - last) < 1e-7) break;
    last = w;
  }
  yield* wait(ctx, 0.1);
}

/** Holds the commanded state for `seconds`. */
export function* wait(ctx: MotionContext, seconds: number): Motion {
  for (let i = 0; i < seconds / ctx.dt; i++) yield ctx.hold();
}
