/**
 * Mid-episode disturbances for robustness evaluation (`simbridge eval --perturb`,
 * `--switch`): what the world or the user does to a running policy, once per episode.
 *
 * - `knock`: the held block is knocked out of the gripper mid-transport and lands on the
 *   table 8-14 cm away.
 * - `move_target`: while the first grasped block is carried to it (or, for a push, once
 *   the block first moves), the target (bowl, base block or zone) is moved 10-18 cm.
 * - `unclip`: once the cable is routed through its first two clips and let go, it is
 *   lifted out of the first clip and dropped beside it.
 * - `switch`: at the same moment as `move_target`, the instruction changes to a different
 *   goal over the same objects; success is judged on the new goal.
 *
 * Everything is drawn from the episode's seeded RNG: same seed, same disturbance.
 */
import * as CANNON from 'cannon-es';
import type { Rng } from '../core/Rng.ts';
import type { SimRobot } from '../robot/SimRobot.ts';
import type { Scene } from '../scene/Scene.ts';
import { objectPosition, objectYaw, type SceneObject } from '../scene/SceneObject.ts';
import type { SceneSpec } from '../scene/SceneSpec.ts';
import type { Goal } from './Goal.ts';
import { cableSegmentInClip, isGrasped, isReleased } from './predicates.ts';

export type PerturbationKind = 'knock' | 'move_target' | 'unclip';

/** What happened, for the episode's results. */
export interface DisturbanceEvent {
  kind: PerturbationKind | 'switch';
  /** Sim time, s. */
  time: number;
  /** The object moved (knock, move_target, unclip: the cable). */
  object?: string;
  from?: [number, number, number];
  to?: [number, number, number];
  /** For a switch: the new instruction and goal. */
  instruction?: string;
  goal?: Goal;
}

/** The perturbation an episode gets: seeded, and fitted to its goal. */
export function perturbationFor(goal: Goal, seed: number): PerturbationKind {
  const first = goal.type === 'chain' ? goal.subtasks[0]! : goal;
  if (first.type === 'cable_route') return 'unclip';
  if (first.type === 'push') return 'move_target';
  if (first.type === 'stack_all' || first.type === 'sort') return 'knock';
  return seed % 2 === 0 ? 'knock' : 'move_target';
}

/**
 * The object a `move_target` moves: where the subtask that places `held` (the block being
 * carried) puts it, or else where the first subtask puts its block.
 */
export function targetOf(goal: Goal, held?: string): string | undefined {
  const subtasks = goal.type === 'chain' ? goal.subtasks : [goal];
  const carrying = subtasks.find((t) => (t.type === 'pick_place' || t.type === 'stack') && t.object === held);
  const first = carrying ?? subtasks[0]!;
  switch (first.type) {
    case 'pick_place':
      return first.target;
    case 'stack':
      return first.base;
    case 'push':
      return first.zone;
    case 'sort':
      return first.target;
    default:
      return undefined;
  }
}

/** Distance in the table plane from `q` to the segment a-b, m. */
function distanceToSegment(q: readonly number[], a: readonly number[], b: readonly number[]): number {
  const dx = b[0]! - a[0]!;
  const dy = b[1]! - a[1]!;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((q[0]! - a[0]!) * dx + (q[1]! - a[1]!) * dy) / len2));
  return Math.hypot(q[0]! - (a[0]! + t * dx), q[1]! - (a[1]! + t * dy));
}

/** Footprint radius of an object on the table, m. */
function footprint(o: SceneObject): number {
  return Math.hypot(o.size[0], o.size[1]) / 2;
}

/**
 * A free spot on the table for `obj`, 'rMin'-'rMax' m from `around`, inside the scene's
 * workspace and clear of every other object (and of the cable), or undefined.
 */
export function freeSpot(
  scene: Scene,
  spec: SceneSpec,
  obj: SceneObject,
  around: readonly [number, number],
  rMin: number,
  rMax: number,
  rng: Rng,
  allowed: (x: number, y: number) => boolean = () => true,
): [number, number] | undefined {
  const r = footprint(obj);
  const { x: xr, y: yr } = spec.workspace;
  for (let attempt = 0; attempt < 200; attempt++) {
    const a = rng.uniform(-Math.PI, Math.PI);
    const d = rng.uniform(rMin, rMax);
    const x = around[0] + d * Math.cos(a);
    const y = around[1] + d * Math.sin(a);
    if (x < xr[0] || x > xr[1] || y < yr[0] || y > yr[1] || !allowed(x, y)) continue;
    const clear = scene.objects.every((o) => {
      if (o === obj) return true;
      if (o.segments)
        return o.segments.every((s) => Math.hypot(s.position.x - x, s.position.y - y) > r + 0.03);
      const p = objectPosition(o);
      return Math.hypot(p[0] - x, p[1] - y) > r + footprint(o) + 0.02;
    });
    if (clear) return [x, y];
  }
  return undefined;
}

