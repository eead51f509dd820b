import type { SimRobot } from '../robot/SimRobot.ts';
import type { Scene } from '../scene/Scene.ts';
import type { SceneObject } from '../scene/SceneObject.ts';
import type { Goal } from './Goal.ts';
import {
  cableSegmentInClip,
  isGrasped,
  isInBowl,
  isInZone,
  isOn,
  isReleased,
  isStatic,
  objectsOf,
} from './predicates.ts';

/** Named success checks, ManiSkill-style: `success` plus the checks behind it. */
export type Checks = { success: boolean } & Record<string, boolean | number>;

/** What the evaluation reads besides the scene: episode-long records. */
export interface EpisodeRecord {
  /** Highest rise of each block above its start height so far, m. */
  maxLift: ReadonlyMap<string, number>;
  /** Chain subtasks completed in order so far. */
  subtasksCompleted: number;
  /** Cable segment spacing, m. */
  cableSpacing: number;
}

/** Evaluates a goal against the current state. */
export function evaluateGoal(goal: Goal, scene: Scene, robot: SimRobot, record: EpisodeRecord): Checks {
  switch (goal.type) {
    case 'pick_place': {
      const obj = scene.get(goal.object);
      const isPlaced = isInBowl(obj, scene.get(goal.target));
      return finish({ isPlaced, isGrasped: isGrasped(robot, obj) }, robot, [obj], isPlaced);
    }
    case 'stack': {
      const [top, base] = objectsOf(scene, [goal.object, goal.base]) as [SceneObject, SceneObject];
      const isStacked = isOn(top, base);
      return finish({ isStacked, isGrasped: isGrasped(robot, top) }, robot, [top, base], isStacked);
    }
    case 'stack_all': {
      const objs = objectsOf(scene, goal.objects);
      const isStacked = permutations(objs).some((order) =>
        order.every((o, i) => i === 0 || isOn(o, order[i - 1]!)),
      );
      return finish({ isStacked }, robot, objs, isStacked);
    }
    case 'push': {
      const obj = scene.get(goal.object);
      const isInTarget = isInZone(obj, scene.get(goal.zone));
      const neverLifted = (record.maxLift.get(goal.object) ?? 0) < 0.01;
      return finish({ isInZone: isInTarget, neverLifted }, robot, [obj], isInTarget && neverLifted);
    }
    case 'sort': {
      const bowl = scene.get(goal.target);
      const placed = goal.objects.filter((id) => isInBowl(scene.get(id), bowl)).length;
      const wrong = goal.distractors.filter((id) => isInBowl(scene.get(id), bowl)).length;
      const ok = placed === goal.objects.length && wrong === 0;
      return finish(
        { allSorted: placed === goal.objects.length, sorted: placed, distractorsInTarget: wrong },
        robot,
        objectsOf(scene, [...goal.objects, ...goal.distractors]),
        ok,
      );
    }
    case 'cable_route': {
      const cable = scene.get(goal.cable);
      const indices = goal.clips.map((c) => cableSegmentInClip(cable, scene.get(c), record.cableSpacing));
      const routed = indices.filter((i) => i >= 0).length;
      const inOrder = indices.every((v, i) => v >= 0 && (i === 0 || v > indices[i - 1]!));
      const released = isReleased(robot, [cable]);
      return {
        success: routed === goal.clips.length && inOrder && released,
        clipsRouted: routed,
        inOrder,
        isReleased: released,
      };
    }
    case 'chain': {
      const done = record.subtasksCompleted;
      return {
        success: done === goal.subtasks.length,
        subtasksCompleted: done,
        subtasksTotal: goal.subtasks.length,
      };
    }
  }
}

function finish(
  checks: Record<string, boolean | number>,
  robot: SimRobot,
  objects: SceneObject[],
  achieved: boolean,
): Checks {
  const isReleasedNow = isReleased(robot, objects);
  const staticNow = objects.every(isStatic);
  return {
    success: achieved && isReleasedNow && staticNow,
    ...checks,
    isReleased: isReleasedNow,
    isStatic: staticNow,
  };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]),
  );
}
