import type { Action, Observation } from '../../../sim/Env.ts';
import type { Correction } from '../language/corrections.ts';
import { MAX_NUDGE } from '../language/corrections.ts';
import type { Plan, SkillCall } from '../planner/Plan.ts';
import {
  goHome,
  holding,
  inBowl,
  inZone,
  type Motion,
  type MotionContext,
  onTop,
  pick,
  place,
  push,
  putDown,
  releaseAndLift,
  retreat,
  routeThrough,
  SkillFailure,
  type SkillOutcome,
  segmentInClip,
} from '../skills/index.ts';

export type ExecutorState = 'idle' | 'running' | 'paused' | 'succeeded' | 'failed';

/** What the executor is doing, for /policy/status. */
export interface ExecutorStatus {
  state: ExecutorState;
  /** Index of the plan step running (or last run), 0-based. */
  step: number;
  /** The skill of that step, if any. */
  skill?: SkillCall['skill'];
  /** Attempts at that step so far, including the running one. */
  attempts: number;
  /** Why the last attempt failed, or why the plan failed. */
  reason?: string;
  /** Attempts repeated after a failure, over the whole run. */
  retries: number;
  /** Corrective actions taken (re-grasps, put-backs, redone steps), over the whole run. */
  recoveries: number;
  /** The language correction in force on the running step, robot base frame, m (absent when none). */
  correction?: [number, number, number];
  /** The last correction heard, and what became of it. */
  lastCorrection?: { text: string; applied: boolean; note?: string };
}

export interface ExecutorOptions {
  /** Attempts per step before the plan fails (route_through gets two more). @default 3 */
  maxAttempts?: number;
  /**
   * Rounds of re-checking finished steps at the end of the plan (a later placement can
   * knock an earlier block out of a bowl; a clip can lose its cable) and redoing the ones
   * that no longer hold. @default 2
   */
  verifyRounds?: number;
  /**
   * Re-plan hook, called when a step fails because the world changed under it (an object
   * vanished). Returns a new plan from the current observation, or undefined to fail.
   */
  replan?: (obs: Observation, failed: { step: number; reason: string }) => Plan | undefined;
}

/**
 * Runs a Plan step by step over the skill library: steps a skill on each observation,
 * checks its outcome, retries failed steps with a corrective action (re-grasp after a drop,
 * re-approach after a miss, re-plan when the world changed), and switches to a new plan
 * mid-run without dropping a held block in mid-air.
 *
 * Drive it with `act(obs)` once per control period. It shares a MotionContext with
 * its owner; the commanded state carries over between plans, so a switch is smooth.
 */
export class Executor {
  readonly #ctx: MotionContext;
  readonly #maxAttempts: number;
  readonly #verifyRounds: number;
  readonly #replan: ExecutorOptions['replan'];
  #run: Motion | undefined;
  #plan: Plan | undefined;
  /** Re-plans since the last instruction (bounded by maxAttempts). */
  #replans = 0;
  #status: ExecutorStatus = { state: 'idle', step: 0, attempts: 0, retries: 0, recoveries: 0 };

  constructor(ctx: MotionContext, options: ExecutorOptions = {}) {
    this.#ctx = ctx;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#verifyRounds = options.verifyRounds ?? 2;
    this.#replan = options.replan;
  }

