import type { ObjectObservation, Observation } from '../../../sim/Env.ts';
import { toLocal } from './geometry.ts';

/** The object lies inside the bowl's inner square, below its rim. */
export function inBowl(obj: ObjectObservation, bowl: ObjectObservation): boolean {
  const [lx, ly] = toLocal(obj.position, bowl);
  const half = (bowl.innerSize ?? bowl.size[0]) / 2;
  return Math.abs(lx) < half && Math.abs(ly) < half && obj.position[2] < bowl.size[2] + obj.size[2] / 2;
}

/** `top` rests on `base`: centred within half the base's side, and above three quarters of its height. */
export function onTop(top: ObjectObservation, base: ObjectObservation): boolean {
  return (
    Math.hypot(top.position[0] - base.position[0], top.position[1] - base.position[1]) < base.size[0] / 2 &&
    top.position[2] > base.position[2] + base.size[2] * 0.75
  );
}

/** The object's centre is within the zone's half side (xy) of the zone's centre. */
export function inZone(obj: ObjectObservation, zone: ObjectObservation): boolean {
  return (
    Math.hypot(zone.position[0] - obj.position[0], zone.position[1] - obj.position[1]) <= zone.size[0] / 2
  );
}

/** The quadrant spot in the bowl farthest from blocks already in it (world x, y). */
export function freeSpotInBowl(obs: Observation, bowl: ObjectObservation, exclude: string): [number, number] {
  const inside = obs.objects.filter((o) => o.kind === 'block' && o.id !== exclude && inBowl(o, bowl));
  if (inside.length === 0) return [bowl.position[0], bowl.position[1]];
  const q = (bowl.innerSize ?? bowl.size[0]) / 4;
  const c = Math.cos(bowl.yaw);
  const s = Math.sin(bowl.yaw);
  let best: [number, number] = [bowl.position[0], bowl.position[1]];
  let bestClear = -1;
  for (const [ax, ay] of [
    [q, q],
    [q, -q],
    [-q, q],
    [-q, -q],
  ] as const) {
    const x = bowl.position[0] + c * ax - s * ay;
    const y = bowl.position[1] + s * ax + c * ay;
    const clear = Math.min(...inside.map((o) => Math.hypot(o.position[0] - x, o.position[1] - y)));
    if (clear > bestClear) {
      bestClear = clear;
      best = [x, y];
    }
  }
  return best;
}

/** Index of the first cable segment seated in the clip's slot, or −1. */
export function segmentInClip(cable: ObjectObservation, clip: ObjectObservation): number {
  const halfSlot = (clip.slotWidth ?? 0) / 2;
  const segs = cable.segments!;
  for (let i = 0; i < segs.length; i++) {
    const [lx, ly] = toLocal(segs[i]!, clip);
    if (Math.abs(lx) <= clip.size[0] / 2 + 0.01 && Math.abs(ly) < halfSlot && segs[i]![2] < clip.size[2])
      return i;
  }
  return -1;
}

/** The gripper is stalled on something and the object's centre is within 6 cm of the tcp. */
export function holding(obs: Observation, obj: ObjectObservation): boolean {
  const [x, y, z] = obs.ee.position;
  return (
    obs.gripper.grasping && Math.hypot(obj.position[0] - x, obj.position[1] - y, obj.position[2] - z) < 0.06
  );
}
