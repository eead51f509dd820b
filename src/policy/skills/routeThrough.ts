import { foldHalfTurn } from './geometry.ts';
import type { MotionContext } from './MotionContext.ts';
import {
  APPROACH_SPEED,
  CARRY_SPEED,
  closeGripper,
  FREE_SPEED,
  moveTo,
  retreat,
  SAFE_Z,
  settle,
  wait,
} from './motion.ts';
import { segmentInClip } from './perception.ts';
import { runSkill, type SkillDefinition, type SkillRun } from './Skill.ts';

export interface RouteThroughArgs {
  /** Id of the cable. */
  cable: string;
  /** Id of the clip to route it through. */
  clip: string;
  /**
   * The clip routed just before this one: the cable is taken from beyond the segment
   * seated there. Omitted for the first clip (the cable's fixed end is the start).
   */
  after?: string;
}

/** Over-the-clip carry height, lowering height and seating-poke depth of the tcp, m. */
const CARRY_Z = 0.075;
const LAY_Z = 0.045;
/** How far past the slot's far end the held segment is laid, m. */
const TENSION_PAST = 0.02;
/** Tcp height at which the pads clear the post tops, and the speed the cable is drawn through at. */
const SLIDE_Z = 0.068;
const PULL_SPEED = 0.06;
const CLEAR_Z = 0.09;
const POKE_Z = 0.045;
/** Opening while grasping a cable segment, m. */
const CABLE_GRIP = 0.032;
/** Opening when the laid cable is let go, m. */
const RELEASE_GRIP = 0.06;

/** Index of the segment the route starts from: the one seated in `after`, or the fixed end. */
function fixedIndexOf(ctx: MotionContext, { cable, after }: RouteThroughArgs): number {
  return after === undefined ? 0 : Math.max(0, segmentInClip(ctx.object(cable), ctx.object(after)));
}

/**
 * One attempt to put the cable through one clip (multi-stage): grasp the segment that
 * leaves enough slack from the last routed point, lift it, carry it over the clip, lower it
 * into the slot and release, then seat it with a closed-finger poke. Succeeds when a segment
 * beyond the previous clip's sits in this clip's slot.
 */