  /** A snapshot of the status. */
  get status(): ExecutorStatus {
    // Skills' own corrective adjustments (re-aiming at a moved target) count as recoveries.
    return { ...this.#status, recoveries: this.#status.recoveries + this.#ctx.adaptations };
  }

  /** The plan running or last run. */
  get plan(): Plan | undefined {
    return this.#plan;
  }

  /** Starts a plan from its first step (replacing any running one without a put-back). */
  start(plan: Plan): void {
    this.#run?.return();
    this.#replans = 0;
    this.#clearCorrection();
    this.#plan = plan;
    this.#status = { ...this.#status, state: 'running', step: 0, attempts: 0 };
    delete this.#status.reason;
    this.#run = this.#execute(plan, 0);
  }

  /**
   * Switches to a new plan mid-run. The running skill stops where it is (the arm holds its
   * last command, never an abrupt jump); if a block is held and the new plan does not start
   * by placing it, the block is first set back down on the table below the gripper. Retry
   * and recovery counts carry over.
   */
  switchInstruction(plan: Plan): void {
    this.#run?.return();
    this.#replans = 0;
    this.#clearCorrection();
    this.#plan = plan;
    this.#status = { ...this.#status, state: 'running', step: 0, attempts: 0 };
    delete this.#status.reason;
    this.#run = this.#switchTo(plan);
  }

  /** Stops the running plan where it is: the arm holds its last command. */
  stop(): void {
    this.#run?.return();
    this.#run = undefined;
  }

  /**
   * Applies a language correction to the running step, without re-planning:
   * - `nudge` shifts the step's tcp targets (summed, at most MAX_NUDGE per axis in all);
   * - `stop` holds the arm where it is until `resume`;
   * - `back` drops the nudges, lifts clear and redoes the running step from its start;
   * - `clear` drops the nudges.
   * With no plan running, it is noted in the status and ignored.
   */
  correct(c: Correction): void {
    const status = this.#status;
    const running = this.#run !== undefined && (status.state === 'running' || status.state === 'paused');
    if (!running) {
      status.lastCorrection = { text: c.text, applied: false, note: 'no plan is running' };
      return;
    }
    status.lastCorrection = { text: c.text, applied: true };
    switch (c.kind) {
      case 'nudge': {
        const k = this.#ctx.correction;
        k.set(
          clamp(k.x + c.offset[0], MAX_NUDGE),
          clamp(k.y + c.offset[1], MAX_NUDGE),
          clamp(k.z + c.offset[2], MAX_NUDGE),
        );
        status.correction = [k.x, k.y, k.z];
        return;
      }
      case 'stop':
        status.state = 'paused';
        return;
      case 'resume':
        status.state = 'running';
        return;
      case 'clear':
        this.#clearCorrection();
        return;
      case 'back': {
        this.#run?.return();
        this.#clearCorrection();
        status.state = 'running';
        this.#run = this.#redoStep(this.#plan!, status.step);
        return;
      }
    }
  }

  /** One control step: the next action of the running plan, or a hold when there is none. */
  act(obs: Observation): Action {
    const ctx = this.#ctx;
    ctx.obs = obs;
    if (this.#status.state === 'paused') return ctx.hold();
    if (this.#run) {
      ctx.nudge();
      try {
        const next = this.#run.next(obs);
        if (!next.done) return next.value;
        this.#run = undefined;
        if (this.#status.state === 'running') this.#status.state = 'succeeded';
      } catch (err) {
        if (!(err instanceof SkillFailure)) throw err;
        this.#run = undefined;
        this.#fail(err.message);
      }
    }
    return ctx.hold();
  }

  #clearCorrection(): void {
    this.#ctx.correction.set(0, 0, 0);
    delete this.#status.correction;
  }

  /** "go back": lift clear (setting down nothing), then the step again from its start. */
  *#redoStep(plan: Plan, step: number): Motion {
    yield* retreat(this.#ctx);
    yield* this.#execute(plan, Math.min(step, plan.steps.length - 1));
  }

  #fail(reason: string): void {
    this.#status.state = 'failed';
    this.#status.reason = reason;
  }

  *#switchTo(plan: Plan): Motion {
    const ctx = this.#ctx;
    const held = ctx.obs.objects.find((o) => o.kind === 'block' && holding(ctx.obs, o));
    let from = 0;
    const first = plan.steps[0];
    if (held) {
      if (first?.skill === 'pick' && first.object === held.id) {
        from = 1; // already in hand
      } else if (!(first?.skill === 'place' && first.object === held.id)) {
        this.#status.recoveries++;
        const r = yield* putDown(ctx, { object: held.id });
        if (!r.ok && ctx.obs.gripper.grasping) yield* releaseAndLift(ctx);
      }
    } else if (ctx.obs.gripper.grasping || ctx.grip < ctx.robot.config.gripper.max_width / 2) {
      // Closed on nothing we track (or mid-close): open before moving on.
      yield* releaseAndLift(ctx);
    }
    yield* retreat(ctx);
    yield* this.#execute(plan, from);
  }

