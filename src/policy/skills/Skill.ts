import type { Action, Observation } from '../../../sim/Env.ts';
import type { MotionContext } from './MotionContext.ts';
import { SkillFailure } from './SkillFailure.ts';

/**
 * How a skill ended.
 * - `precondition`: it could not start (nothing moved);
 * - `failed`: it ran but its success check does not hold;
 * - `timeout`: it ran out of time (the arm holds its last command);
 * - `error`: a needed object vanished or a pose was unreachable.
 */
export type SkillOutcome = { ok: true } | { ok: false; kind: SkillFailureKind; reason: string };
export type SkillFailureKind = 'precondition' | 'failed' | 'timeout' | 'error';

/** A running skill: yields actions, receives the next observation, returns its outcome. */
export type SkillRun = Generator<Action, SkillOutcome, Observation>;

/** A closed-loop skill: what it needs, what it does, how to tell it worked, and how long it may take. */
export interface SkillDefinition<A> {
  readonly name: string;
  /** Why the skill cannot start now, or undefined when it can. Must not move the arm. */
  precondition(ctx: MotionContext, args: A): string | undefined;
  /**
   * The motion. It may return an outcome itself (for a failure it detects on the way);
   * returning nothing defers to `succeeded`.
   */
  body(ctx: MotionContext, args: A): Generator<Action, SkillOutcome | undefined, Observation>;
  /** Checked on the last observation once the body ends. */
  succeeded(ctx: MotionContext, args: A): boolean;
  /** Why `succeeded` is false, for the status. */
  failure(ctx: MotionContext, args: A): string;
  /** Time limit, s of control time. */
  timeoutSeconds(ctx: MotionContext, args: A): number;
}

/**
 * Runs a skill: checks its precondition, steps its body under its time limit, then its
 * success check. A SkillFailure thrown inside becomes an `error` outcome; other errors
 * (bugs) propagate.
 */
export function* runSkill<A>(ctx: MotionContext, skill: SkillDefinition<A>, args: A): SkillRun {
  let why: string | undefined;
  try {
    why = skill.precondition(ctx, args);
  } catch (err) {
    if (!(err instanceof SkillFailure)) throw err;
    why = err.message;
  }
  if (why !== undefined) return { ok: false, kind: 'precondition', reason: why };
  const limit = Math.ceil(skill.timeoutSeconds(ctx, args) / ctx.dt);
  const body = skill.body(ctx, args);
  try {
    let obs: Observation | undefined;
    for (let step = 0; ; step++) {
      const next = step === 0 ? body.next() : body.next(obs!);
      if (next.done) {
        if (next.value) return next.value;
        break;
      }
      if (step >= limit) {
        body.return(undefined);
        return {
          ok: false,
          kind: 'timeout',
          reason: `${skill.name} timed out after ${skill.timeoutSeconds(ctx, args)} s`,
        };
      }
      obs = yield next.value;
    }
  } catch (err) {
    if (!(err instanceof SkillFailure)) throw err;
    return { ok: false, kind: 'error', reason: err.message };
  }
  if (skill.succeeded(ctx, args)) return { ok: true };
  return { ok: false, kind: 'failed', reason: skill.failure(ctx, args) };
}
