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
  const reset = env.reset({ task: spec.task, seed: spec.seed, split: spec.split });
  const policy = new LanguagePolicy(env.robotDescription, instruction ?? reset.instruction, {
    controlHz: CONTROL_HZ,
  });
  let obs = reset.observation;
  let checks = env.evaluate();
  let succeededAt: number | undefined;
  for (;;) {
    const r = env.step(policy.act(obs));
    obs = r.observation;
    checks = r.info.checks;
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
  if (instruction !== undefined) result.instruction = instruction;
  return { ...result, plan: policy.plan, status: policy.status };
}