/** Moves an object to (x, y) on the table, at rest; zones (no body) move their pose. */
export function moveObject(obj: SceneObject, x: number, y: number, yaw?: number): [number, number, number] {
  if (!obj.body) {
    if (!obj.pose) throw new Error(`cannot move ${obj.id}: it has neither body nor pose`);
    obj.pose.position = [x, y, obj.pose.position[2]];
    if (yaw !== undefined) obj.pose.yaw = yaw;
    return [...obj.pose.position];
  }
  const b = obj.body;
  const z = b.type === CANNON.Body.STATIC ? b.position.z : obj.size[2] / 2 + 0.001;
  b.position.set(x, y, z);
  if (yaw !== undefined) b.quaternion.setFromEuler(0, 0, yaw);
  else if (b.type !== CANNON.Body.STATIC) b.quaternion.setFromEuler(0, 0, objectYaw(obj));
  b.velocity.setZero();
  b.angularVelocity.setZero();
  b.aabbNeedsUpdate = true;
  b.wakeUp();
  return [x, y, z];
}

/**
 * Lifts the cable out of `clip` and drops it beside it: the segments in the clip's slot,
 * and their neighbours with a linear fall-off, move up over the posts and sideways out of
 * the slot. Returns false when no segment is in the slot.
 */
export function unclip(cable: SceneObject, clip: SceneObject, index: number, side: 1 | -1): boolean {
  const segments = cable.segments ?? [];
  if (index < 0 || index >= segments.length) return false;
  const yaw = objectYaw(clip);
  // The slot runs along the clip's local x; out of it is along local y.
  const out = 0.5 * clip.size[1] + 0.03;
  const ox = -Math.sin(yaw) * out * side;
  const oy = Math.cos(yaw) * out * side;
  // Segments within `hold` of the slot move the whole way and lie on the table beside the
  // posts (a cable lifted above them would fall straight back in, pulled by its own tension);
  // the ones beyond follow with a linear fall-off, so no link is stretched much.
  const hold = 3;
  const reach = 9;
  const radius = 0.5 * cable.size[1];
  for (let k = Math.max(1, index - reach); k <= Math.min(segments.length - 1, index + reach); k++) {
    const d = Math.abs(k - index);
    const w = d <= hold ? 1 : 1 - (d - hold) / (reach - hold + 1);
    const s = segments[k]!;
    s.position.x += ox * w;
    s.position.y += oy * w;
    if (d <= hold) s.position.z = radius + 0.001;
    s.velocity.setZero();
    s.angularVelocity.setZero();
    s.wakeUp();
  }
  return true;
}

/** Text for a goal over the scene's objects, in the templates' own phrasing. */
export function describeGoal(goal: Goal, scene: Scene): string {
  const name = (id: string) => scene.get(id).className;
  switch (goal.type) {
    case 'pick_place':
      return `put the ${name(goal.object)} in the ${name(goal.target)}`;
    case 'stack':
      return `stack the ${name(goal.object)} on the ${name(goal.base)}`;
    case 'stack_all':
      return 'stack all the blocks';
    case 'push':
      return `push the ${name(goal.object)} into the ${name(goal.zone)}`;
    case 'sort':
      return `put all the ${goal.color} blocks in the ${name(goal.target)}`;
    case 'cable_route':
      return `route the cable through ${goal.clips.map((c) => `clip ${scene.get(c).label}`).join(', then ')}`;
    case 'chain':
      return goal.subtasks.map((g) => describeGoal(g, scene)).join(', then ');
  }
}

/**
 * A different goal over the same objects, for an instruction switch, or undefined when the
 * scene offers none. `held` is the block in the gripper, if any.
 * - pick_place: another block, into another bowl where there is one;
 * - stack: another block on the base (or the two swapped);
 * - stack_all: one block on another, neither of them the held one where possible;
 * - push: into the other zone (or another block);
 * - sort: into the other bowl;
 * - cable_route: only the first clips, without the last;
 * - chain: the last subtask switched.
 */
