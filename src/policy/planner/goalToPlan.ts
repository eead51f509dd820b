import type { Goal } from '../../../sim/tasks/Goal.ts';
import type { Plan, SkillCall } from './Plan.ts';
import type { WorldSummary } from './WorldSummary.ts';

/**
 * The plan that achieves a structured task goal. The rule-based planner reaches the
 * same steps from the goal's instruction; the eval's `--instruction` mode and the
 * tests compare against it. Ids are taken from the goal as they are; `validatePlan`
 * checks them against the world.
 */
export function goalToPlan(goal: Goal, world: WorldSummary, instruction = ''): Plan {
  return { steps: goalSteps(goal, world), source: 'rules', instruction };
}

function goalSteps(goal: Goal, world: WorldSummary): SkillCall[] {
  switch (goal.type) {
    case 'pick_place':
      return pickPlace(goal.object, goal.target);
    case 'stack':
      return pickPlace(goal.object, goal.base);
    case 'stack_all':
      return stackSteps(stackOrder(goal.objects, world));
    case 'push':
      return [{ skill: 'push', object: goal.object, zone: goal.zone }];
    case 'sort':
      return sortOrder(goal.objects, goal.target, world).flatMap((id) => pickPlace(id, goal.target));
    case 'cable_route':
      return goal.clips.map((clip) => ({ skill: 'route_through', cable: goal.cable, clip }));
    case 'chain':
      return goal.subtasks.flatMap((g) => goalSteps(g, world));
  }
}

export function pickPlace(object: string, target: string): SkillCall[] {
  return [
    { skill: 'pick', object },
    { skill: 'place', object, target },
  ];
}

/** Pick-place steps that build a tower on `order[0]`, each block on the one before. */
export function stackSteps(order: readonly string[]): SkillCall[] {
  return order.slice(1).flatMap((id, i) => pickPlace(id, order[i]!));
}

/**
 * A stable tower order, base first: the base is the block nearest the blocks'
 * centroid (the shortest total carry), and the others follow nearest-to-base first.
 * Ties break on id, so the order depends on the scene only, not on how it was listed.
 */
export function stackOrder(ids: readonly string[], world: WorldSummary): string[] {
  const pos = positions(world);
  const known = ids.filter((id) => pos.has(id));
  if (known.length < ids.length) return [...ids];
  const pts = known.map((id) => pos.get(id)!);
  const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const base = byDistance(known, pos, cx, cy)[0];
  if (base === undefined) return [];
  const [bx, by] = pos.get(base)!;
  return [
    base,
    ...byDistance(
      known.filter((id) => id !== base),
      pos,
      bx,
      by,
    ),
  ];
}

/** Order to carry blocks into a target: nearest the target first, ties on id. */
export function sortOrder(ids: readonly string[], target: string, world: WorldSummary): string[] {
  const pos = positions(world);
  const t = pos.get(target);
  if (!t || ids.some((id) => !pos.has(id))) return [...ids];
  return byDistance(ids, pos, t[0], t[1]);
}

function positions(world: WorldSummary): Map<string, readonly [number, number, number]> {
  return new Map(world.objects.map((o) => [o.id, o.position]));
}

function byDistance(
  ids: readonly string[],
  pos: Map<string, readonly [number, number, number]>,
  x: number,
  y: number,
): string[] {
  const d = (id: string) => {
    const p = pos.get(id)!;
    return Math.hypot(p[0] - x, p[1] - y);
  };
  return [...ids].sort((a, b) => d(a) - d(b) || (a < b ? -1 : a > b ? 1 : 0));
}
