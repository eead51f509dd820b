import { yawOf } from './geometry.ts';
import type { MotionContext } from './MotionContext.ts';
import { moveJoints, retreat, settle } from './motion.ts';
import { runSkill, type SkillDefinition, type SkillRun } from './Skill.ts';

// biome-ignore lint/complexity/noBannedTypes: go_home takes no arguments
export type GoHomeArgs = {};

/** Joint error under which the arm counts as home, rad. */
const HOME_TOLERANCE = 0.01;

/**
 * Lifts straight up to a safe height, then moves in joint space to the robot's home pose
 * (robot.yaml). Succeeds when the measured joints are within 0.01 rad of home.
 */
export const GO_HOME: SkillDefinition<GoHomeArgs> = {
  name: 'go_home',
  precondition: () => undefined,
  *body(ctx) {
    yield* retreat(ctx);
    yield* moveJoints(ctx, ctx.robot.config.home);
    yield* settle(ctx);
    // Joint-space moves leave the Cartesian command behind: take the tcp pose as measured.
    ctx.pos.set(...ctx.obs.ee.position);
    ctx.yaw = yawOf(ctx.obs.ee.quaternion);
    return undefined;
  },
  succeeded: (ctx) =>
    ctx.obs.joints.position.every((v, k) => Math.abs(v - ctx.robot.config.home[k]!) < HOME_TOLERANCE),
  failure: () => 'the arm did not reach its home pose',
  timeoutSeconds: () => 15,
};

export function goHome(ctx: MotionContext, args: GoHomeArgs = {}): SkillRun {
  return runSkill(ctx, GO_HOME, args);
}
