import { graspYaw } from './geometry.ts';
import type { MotionContext } from './MotionContext.ts';
import {
  APPROACH_SPEED,
  closeGripper,
  FREE_SPEED,
  type Motion,
  moveTo,
  retreat,
  SAFE_Z,
  settle,
  wait,
} from './motion.ts';
import { runSkill, type SkillDefinition, type SkillRun } from './Skill.ts';

export interface PickArgs {
  /** Id of the block to pick. */
  object: string;
  /** Grasp attempts before giving up; each miss opens, waits and lifts first. @default 3 */
  attempts?: number;
}

/** Re-grasp attempts of a pick, by default. */
export const PICK_ATTEMPTS = 3;

/**
 * Grasps a block from above, across a pair of faces, and lifts it to SAFE_Z. Succeeds
 * when the gripper is stalled on the block at the top.
 */
export const PICK: SkillDefinition<PickArgs> = {
  name: 'pick',
  precondition(ctx, { object }) {
    const obj = ctx.findObject(object);
    if (!obj) return `no object ${object} in the observation`;
    if (obj.kind !== 'block') return `${object} is a ${obj.kind}, not a block that can be picked`;
    return undefined;
  },
  *body(ctx, { object, attempts = PICK_ATTEMPTS }) {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const obj = ctx.object(object);
      const yaw = graspYaw(obj.yaw);
      const [x, y, z] = obj.position;
      ctx.grip = Math.min(ctx.robot.config.gripper.max_width, obj.size[1] + 0.03);
      yield* retreat(ctx);
      yield* moveTo(ctx, x, y, SAFE_Z, yaw, FREE_SPEED);
      // Pads are 4 cm long and centred on the tcp: grip 5 mm above the centre keeps them off the table.
      yield* moveTo(ctx, x, y, z + 0.005, yaw, APPROACH_SPEED);
      yield* settle(ctx);
      yield* closeGripper(ctx);
      if (ctx.obs.gripper.grasping) {
        yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, SAFE_Z, ctx.yaw, APPROACH_SPEED);
        if (ctx.obs.gripper.grasping) return { ok: true };
      }
      yield* releaseAndLift(ctx);
    }
    return { ok: false, kind: 'failed', reason: `could not grasp ${object} in ${attempts} attempts` };
  },
  succeeded: (ctx) => ctx.obs.gripper.grasping,
  failure: (_ctx, { object }) => `not holding ${object} after the pick`,
  timeoutSeconds: (_ctx, { attempts = PICK_ATTEMPTS }) => 20 * attempts,
};

/** Opens fully, lets go, and lifts straight up to SAFE_Z: after a missed grasp, or to drop a block. */
export function* releaseAndLift(ctx: MotionContext): Motion {
  ctx.grip = ctx.robot.config.gripper.max_width;
  yield* wait(ctx, 0.3);
  yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, SAFE_Z, ctx.yaw, APPROACH_SPEED);
}

export function pick(ctx: MotionContext, args: PickArgs): SkillRun {
  return runSkill(ctx, PICK, args);
}