export const ROUTE_THROUGH: SkillDefinition<RouteThroughArgs> = {
  name: 'route_through',
  precondition(ctx, args) {
    const cable = ctx.findObject(args.cable);
    if (!cable?.segments) return `no cable ${args.cable} in the observation`;
    if (ctx.findObject(args.clip)?.kind !== 'clip') return `no clip ${args.clip} in the observation`;
    if (args.after !== undefined && !ctx.findObject(args.after))
      return `no clip ${args.after} in the observation`;
    const fixedIndex = fixedIndexOf(ctx, args);
    // The grasped segment needs a neighbour on each side.
    if (fixedIndex >= cable.segments.length - 2)
      return `no cable left beyond segment ${fixedIndex} to reach ${args.clip}`;
    return undefined;
  },
  *body(ctx, args) {
    const fixedIndex = fixedIndexOf(ctx, args);
    const cable = ctx.object(args.cable);
    const clip = ctx.object(args.clip);
    const segs = cable.segments!;
    const from = segs[fixedIndex]!;
    const dist = Math.hypot(clip.position[0] - from[0], clip.position[1] - from[1]);
    const spacing = Math.hypot(segs[1]![0] - segs[0]![0], segs[1]![1] - segs[0]![1]);
    // Enough cable between the last routed point and the grasped segment that it stays
    // slack both where the segment lies now and over the clip, lifted: a taut cable
    // pulls the last routed segment up out of its (open-topped) slot.
    const last = segs.length - 2;
    let j = Math.max(1, fixedIndex + 1);
    while (j < last) {
      const arc = (j - fixedIndex) * spacing;
      const now = Math.hypot(segs[j]![0] - from[0], segs[j]![1] - from[1]);
      // Over the clip the segment is lifted ~7 cm; on the way there the gripper is never
      // farther from the fixed point than it is now or at the clip (a straight carry).
      const overClip = Math.hypot(dist, 0.07);
      if (arc >= 1.2 * overClip + 0.03 && (fixedIndex === 0 || arc >= now + 0.05 || arc >= 1.8 * overClip))
        break;
      j++;
    }
    const p = segs[j]!;
    const prev = segs[j - 1]!;
    const next = segs[j + 1]!;
    const yaw = foldHalfTurn(Math.atan2(next[1] - prev[1], next[0] - prev[0]));
    ctx.grip = CABLE_GRIP;
    yield* retreat(ctx);
    yield* moveTo(ctx, p[0], p[1], SAFE_Z, yaw, FREE_SPEED);
    yield* moveTo(ctx, p[0], p[1], p[2] + 0.016, yaw, APPROACH_SPEED);
    yield* settle(ctx);
    yield* closeGripper(ctx);
    if (!ctx.obs.gripper.grasping) {
      ctx.grip = CABLE_GRIP;
      yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, SAFE_Z, ctx.yaw, APPROACH_SPEED);
      return {
        ok: false,
        kind: 'failed',
        reason: `missed the cable segment ${j} on the way to ${args.clip}`,
      };
    }
    const slotYaw = foldHalfTurn(clip.yaw);
    const [cx, cy] = clip.position;
    // The slot's far end, seen from the fixed point: past it by more than half a pad, so
    // the pads clear the posts when they go down.
    let ux = Math.cos(clip.yaw);
    let uy = Math.sin(clip.yaw);
    if (ux * (cx - from[0]) + uy * (cy - from[1]) < 0) {
      ux = -ux;
      uy = -uy;
    }
    const beyond = clip.size[0] / 2 + TENSION_PAST;
    yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, CARRY_Z, ctx.yaw, APPROACH_SPEED);
    // Lay the segment down just short of the slot's near end, so the cable behind it comes in
    // along the slot axis ...
    yield* moveTo(ctx, cx - ux * beyond, cy - uy * beyond, CARRY_Z, slotYaw, CARRY_SPEED * 0.6);
    yield* moveTo(ctx, cx - ux * beyond, cy - uy * beyond, LAY_Z, slotYaw, APPROACH_SPEED);
    // ... then draw it over the posts to past the far end, low: the cable behind it slides
    // between the posts (tension), and lay it down there.
    yield* moveTo(ctx, cx - ux * beyond, cy - uy * beyond, SLIDE_Z, slotYaw, APPROACH_SPEED);
    yield* moveTo(ctx, cx + ux * beyond, cy + uy * beyond, SLIDE_Z, slotYaw, PULL_SPEED);
    yield* moveTo(ctx, cx + ux * beyond, cy + uy * beyond, LAY_Z, slotYaw, APPROACH_SPEED);
    yield* settle(ctx);
    // Open wide (the pads are past the posts) so they do not drag the cable up on the way out.
    ctx.grip = RELEASE_GRIP;
    yield* wait(ctx, 0.4);
    yield* moveTo(ctx, ctx.pos.x, ctx.pos.y, CLEAR_Z, slotYaw, APPROACH_SPEED);
    yield* moveTo(ctx, cx, cy, CLEAR_Z, slotYaw, APPROACH_SPEED);
    // Seat it: poke straight down into the slot with closed fingers (they fit between the posts).
    // Wait until the fingers are measured closed (a real gripper's command takes a moment).
    ctx.grip = 0;
    yield* wait(ctx, 0.2);
    for (let i = 0; i < 1 / ctx.dt && ctx.obs.gripper.width > 0.004; i++) yield ctx.hold();
    yield* moveTo(ctx, cx, cy, POKE_Z, slotYaw, APPROACH_SPEED);
    yield* moveTo(ctx, cx, cy, CLEAR_Z, slotYaw, APPROACH_SPEED);
    // Let the cable settle, and the observation catch up, before the check.
    yield* wait(ctx, 0.3);
    return undefined;
  },
  succeeded(ctx, args) {
    const k = segmentInClip(ctx.object(args.cable), ctx.object(args.clip));
    if (k < 0) return false;
    return args.after === undefined || k > segmentInClip(ctx.object(args.cable), ctx.object(args.after));
  },
  failure: (_ctx, { cable, clip }) => `${cable} is not seated in ${clip}`,
  timeoutSeconds: () => 30,
};

export function routeThrough(ctx: MotionContext, args: RouteThroughArgs): SkillRun {
  return runSkill(ctx, ROUTE_THROUGH, args);
}