  *#execute(plan: Plan, from: number): Motion {
    const steps = plan.steps;
    let backtracks = 2 * steps.length;
    for (let i = from; i < steps.length; i++) {
      const replanned = yield* this.#runStep(steps, i);
      if (replanned) return;
      // A clip routed earlier can lose its cable while routing the next: go back to it.
      if (steps[i]!.skill === 'route_through') {
        const lost = this.#firstLost(steps, i);
        if (lost >= 0 && lost < i && backtracks-- > 0) {
          this.#status.recoveries++;
          i = lost - 1;
        }
      }
    }
    for (let round = 0; round < this.#verifyRounds; round++) {
      const lost = steps.map((_, i) => i).filter((i) => !this.#holds(steps, i));
      if (lost.length === 0) break;
      for (const i of lost) {
        this.#status.recoveries++;
        const s = steps[i]!;
        // Redo a placement from its pick.
        if (s.skill === 'place') {
          if (!this.#ctx.obs.gripper.grasping) {
            const r = yield* this.#runStep([{ skill: 'pick', object: s.object }], 0, i);
            if (r) return;
          }
        }
        if (yield* this.#runStep(steps, i)) return;
      }
    }
    this.#status.step = steps.length;
    this.#clearCorrection(); // the retreat that ends the plan eases it out
    yield* retreat(this.#ctx);
  }

  /**
   * Runs one step with retries and corrective actions. Returns true when it handed over to
   * a re-planned plan. Throws SkillFailure when out of attempts.
   */
  *#runStep(steps: readonly SkillCall[], i: number, reportAs = i): Generator<Action, boolean, Observation> {
    const ctx = this.#ctx;
    const call = steps[i]!;
    if (this.#status.step !== reportAs || this.#status.skill !== call.skill) this.#clearCorrection();
    this.#status.step = reportAs;
    this.#status.skill = call.skill;
    for (let attempt = 1; ; attempt++) {
      this.#status.attempts = attempt;
      if (attempt > 1) this.#status.retries++;
      const outcome = yield* this.#call(steps, i);
      if (outcome.ok) {
        delete this.#status.reason;
        return false;
      }
      this.#status.reason = `step ${reportAs + 1} (${call.skill}): ${outcome.reason}`;
      if (outcome.kind === 'error' || (outcome.kind === 'precondition' && !this.#recoverable(call))) {
        // Re-plans are bounded: a plan that fails the same way again must not loop forever.
        const plan =
          this.#replans < this.#maxAttempts
            ? this.#replan?.(ctx.obs, { step: reportAs, reason: outcome.reason })
            : undefined;
        if (plan) {
          this.#replans++;
          this.#status.recoveries++;
          this.#plan = plan;
          yield* this.#switchTo(plan);
          return true;
        }
        throw new SkillFailure(this.#status.reason);
      }
      // Routing a cable is the least certain skill (a slack cable can miss the slot and
      // each attempt costs ~6 s), so it gets two more attempts within its time budget.
      const limit = call.skill === 'route_through' ? this.#maxAttempts + 2 : this.#maxAttempts;
      if (attempt >= limit) throw new SkillFailure(this.#status.reason);
      yield* this.#correct(call);
    }
  }

  /** A place that failed because the block is not held can be recovered by re-grasping. */
  #recoverable(call: SkillCall): boolean {
    return call.skill === 'place' && this.#ctx.findObject(call.object) !== undefined;
  }

  /** The corrective action before retrying a failed step. */
  *#correct(call: SkillCall): Motion {
    const ctx = this.#ctx;
    switch (call.skill) {
      case 'pick':
        // Missed or slipped: open, back off, re-approach from above on the next attempt.
        this.#status.recoveries++;
        if (ctx.obs.gripper.grasping || ctx.grip < ctx.robot.config.gripper.max_width / 2)
          yield* releaseAndLift(ctx);
        return;
      case 'place': {
        // Dropped in transport, or released off target: re-grasp where it lies.
        if (ctx.obs.gripper.grasping) return;
        this.#status.recoveries++;
        const r = yield* pick(ctx, { object: call.object, attempts: this.#maxAttempts });
        if (!r.ok) throw new SkillFailure(`re-grasp of ${call.object} failed: ${r.reason}`);
        return;
      }
      case 'push':
      case 'route_through':
        // Re-approach: the next attempt aims from the measured positions again.
        this.#status.recoveries++;
        if (ctx.obs.gripper.grasping) yield* releaseAndLift(ctx);
        yield* retreat(ctx);
        return;
      case 'go_home':
        return;
    }
  }

  #call(steps: readonly SkillCall[], i: number): Generator<Action, SkillOutcome, Observation> {
    const ctx = this.#ctx;
    const call = steps[i]!;
    switch (call.skill) {
      case 'pick':
        return pick(ctx, { object: call.object, attempts: 1 });
      case 'place':
        return place(ctx, { object: call.object, target: call.target });
      case 'push':
        return push(ctx, { object: call.object, zone: call.zone });
      case 'route_through':
        return routeThrough(ctx, { cable: call.cable, clip: call.clip, after: previousClip(steps, i) });
      case 'go_home':
        return goHome(ctx);
    }
  }

  /** The step's effect still holds in the latest observation (steps with no lasting effect: true). */
  #holds(steps: readonly SkillCall[], i: number): boolean {
    const ctx = this.#ctx;
    const s = steps[i]!;
    const get = (id: string) => ctx.findObject(id);
    switch (s.skill) {
      case 'place': {
        // A block that a later step picks up again does not have to stay.
        if (steps.slice(i + 1).some((t) => t.skill === 'pick' && t.object === s.object)) return true;
        const o = get(s.object);
        const t = get(s.target);
        if (!o || !t) return true;
        if (t.kind === 'bowl') return inBowl(o, t);
        if (t.kind === 'block') return onTop(o, t);
        return inZone(o, t);
      }
      case 'push': {
        const o = get(s.object);
        const z = get(s.zone);
        return !o || !z || inZone(o, z);
      }
      case 'route_through': {
        const c = get(s.cable);
        const k = get(s.clip);
        if (!c || !k) return true;
        const idx = segmentInClip(c, k);
        const prev = previousClip(steps, i);
        const p = prev === undefined ? undefined : get(prev);
        return idx >= 0 && (!p || idx > segmentInClip(c, p));
      }
      default:
        return true;
    }
  }

  /** The first route_through step up to `upTo` whose clip has lost the cable, or −1. */
  #firstLost(steps: readonly SkillCall[], upTo: number): number {
    for (let k = 0; k <= upTo; k++)
      if (steps[k]!.skill === 'route_through' && !this.#holds(steps, k)) return k;
    return -1;
  }
}

/** The clip routed by the route_through step before step i on the same cable, if any. */
function previousClip(steps: readonly SkillCall[], i: number): string | undefined {
  const call = steps[i]!;
  if (call.skill !== 'route_through') return undefined;
  for (let k = i - 1; k >= 0; k--) {
    const s = steps[k]!;
    if (s.skill === 'route_through' && s.cable === call.cable) return s.clip;
  }
  return undefined;
}

function clamp(v: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, v));
}
