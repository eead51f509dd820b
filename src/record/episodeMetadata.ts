/**
 * The MCAP metadata record that makes a recorded episode an imitation-learning sample: what
 * was asked (task, instruction, structured goal), how it was broken down (plan), and how it
 * ended (success checks, result). Observations and actions are the recorded topics.
 */
import type { EpisodeResult, EpisodeSpec } from '../eval/types.ts';

/** Name of the episode's metadata record. */
export const EPISODE_METADATA_NAME = 'simbridge.episode';

/**
 * The `simbridge.episode` record. MCAP metadata values are strings: numbers and booleans are
 * written as JSON literals, structured values as JSON.
 *
 * | key | value |
 * |---|---|
 * | task, robot, policy, split, instruction | text |
 * | seed | integer |
 * | goal | the task's structured goal (JSON) |
 * | plan | the language policy's plan, typed skill calls (JSON; `null` for the oracle) |
 * | success_checks | named checks from task.evaluate() (JSON) |
 * | success | `true` or `false` |
 * | result | steps, sim time, state hash, subtasks, policy failure, error (JSON) |
 */
export function episodeMetadata(result: EpisodeResult): Record<string, string> {
  const {
    task,
    robot,
    policy,
    split,
    seed,
    instruction,
    goal,
    plan,
    checks,
    success,
    index: _index,
    wallTimeSeconds: _wall,
    ...rest
  } = result;
  return {
    task,
    robot,
    policy,
    split,
    seed: String(seed),
    instruction,
    goal: JSON.stringify(goal ?? null),
    plan: JSON.stringify(plan ?? null),
    success_checks: JSON.stringify(checks),
    success: String(success),
    result: JSON.stringify(rest),
  };
}

/** The record for an episode that stopped before it had a result (it threw). */
export function failedEpisodeMetadata(spec: EpisodeSpec, error: unknown): Record<string, string> {
  return {
    task: spec.task,
    robot: spec.robot,
    policy: spec.policy,
    split: spec.split,
    seed: String(spec.seed),
    instruction: spec.instruction ?? '',
    goal: 'null',
    plan: 'null',
    success_checks: '{}',
    success: 'false',
    result: JSON.stringify({ error: error instanceof Error ? error.message : String(error) }),
  };
}