export function switchGoal(
  goal: Goal,
  scene: Scene,
  rng: Rng,
  held?: string,
  avoid: ReadonlySet<string> = new Set(),
): Goal | undefined {
  const ids = (kind: SceneObject['kind'], not: string[]) =>
    scene.objects.filter((o) => o.kind === kind && !not.includes(o.id) && !avoid.has(o.id)).map((o) => o.id);
  switch (goal.type) {
    case 'pick_place': {
      const blocks = ids('block', [goal.object]);
      const bowls = ids('bowl', [goal.target]);
      if (blocks.length === 0 && bowls.length === 0) return undefined;
      return {
        type: 'pick_place',
        object: blocks.length > 0 ? rng.pick(blocks) : goal.object,
        target: bowls.length > 0 ? rng.pick(bowls) : goal.target,
      };
    }
    case 'stack': {
      const others = ids('block', [goal.object, goal.base]);
      if (others.length > 0) return { type: 'stack', object: rng.pick(others), base: goal.base };
      return { type: 'stack', object: goal.base, base: goal.object };
    }
    case 'stack_all': {
      const free = goal.objects.filter((id) => id !== held);
      const pool = free.length >= 2 ? free : goal.objects;
      const object = rng.pick(pool);
      const base = rng.pick(pool.filter((id) => id !== object));
      return { type: 'stack', object, base };
    }
    case 'push': {
      const zones = ids('zone', [goal.zone]);
      if (zones.length > 0) return { type: 'push', object: goal.object, zone: rng.pick(zones) };
      const blocks = ids('block', [goal.object]);
      return blocks.length > 0 ? { type: 'push', object: rng.pick(blocks), zone: goal.zone } : undefined;
    }
    case 'sort': {
      const bowls = ids('bowl', [goal.target]);
      return bowls.length > 0 ? { ...goal, target: rng.pick(bowls) } : undefined;
    }
    case 'cable_route':
      return goal.clips.length >= 2 ? { ...goal, clips: goal.clips.slice(0, -1) } : undefined;
    case 'chain': {
      const last = goal.subtasks[goal.subtasks.length - 1]!;
      // The new last subtask leaves the objects of the earlier ones alone.
      const used = new Set(goal.subtasks.slice(0, -1).flatMap(goalObjects));
      for (const id of goalObjects(last)) used.delete(id);
      // If nothing is left, any other object will do.
      const next = switchGoal(last, scene, rng, held, used) ?? switchGoal(last, scene, rng, held);
      return next ? { type: 'chain', subtasks: [...goal.subtasks.slice(0, -1), next] } : undefined;
    }
  }
}

/** The object ids a goal mentions. */
export function goalObjects(goal: Goal): string[] {
  switch (goal.type) {
    case 'pick_place':
      return [goal.object, goal.target];
    case 'stack':
      return [goal.object, goal.base];
    case 'stack_all':
      return [...goal.objects];
    case 'push':
      return [goal.object, goal.zone];
    case 'sort':
      return [...goal.objects, goal.target, ...goal.distractors];
    case 'cable_route':
      return [goal.cable, ...goal.clips];
    case 'chain':
      return goal.subtasks.flatMap(goalObjects);
  }
}

export interface DisturbanceOptions {
  /** Apply the goal's perturbation once (see `perturbationFor`). */
  perturb?: boolean;
  /** Switch to a different goal once (see `switchGoal`). */
  switch?: boolean;
}

/** What the disturber needs of a running episode. */
export interface DisturbedEpisode {
  scene: Scene;
  robot: SimRobot;
  spec: SceneSpec;
  goal: Goal;
  timeSeconds: number;
  /** Distance between cable segment centres, m. */
  cableSpacing: number;
}

/**
 * Watches a running episode and applies its disturbances once each, when their moment
 * comes: `check()` after every control step returns what it did (at most one event per
 * call). The moment for a switch or a moved target is the first sign of progress: a block
 * lifted in the gripper, a pushed block moving, the cable routed through its first clip
 * and let go. A knock and a moved target wait for the held block to be carried 6 cm.
 */
export class Disturber {
  readonly #options: DisturbanceOptions;
  readonly #seed: number;
  readonly #rng: Rng;
  readonly #start = new Map<string, [number, number, number]>();
  readonly #perturbation: PerturbationKind;
  #perturbed = false;
  #switched = false;

  constructor(episode: DisturbedEpisode, seed: number, rng: Rng, options: DisturbanceOptions) {
    this.#options = options;
    this.#seed = seed;
    this.#rng = rng;
    this.#perturbation = perturbationFor(episode.goal, seed);
    for (const o of episode.scene.objects) if (o.kind === 'block') this.#start.set(o.id, objectPosition(o));
  }

