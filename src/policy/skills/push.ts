import type { MotionContext } from './MotionContext.ts';
import { APPROACH_SPEED, FREE_SPEED, moveTo, retreat, SAFE_Z, settle } from './motion.ts';
import { inZone } from './perception.ts';
import { runSkill, type SkillDefinition, type SkillRun } from './Skill.ts';

export interface PushArgs {
  /** Id of the block to push. */
  object: string;
  /** Id of the zone to push it into. */
  zone: string;
  /** Strokes before giving up. @default 8 */
  strokes?: number;
}

/** Pad height while pushing, m: low enough to meet the block below its centre. */
const PUSH_Z = 0.022;
/** Stroke speed, m/s: slow, so the block slides rather than tumbles. */
const STROKE_SPEED = 0.08;
/** Centre distance to the zone centre that ends the strokes early, m. */
const DONE_RADIUS = 0.012;
/** Zone displacement between strokes that counts as a re-aim, m. */
const REAIM_DISTANCE = 0.02;

/**
 * Pushes a block along the table into a zone in short closed-loop strokes, each aimed from
 * the block's measured position at the zone's centre. Succeeds when the block's centre is
 * within the zone.
 */
export const PUSH: SkillDefinition<PushArgs> = {
  name: 'push',
  precondition(ctx, { object, zone }) {
    const obj = ctx.findObject(object);
    if (!obj) return `no object ${object} in the observation`;
    if (obj.kind !== 'block') return `${object} is a ${obj.kind}, not a block that can be pushed`;
    const z = ctx.findObject(zone);
    if (!z) return `no zone ${zone} in the observation`;
    return undefined;
  },
  *body(ctx, { object, zone: zoneId, strokes = 8 }) {
    let aimedAt: readonly number[] | undefined;
    for (let stroke = 0; stroke < strokes; stroke++) {
      // Each stroke aims at where the zone is now: if it moved since the last stroke, that
      // is a re-aim (counted as an adaptation, like place's).
      const zone = ctx.object(zoneId);
      if (
        aimedAt &&
        Math.hypot(zone.position[0] - aimedAt[0]!, zone.position[1] - aimedAt[1]!) > REAIM_DISTANCE
      )
        ctx.adaptations++;
      aimedAt = [...zone.position];
      const obj = ctx.object(object);
      const ex = zone.position[0] - obj.position[0];
      const ey = zone.position[1] - obj.position[1];
      const dist = Math.hypot(ex, ey);
      if (dist < DONE_RADIUS) return { ok: true };
      const ux = ex / dist;
      const uy = ey / dist;
      // Push with the pads' front faces: tcp x along the push (either way round).
      let yaw = Math.atan2(uy, ux);
      if (yaw > Math.PI / 2) yaw -= Math.PI;
      if (yaw < -Math.PI / 2) yaw += Math.PI;
      const back = (obj.size[0] / 2) * Math.SQRT2 + 0.01 + 0.012;
      const sx = obj.position[0] - ux * back;
      const sy = obj.position[1] - uy * back;
      const contact = obj.size[0] / 2 + 0.01;
      const tx = zone.position[0] - ux * contact;
      const ty = zone.position[1] - uy * contact;
      ctx.grip = 0.03;
      yield* retreat(ctx);
      yield* moveTo(ctx, sx, sy, SAFE_Z, yaw, FREE_SPEED);
      yield* moveTo(ctx, sx, sy, PUSH_Z, yaw, APPROACH_SPEED);
      yield* moveTo(ctx, tx, ty, PUSH_Z, yaw, STROKE_SPEED);
      yield* settle(ctx);
      yield* moveTo(ctx, tx - ux * 0.02, ty - uy * 0.02, PUSH_Z, yaw, APPROACH_SPEED);
      yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, SAFE_Z, yaw, APPROACH_SPEED);
    }
    return undefined;
  },
  succeeded: (ctx, { object, zone }) => inZone(ctx.object(object), ctx.object(zone)),
  failure: (_ctx, { object, zone }) => `could not push ${object} into ${zone}`,
  timeoutSeconds: (_ctx, { strokes = 8 }) => 10 * strokes,
};

export function push(ctx: MotionContext, args: PushArgs): SkillRun {
  return runSkill(ctx, PUSH, args);
}
