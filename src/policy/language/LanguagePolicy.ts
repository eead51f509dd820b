import type { Action, Observation } from '../../../sim/Env.ts';
import type { RobotDescription } from '../../../sim/robot/RobotConfig.ts';
import { Executor, type ExecutorStatus } from '../executor/Executor.ts';
import type { Plan } from '../planner/Plan.ts';
import { type PlanResult, planFromInstruction } from '../planner/RuleBasedPlanner.ts';
import { toWorldSummary, type WorldSummary } from '../planner/WorldSummary.ts';
import { MotionContext } from '../skills/MotionContext.ts';
import { type Correction, parseCorrection } from './corrections.ts';

/**
 * instruction + world -> plan. The rule-based planner answers at once; an LLM planner
 * answers with a promise, and the policy keeps acting (holding, or running the plan it
 * has) until it settles.
 */
export type Planner = (instruction: string, world: WorldSummary) => PlanResult | Promise<PlanResult>;

/** The policy's status: the executor's, plus the instruction and, when planning failed, why. */
export interface LanguagePolicyStatus extends ExecutorStatus {
  instruction: string;
  /** True while an asynchronous planner (LLM) works on the instruction. */
  planning?: boolean;
  /** Set when the instruction gave no plan; nothing moves then. */
  planner?: { reason: string; unparsed?: string; suggestions?: string[] };
}

export interface LanguagePolicyOptions {
  /** Actions per second, Hz. */
  controlHz: number;
  /** Attempts per plan step before the plan fails. @default 3 */
  maxAttempts?: number;
  /** instruction + world -> plan. @default the rule-based planner */
  planner?: Planner;
}

/**
 * The language-conditioned policy at the env level (like OraclePolicy): it plans the
 * instruction against the objects in the observation, and runs the plan with the executor.
 * An instruction that gives no plan leaves the arm holding exactly where it is, with the
 * planner's reason in the status. `setInstruction` switches mid-run.
 */
export class LanguagePolicy {
  readonly #ctx: MotionContext;
  readonly #executor: Executor;
  readonly #planner: Planner;
  /** An asynchronous plan on its way, and its outcome once it settled. */
  #planning: { text: string; result?: PlanResult } | undefined;
  #instruction: string;
  #pending: string | undefined;
  #plannerFailure: LanguagePolicyStatus['planner'];
  #started = false;
  #corrections: Correction[] = [];

  constructor(robot: RobotDescription, instruction: string, options: LanguagePolicyOptions) {
    this.#ctx = new MotionContext(robot, { controlHz: options.controlHz });
    this.#planner = options.planner ?? planFromInstruction;
    this.#instruction = instruction;
    this.#pending = instruction;
    this.#executor = new Executor(this.#ctx, {
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      // Re-planning when the world changed needs an answer now: the rule-based planner gives
      // one; with an asynchronous planner the step fails instead, and says why.
      replan: (obs) => {
        const r = this.#planner(this.#instruction, worldOf(obs));
        return r instanceof Promise ? undefined : r.ok ? r.plan : undefined;
      },
    });
  }

  /** The plan running (or last run), if the instruction gave one. */
  get plan(): Plan | undefined {
    return this.#plannerFailure ? undefined : this.#executor.plan;
  }

  get status(): LanguagePolicyStatus {
    if (this.#plannerFailure) {
      return {
        ...this.#executor.status,
        state: 'failed',
        reason: this.#plannerFailure.reason,
        instruction: this.#instruction,
        planner: this.#plannerFailure,
      };
    }
    return {
      ...this.#executor.status,
      instruction: this.#instruction,
      ...(this.#planning ? { planning: true } : {}),
    };
  }

  /** The plan succeeded or failed (or the instruction gave none); the arm holds still. */
  get finished(): boolean {
    const s = this.status.state;
    return s === 'succeeded' || s === 'failed';
  }

  /** Why the policy gave up, if it did. */
  get failure(): string | undefined {
    const s = this.status;
    return s.state === 'failed' ? s.reason : undefined;
  }

  /**
   * Takes what the user said next. A correction ("a bit more to the left", "stop", "go
   * back": see corrections.ts) adjusts the running step on the next observation, with no
   * re-planning. Anything else replaces the instruction: it is planned on the next
   * observation and switched to.
   */
  setInstruction(instruction: string): void {
    const correction = parseCorrection(instruction);
    if (correction) this.#corrections.push(correction);
    else this.#pending = instruction;
  }

  act(obs: Observation): Action {
    if (!this.#started) {
      this.#started = true;
      this.#ctx.syncTo(obs);
    }
    this.#ctx.obs = obs;
    for (const c of this.#corrections) this.#executor.correct(c);
    this.#corrections.length = 0;
    let r: PlanResult | undefined;
    if (this.#pending !== undefined) {
      const text = this.#pending;
      this.#pending = undefined;
      this.#instruction = text;
      const planned = this.#planner(text, worldOf(obs));
      if (planned instanceof Promise) {
        const job: { text: string; result?: PlanResult } = { text };
        this.#planning = job;
        planned.then(
          (res) => {
            job.result = res;
          },
          (err: unknown) => {
            job.result = {
              ok: false,
              reason: `planner failed: ${err instanceof Error ? err.message : String(err)}`,
            };
          },
        );
      } else {
        r = planned;
        this.#planning = undefined;
      }
    } else if (this.#planning?.result) {
      // An asynchronous plan arrived (a newer instruction would have replaced the job).
      r = this.#planning.result;
      this.#planning = undefined;
    }
    if (r) {
      if (r.ok) {
        this.#plannerFailure = undefined;
        if (this.#executor.status.state === 'idle') this.#executor.start(r.plan);
        else this.#executor.switchInstruction(r.plan);
      } else {
        // No plan, no motion: stop the running plan where it is and report why.
        this.#plannerFailure = {
          reason: r.reason,
          ...(r.unparsed !== undefined ? { unparsed: r.unparsed } : {}),
          ...(r.suggestions !== undefined ? { suggestions: r.suggestions } : {}),
        };
        this.#executor.stop();
        return this.#ctx.hold();
      }
    }
    return this.#executor.act(obs);
  }
}

/** The planner's view of an observation's objects. */
export function worldOf(obs: Observation): WorldSummary {
  return toWorldSummary(obs.objects, 'observation');
}