  check(ep: DisturbedEpisode): DisturbanceEvent | undefined {
    if (this.#options.perturb && !this.#perturbed) {
      const e = this.#perturb(ep);
      if (e) {
        this.#perturbed = true;
        return e;
      }
    }
    if (this.#options.switch && !this.#switched && this.#progressed(ep)) {
      this.#switched = true;
      const goal = switchGoal(ep.goal, ep.scene, this.#rng.fork(`switch-${this.#seed}`), this.#held(ep)?.id);
      if (!goal) return undefined;
      return {
        kind: 'switch',
        time: ep.timeSeconds,
        goal,
        instruction: `actually, ${describeGoal(goal, ep.scene)}`,
      };
    }
    return undefined;
  }

  /** The block in the gripper, lifted at least `minLift` m off where it started. */
  #held(ep: DisturbedEpisode, minLift = 0.03): SceneObject | undefined {
    for (const [id, p0] of this.#start) {
      const o = ep.scene.get(id);
      if (o.body!.position.z - p0[2] > minLift && isGrasped(ep.robot, o)) return o;
    }
    return undefined;
  }

  /** The held block once it is lifted 5 cm and carried 6 cm from where it lay. */
  #inTransport(ep: DisturbedEpisode): SceneObject | undefined {
    const held = this.#held(ep, 0.05);
    if (!held) return undefined;
    const p = objectPosition(held);
    const p0 = this.#start.get(held.id)!;
    return Math.hypot(p[0] - p0[0], p[1] - p0[1]) >= 0.06 ? held : undefined;
  }

  #progressed(ep: DisturbedEpisode): boolean {
    const first = ep.goal.type === 'chain' ? ep.goal.subtasks[0]! : ep.goal;
    if (first.type === 'cable_route') return this.#routedFirstClip(ep, first) >= 0;
    if (first.type === 'push') {
      const o = ep.scene.get(first.object);
      const p0 = this.#start.get(o.id)!;
      return Math.hypot(o.body!.position.x - p0[0], o.body!.position.y - p0[1]) > 0.02;
    }
    return this.#held(ep) !== undefined;
  }

  /** The cable segment in the first clip once the cable has been let go, or −1. */
  #routedFirstClip(ep: DisturbedEpisode, goal: Extract<Goal, { type: 'cable_route' }>): number {
    const cable = ep.scene.get(goal.cable);
    if (!isReleased(ep.robot, [cable])) return -1;
    return cableSegmentInClip(cable, ep.scene.get(goal.clips[0]!), ep.cableSpacing);
  }

  #perturb(ep: DisturbedEpisode): DisturbanceEvent | undefined {
    const time = ep.timeSeconds;
    switch (this.#perturbation) {
      case 'knock': {
        const held = this.#inTransport(ep);
        if (!held) return undefined;
        const p = objectPosition(held);
        const spot = freeSpot(ep.scene, ep.spec, held, [p[0], p[1]], 0.08, 0.14, this.#rng);
        if (!spot) return undefined;
        const to = moveObject(held, spot[0], spot[1], this.#rng.uniform(-Math.PI / 4, Math.PI / 4));
        return { kind: 'knock', time, object: held.id, from: p, to };
      }
      case 'move_target': {
        // Blocks: while the held block is carried to it. Push: once the block moves.
        const first = ep.goal.type === 'chain' ? ep.goal.subtasks[0]! : ep.goal;
        const carried = first.type === 'push' ? undefined : this.#inTransport(ep);
        if (first.type === 'push' ? !this.#progressed(ep) : !carried) return undefined;
        const id = targetOf(ep.goal, carried?.id);
        if (!id) return undefined;
        const target = ep.scene.get(id);
        const p = objectPosition(target);
        // A pushed block slides from where it is towards the old zone: a new zone on that
        // path would be reached without any reaction, so it goes elsewhere.
        const offPath =
          first.type === 'push'
            ? (x: number, y: number) => {
                const b = objectPosition(ep.scene.get(first.object));
                return distanceToSegment([x, y], b, p) > footprint(target) + 0.03;
              }
            : undefined;
        const spot = freeSpot(ep.scene, ep.spec, target, [p[0], p[1]], 0.1, 0.18, this.#rng, offPath);
        if (!spot) return undefined;
        const to = moveObject(target, spot[0], spot[1]);
        return { kind: 'move_target', time, object: id, from: p, to };
      }
      case 'unclip': {
        const goal = ep.goal.type === 'chain' ? ep.goal.subtasks[0]! : ep.goal;
        if (goal.type !== 'cable_route') return undefined;
        // Once the route has moved on past the first clip: routed through the second, let go.
        const index = this.#routedFirstClip(ep, goal);
        const second = goal.clips[1];
        if (index < 0 || second === undefined) return undefined;
        if (cableSegmentInClip(ep.scene.get(goal.cable), ep.scene.get(second), ep.cableSpacing) < 0)
          return undefined;
        const cable = ep.scene.get(goal.cable);
        const from = objectPosition(ep.scene.get(goal.clips[0]!));
        unclip(cable, ep.scene.get(goal.clips[0]!), index, this.#rng.next() < 0.5 ? 1 : -1);
        return { kind: 'unclip', time, object: goal.clips[0]!, from };
      }
    }
  }
}
