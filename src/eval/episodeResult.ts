import type { SimEnv } from '../../sim/Env.ts';
import type { Checks } from '../../sim/tasks/evaluateGoal.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';

/** An episode's result from the env's final state. */
export function episodeResult(
  spec: EpisodeSpec,
  env: SimEnv,
  checks: Checks,
  run: { wallTimeSeconds: number; policyFailure: string | undefined; extraRejected?: number },
): EpisodeResult {
  const s = env.summary();
  const result: EpisodeResult = {
    task: spec.task,
    robot: spec.robot,
    seed: spec.seed,
    policy: spec.policy,
    split: spec.split,
    index: spec.index,
    instruction: s.instruction,
    goal: s.goal,
    success: checks.success,
    checks,
    steps: s.steps,
    simTimeSeconds: s.simTimeSeconds,
    wallTimeSeconds: run.wallTimeSeconds,
    stateHash: s.stateHash,
    subtasksCompleted: s.subtasksCompleted,
    subtasksTotal: s.subtasksTotal,
    graspAssists: s.graspAssists,
    commandsRejected: s.commandsRejected + (run.extraRejected ?? 0),
    commandsClamped: s.commandsClamped,
  };
  if (run.policyFailure) result.policyFailure = run.policyFailure;
  if (spec.perturb || spec.switch) result.disturbances = [...env.events];
  return result;
}
