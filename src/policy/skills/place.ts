import type { Action, Observation } from '../../../sim/Env.ts';
import type { MotionContext } from './MotionContext.ts';
import { APPROACH_SPEED, CARRY_SPEED, moveTo, SAFE_Z, settle, wait } from './motion.ts';
import { freeSpotInBowl, inBowl, inZone, onTop } from './perception.ts';
import { runSkill, type SkillDefinition, type SkillRun } from './Skill.ts';

export interface PlaceArgs {
  /** Id of the held block. */
  object: string;
  /** Where it goes: a bowl (into it), a block (stacked on it) or a zone (set down in it). */
  target: string;
}

/**
 * Carries the held block over the target and releases it: into a bowl's free quadrant,
 * centred on top of a block, or in the middle of a zone. Succeeds when the block is in the
 * bowl, on the block, or in the zone.
 */
export const PLACE: SkillDefinition<PlaceArgs> = {
  name: 'place',
  precondition(ctx, { object, target }) {
    const obj = ctx.findObject(object);
    if (!obj) return `no object ${object} in the observation`;
    const tgt = ctx.findObject(target);
    if (!tgt) return `no target ${target} in the observation`;
    if (tgt.kind !== 'bowl' && tgt.kind !== 'block' && tgt.kind !== 'zone')
      return `cannot place on a ${tgt.kind} (${target})`;
    if (!ctx.obs.gripper.grasping) return `not holding ${object}`;
    return undefined;
  },
  *body(ctx, { object, target }) {
    // Where the block's centre is released, from the latest observation of the target.
    const aim = (): [number, number, number] => {
      const tgt = ctx.object(target);
      const obj = ctx.object(object);
      if (tgt.kind === 'bowl') {
        const spot = freeSpotInBowl(ctx.obs, tgt, object);
        // Release with the block's bottom 1 cm above the bowl's floor (8 mm plate).
        return [spot[0], spot[1], 0.008 + obj.size[2] / 2 + 0.01];
      }
      if (tgt.kind === 'block') {
        return [
          tgt.position[0],
          tgt.position[1],
          tgt.position[2] + tgt.size[2] / 2 + obj.size[2] / 2 + 0.004,
        ];
      }
      return [tgt.position[0], tgt.position[1], obj.size[2] / 2 + 0.01];
    };
    const dropped = yield* placeAt(ctx, object, aim);
    if (dropped)
      return { ok: false, kind: 'failed', reason: `${object} slipped out of the gripper in transport` };
    if (ctx.object(target).kind === 'block') yield* wait(ctx, 0.3);
    return undefined;
  },
  succeeded(ctx, { object, target }) {
    const obj = ctx.object(object);
    const tgt = ctx.object(target);
    if (tgt.kind === 'bowl') return inBowl(obj, tgt);
    if (tgt.kind === 'block') return onTop(obj, tgt);
    return inZone(obj, tgt);
  },
  failure: (_ctx, { object, target }) => `${object} did not end up in or on ${target}`,
  timeoutSeconds: () => 20,
};

export function place(ctx: MotionContext, args: PlaceArgs): SkillRun {
  return runSkill(ctx, PLACE, args);
}

export interface PutDownArgs {
  /** Id of the held block. */
  object: string;
}

/**
 * Sets the held block down on the table right below where it is, and lets go: used to
 * free the gripper safely when the instruction changes while holding something.
 */
export const PUT_DOWN: SkillDefinition<PutDownArgs> = {
  name: 'put_down',
  precondition(ctx, { object }) {
    if (!ctx.findObject(object)) return `no object ${object} in the observation`;
    if (!ctx.obs.gripper.grasping) return `not holding ${object}`;
    return undefined;
  },
  *body(ctx, { object }) {
    const obj = ctx.object(object);
    const spot: [number, number, number] = [obj.position[0], obj.position[1], obj.size[2] / 2 + 0.01];
    yield* placeAt(ctx, object, () => spot);
    return undefined;
  },
  succeeded(ctx, { object }) {
    const obj = ctx.object(object);
    return !ctx.obs.gripper.grasping && obj.position[2] < obj.size[2];
  },
  failure: (_ctx, { object }) => `${object} is not resting on the table`,
  timeoutSeconds: () => 15,
};

export function putDown(ctx: MotionContext, args: PutDownArgs): SkillRun {
  return runSkill(ctx, PUT_DOWN, args);
}

/** A target that moved this far while carrying is re-aimed at, m. */
const REAIM_DISTANCE = 0.02;
/** Most re-aims per carry. */
const MAX_REAIMS = 3;

/**
 * Carries the held object so its centre ends over `aim()`'s (x, y) and releases it with its
 * centre at `aim()`'s height. The object's offset in the grip is measured, not assumed.
 * Closed loop while carrying: if the aim point moves (the target was moved) the carry
 * re-aims from where it is (counted in `ctx.adaptations`); if the object leaves the
 * gripper, it stops and returns true (dropped) without releasing anything.
 */
export function* placeAt(
  ctx: MotionContext,
  id: string,
  aim: () => [number, number, number],
): Generator<Action, boolean, Observation> {
  const obj = ctx.object(id);
  const dx = obj.position[0] - ctx.obs.ee.position[0];
  const dy = obj.position[1] - ctx.obs.ee.position[1];
  const dz = obj.position[2] - ctx.obs.ee.position[2];
  let [x, y, z] = aim();
  const lost = () => !ctx.obs.gripper.grasping;
  for (let reaims = 0; ; reaims++) {
    const moved = () => {
      const [ax, ay] = aim();
      return reaims < MAX_REAIMS && Math.hypot(ax - x, ay - y) > REAIM_DISTANCE;
    };
    if (yield* moveTo(ctx, x - dx, y - dy, SAFE_Z, ctx.yaw, CARRY_SPEED, () => lost() || moved())) break;
    if (lost()) return true;
    ctx.adaptations++;
    [x, y, z] = aim();
  }
  if (lost()) return true;
  [x, y, z] = aim();
  yield* moveTo(ctx, x - dx, y - dy, z - dz, ctx.yaw, APPROACH_SPEED);
  yield* settle(ctx);
  // Open just clear of the block (6 mm a side): wider pads would sweep its neighbours.
  ctx.grip = Math.min(ctx.robot.config.gripper.max_width, obj.size[1] + 0.012);
  yield* wait(ctx, 0.4);
  yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, SAFE_Z, ctx.yaw, APPROACH_SPEED);
  return false;
}
