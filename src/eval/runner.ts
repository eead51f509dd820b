import type { EpisodeResult, EpisodeSpec } from './types.ts';

/**
 * Runs one episode: the signature of `runEpisode` in `./runEpisode.ts`. The harness takes a runner as a
 * dependency so that it can be tested with a stand-in.
 */
export type EpisodeRunner = (spec: EpisodeSpec) => EpisodeResult | Promise<EpisodeResult>;

/** The result recorded for an episode that could not run: `success` false and `error` set. */
export function failedResult(spec: EpisodeSpec, error: unknown, wallTimeSeconds = 0): EpisodeResult {
  return {
    task: spec.task,
    robot: spec.robot,
    seed: spec.seed,
    policy: spec.policy,
    split: spec.split,
    index: spec.index,
    instruction: '',
    goal: null,
    success: false,
    checks: {},
    steps: 0,
    simTimeSeconds: 0,
    wallTimeSeconds,
    stateHash: '',
    subtasksCompleted: 0,
    subtasksTotal: 0,
    graspAssists: 0,
    commandsRejected: 0,
    commandsClamped: 0,
    error: errorMessage(error),
  };
}

/**
 * Runs one episode and never throws: an exception becomes a failed result, so one broken episode does not
 * stop an evaluation. The spec's identity fields are kept even if the runner returned others.
 */
export async function runGuarded(runner: EpisodeRunner, spec: EpisodeSpec): Promise<EpisodeResult> {
  const startMs = performance.now();
  try {
    const result = await runner(spec);
    return { ...result, index: spec.index };
  } catch (err) {
    return failedResult(spec, err, (performance.now() - startMs) / 1000);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
