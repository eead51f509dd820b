import { CONTROL_HZ, envFor } from '../../eval/envCache.ts';
import { episodeResult } from '../../eval/episodeResult.ts';
import type { EpisodeResult, EpisodeSpec } from '../../eval/types.ts';
import type { Plan } from '../planner/Plan.ts';
import { LanguagePolicy, type LanguagePolicyStatus } from './LanguagePolicy.ts';

/** Sim time to keep stepping after the plan succeeded, for the task's checks to settle, s. */
const SETTLE_AFTER_PLAN_S = 2;

export interface LanguageEpisodeResult extends EpisodeResult {
  /** The plan the instruction gave, if it gave one. */
  plan: Plan | undefined;
  /** The policy's final status (state, step, attempts, reason, retries, recoveries). */
  status: LanguagePolicyStatus;
}

/**
 * Runs one episode with the language policy on the env directly (no graph), like
 * `runEnvEpisode` does with the oracle. `instruction` replaces the task's template text;
 * the seeded goal the episode is judged by stays the task's. Deterministic except
 * `wallTimeSeconds`.
 */
export function runLanguageEnvEpisode(spec: EpisodeSpec, instruction?: string): LanguageEpisodeResult {
  const env = envFor(spec.robot, spec.scene);
  const start = performance.now();
  const disturb =
    spec.perturb || spec.switch ? { perturb: !!spec.perturb, switch: !!spec.switch } : undefined;
  const reset = env.reset({
    task: spec.task,
    seed: spec.seed,
    split: spec.split,
    ...(disturb ? { disturb } : {}),
  });
  const policy = new LanguagePolicy(env.robotDescription, instruction ?? reset.instruction, {
    controlHz: CONTROL_HZ,
  });
  let obs = reset.observation;
  let checks = env.evaluate();
  let succeededAt: number | undefined;
  let seenEvents = 0;
  for (;;) {
    const r = env.step(policy.act(obs));
    obs = r.observation;
    checks = r.info.checks;
    // A switch (--switch) reaches the policy as a user's next instruction would.
    for (const events = env.events; seenEvents < events.length; seenEvents++) {
      const e = events[seenEvents]!;
      if (e.kind === 'switch' && e.instruction) {
        policy.setInstruction(e.instruction);
        succeededAt = undefined;
      }
    }
    if (r.done) break;
    const state = policy.status.state;
    // A failed (or never-made) plan cannot change the outcome any more.
    if (state === 'failed') break;
    if (state === 'succeeded') {
      succeededAt ??= obs.time;
      if (obs.time - succeededAt >= SETTLE_AFTER_PLAN_S) break;
    }
  }
  const wallTimeSeconds = (performance.now() - start) / 1000;
  const result = episodeResult(spec, env, checks, { wallTimeSeconds, policyFailure: policy.failure });
  if (instruction !== undefined && !spec.switch) result.instruction = instruction;
  const status = policy.status;
  return {
    ...result,
    plan: policy.plan,
    status,
    retries: status.retries,
    recoveries: status.recoveries,
    plannerFailure: status.planner !== undefined,
  };
}
