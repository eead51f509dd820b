import type { Action, Observation } from '../../../sim/Env.ts';
import type { RobotDescription } from '../../../sim/robot/RobotConfig.ts';
import type { Goal } from '../../../sim/tasks/Goal.ts';
import {
  inBowl,
  type Motion,
  MotionContext,
  onTop,
  PICK_ATTEMPTS,
  pick,
  place,
  push,
  retreat,
  routeThrough,
  SkillFailure,
  type SkillOutcome,
  segmentInClip,
} from '../skills/index.ts';

/** Pick-and-place rounds (each a pick with its own re-grasps, then a place) before giving up. */
const MAX_ATTEMPTS = 3;

/** Why the oracle gave up, for the episode result. */
export { SkillFailure as OracleFailure };

/**
 * A privileged scripted expert. It reads ground-truth object poses from the
 * observation and sequences the skill library (src/policy/skills) straight from the
 * task's structured goal, acting only through the env's action interface: arm joint
 * position targets and a gripper opening, like any policy. Its purpose is to show every
 * task is solvable, and later to generate demonstrations.
 *
 * Every stage is checked (grasped? placed? routed?) and retried up to MAX_ATTEMPTS times.
 * The same spec gives the same actions bit for bit: the skills hold no other randomness
 * than the context's fixed-seed IK restarts.
 */
export class OraclePolicy {
  readonly #ctx: MotionContext;
  readonly #script: Motion;
  #started = false;
  #finished = false;
  failure: string | undefined;

  constructor(robot: RobotDescription, goal: Goal, options: { controlHz: number }) {
    this.#ctx = new MotionContext(robot, options);
    this.#script = this.#run(goal);
  }

  /** True once the script has finished or failed; the policy then holds still. */
  get finished(): boolean {
    return this.#finished;
  }

  act(obs: Observation): Action {
    const ctx = this.#ctx;
    if (!this.#started) {
      this.#started = true;
      ctx.syncTo(obs);
    }
    ctx.obs = obs;
    if (!this.#finished) {
      try {
        const next = this.#script.next(obs);
        if (next.done) this.#finished = true;
        else return next.value;
      } catch (err) {
        if (!(err instanceof SkillFailure)) throw err;
        this.failure = err.message;
        this.#finished = true;
      }
    }
    return ctx.hold();
  }

  *#run(goal: Goal): Motion {
    yield* this.#solve(goal);
    yield* retreat(this.#ctx);
  }

  *#solve(goal: Goal): Motion {
    const ctx = this.#ctx;
    switch (goal.type) {
      case 'pick_place':
        yield* this.#pickPlace(goal.object, goal.target);
        return;
      case 'stack':
        yield* this.#pickPlace(goal.object, goal.base);
        return;
      case 'stack_all': {
        const [base, ...rest] = goal.objects;
        let below = base!;
        for (const id of rest) {
          yield* this.#pickPlace(id, below);
          below = id;
        }
        // The arm can knock a finished level off while it fetches the next block: check
        // the whole tower and repair it. A displaced part that is still a tower becomes the
        // new base (the rest is moved onto it, top first); otherwise rebuild from the break.
        let order = [...goal.objects];
        const isTower = (ids: string[]) =>
          ids.every((id, i) => i === 0 || onTop(ctx.object(id), ctx.object(ids[i - 1]!)));
        for (let round = 0; round < 2; round++) {
          const cur = order;
          const broken = cur.findIndex((id, i) => i > 0 && !onTop(ctx.object(id), ctx.object(cur[i - 1]!)));
          if (broken < 0) break;
          const lower = cur.slice(0, broken);
          const upper = cur.slice(broken);
          if (isTower(upper)) {
            let top = upper[upper.length - 1]!;
            for (const id of [...lower].reverse()) {
              yield* this.#pickPlace(id, top);
              top = id;
            }
            order = [...upper, ...lower.reverse()];
          } else {
            for (let i = broken; i < cur.length; i++) yield* this.#pickPlace(cur[i]!, cur[i - 1]!);
          }
        }
        return;
      }
      case 'push':
        must(yield* push(ctx, { object: goal.object, zone: goal.zone }));
        return;
      case 'sort':
        for (const id of goal.objects) yield* this.#pickPlace(id, goal.target);
        // A later placement can knock an earlier block out: check them all, redo the strays.
        for (let round = 0; round < 2; round++) {
          const strays = goal.objects.filter((id) => !inBowl(ctx.object(id), ctx.object(goal.target)));
          for (const id of strays) yield* this.#pickPlace(id, goal.target);
        }
        return;
      case 'cable_route':
        yield* this.#routeCable(goal.cable, goal.clips);
        return;
      case 'chain':
        for (const sub of goal.subtasks) yield* this.#solve(sub);
        return;
    }
  }

  /** Picks a block and puts it into a bowl or onto a block; a failed place starts over with a new pick. */
  *#pickPlace(object: string, target: string): Motion {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      must(yield* pick(this.#ctx, { object, attempts: PICK_ATTEMPTS }));
      const placed = yield* place(this.#ctx, { object, target });
      if (placed.ok) return;
      if (placed.kind !== 'failed') must(placed);
    }
    const how = this.#ctx.object(target).kind === 'bowl' ? 'place' : 'stack';
    const where = how === 'place' ? 'in' : 'on';
    throw new SkillFailure(`could not ${how} ${object} ${where} ${target} in ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Routes the cable through the clips in order. After each clip it checks every clip so
   * far and goes back to the first one the cable has left.
   */
  *#routeCable(cable: string, clips: string[]): Motion {
    const ctx = this.#ctx;
    let c = 0;
    let budget = 3 * clips.length;
    while (c < clips.length) {
      if (budget-- <= 0) throw new SkillFailure(`could not route the cable through ${clips[c]}`);
      const routed = yield* routeThrough(ctx, { cable, clip: clips[c]!, after: clips[c - 1] });
      if (!routed.ok && routed.kind !== 'failed') must(routed);
      const indices = clips.slice(0, c + 1).map((id) => segmentInClip(ctx.object(cable), ctx.object(id)));
      const lost = indices.findIndex((k, i) => k < 0 || (i > 0 && k <= indices[i - 1]!));
      c = lost < 0 ? c + 1 : lost;
    }
  }
}

/** Ends the script with the outcome's reason unless it succeeded. */
function must(outcome: SkillOutcome): void {
  if (!outcome.ok) throw new SkillFailure(outcome.reason);
}
