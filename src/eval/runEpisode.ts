import { listTaskIds } from '../../sim/tasks/index.ts';
import { UserError } from '../errors.ts';
import { runLanguageEnvEpisode } from '../policy/language/runLanguageEpisode.ts';
import { OraclePolicy } from '../policy/oracle/OraclePolicy.ts';
import { CONTROL_HZ, envFor } from './envCache.ts';
import { episodeResult } from './episodeResult.ts';
import { resolveRobot } from './resolve.ts';
import { runGraphEpisode } from './runGraphEpisode.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';

/** Suites: named lists of task ids. */
const SUITES: Record<string, () => string[]> = {
  tabletop: () => listTaskIds(),
};

/**
 * - `oracle`: the scripted expert as its own node on the graph, next to the sim node
 *   (local transport); it sees only topics.
 * - `oracle-env`: the same expert calling the Gym-style env directly, with no graph
 *   (the baseline for the graph's cost).
 * - `language`: the language policy node on the graph: the rule-based planner and the
 *   executor on the instruction it receives on /instruction (the task's text, or
 *   `spec.instruction`).
 * - `language-env`: the same policy on the env directly (no graph).
 */
const POLICIES = ['oracle', 'oracle-env', 'language', 'language-env'] as const;

/** Runs one episode. Deterministic except `wallTimeSeconds`. */
export function runEpisode(spec: EpisodeSpec): Promise<EpisodeResult> {
  validateSpecNames(spec.task, spec.robot, spec.policy);
  if (spec.record !== undefined) assertRecordable(spec.policy, 'record');
  if (spec.perception === 'camera') assertGraphPolicy(spec.policy, 'perception');
  if (runsOnGraph(spec.policy)) return runGraphEpisode(spec);
  if (spec.policy === 'language-env') return Promise.resolve(runLanguageEnvEpisode(spec, spec.instruction));
  return Promise.resolve(runEnvEpisode(spec));
}

/** Whether `policy` runs as nodes on the graph (and so has topics to record). */
export function runsOnGraph(policy: string): boolean {
  return policy === 'oracle' || policy === 'language';
}

/** Throws a UserError if episodes of `policy` cannot be recorded (the `-env` policies have no graph). */
export function assertRecordable(policy: string, source: string): void {
  if (!runsOnGraph(policy)) {
    throw new UserError(
      `policy '${policy}' runs without the graph, so it has no topics to record; use 'oracle' or 'language'`,
      { source },
    );
  }
}

/** Throws a UserError if `policy` does not run on the graph (`--perception camera` needs topics). */
export function assertGraphPolicy(policy: string, source: string): void {
  if (!runsOnGraph(policy)) {
    throw new UserError(
      `policy '${policy}' reads the env directly, not /detections, so it cannot use a perception node; use 'oracle' or 'language'`,
      { source },
    );
  }
}

/** The oracle on the env directly, without the graph (policy `oracle-env`). */
export function runEnvEpisode(spec: EpisodeSpec): EpisodeResult {
  const env = envFor(spec.robot, spec.scene);
  const start = performance.now();
  const reset = env.reset({
    task: spec.task,
    seed: spec.seed,
    split: spec.split,
    ...(spec.perturb ? { disturb: { perturb: true } } : {}),
  });
  const policy = new OraclePolicy(env.robotDescription, reset.goal, { controlHz: CONTROL_HZ });
  let obs = reset.observation;
  let checks = env.evaluate();
  for (;;) {
    const r = env.step(policy.act(obs));
    obs = r.observation;
    checks = r.info.checks;
    if (r.done) break;
    // Once the oracle has given up, the rest of the episode cannot change the outcome.
    if (policy.finished && policy.failure) break;
  }
  const wallTimeSeconds = (performance.now() - start) / 1000;
  return episodeResult(spec, env, checks, { wallTimeSeconds, policyFailure: policy.failure });
}

/** Builds the episode's scene, goal and instruction without stepping (for `--dry-run`). */
export function describeEpisode(spec: EpisodeSpec): { instruction: string; goal: unknown; scene: unknown } {
  validateSpecNames(spec.task, spec.robot, spec.policy);
  const env = envFor(spec.robot, spec.scene);
  const r = env.reset({ task: spec.task, seed: spec.seed, split: spec.split });
  return {
    instruction: r.instruction,
    goal: r.goal,
    scene: {
      robot: spec.robot,
      split: spec.split,
      objects: r.observation.objects.map(({ segments, ...o }) =>
        segments ? { ...o, segmentCount: segments.length } : o,
      ),
    },
  };
}

/** Task ids of a suite; throws UserError for an unknown suite, naming the known ones. */
export function listTasks(suite: string): string[] {
  const tasks = SUITES[suite];
  if (!tasks)
    throw new UserError(`unknown suite "${suite}"; known suites: ${Object.keys(SUITES).join(', ')}`);
  return tasks();
}

/** Policy ids. */
export function listPolicies(): string[] {
  return [...POLICIES];
}

/** Throws UserError naming an unknown task, robot or policy and listing the known ones. */
export function validateSpecNames(task: string, robot: string, policy: string): void {
  const tasks = listTaskIds();
  if (!tasks.includes(task)) throw new UserError(`unknown task "${task}"; known tasks: ${tasks.join(', ')}`);
  resolveRobot(robot);
  if (!(POLICIES as readonly string[]).includes(policy)) {
    throw new UserError(`unknown policy "${policy}"; known policies: ${POLICIES.join(', ')}`);
  }
}

/** `--switch` needs a policy that takes instructions: `language` or `language-env`. */
export function assertLanguagePolicy(policy: string, flag: string): void {
  if (policy !== 'language' && policy !== 'language-env') {
    throw new UserError(
      `${flag} needs a policy that takes instructions (language or language-env), got "${policy}"`,
      { source: flag },
    );
  }
}
