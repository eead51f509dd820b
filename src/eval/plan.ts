import { UserError } from '../errors.ts';
import type { EpisodeSpec, Perception } from './types.ts';

/** What an evaluation runs. Every field is part of the report header; merge refuses files that differ. */
export interface EvalPlan {
  /** Suite id, e.g. 'tabletop'. Recorded in the report; the task list is resolved from it by the caller. */
  suite: string;
  /** Task ids in suite order (after `--tasks` filtering). */
  tasks: string[];
  robot: string;
  policy: string;
  split: 'seen' | 'unseen';
  /** Episodes per task, >= 1. */
  episodes: number;
  /** Base seed: episode k of every task gets seed `seed + k`. */
  seed: number;
  /** Mid-episode disturbances, if any (see EpisodeSpec). */
  perturb?: boolean;
  switch?: boolean;
  /** Where /detections come from; absent means the sim's ground truth (see EpisodeSpec). */
  perception?: Perception;
}

/** One shard of an evaluation. 0-based, like Kubernetes indexed jobs and Slurm array task ids. */
export interface Shard {
  /** This shard, 0 <= index < count. */
  index: number;
  /** Number of shards, >= 1. */
  count: number;
}

/**
 * Enumerates the episodes of an evaluation, task-major: for each task in order, episodes k = 0..N-1 with
 * seed `seed + k`. Seeds depend only on k, so a task's episodes stay the same when tasks are added; `index`
 * runs over (task, k) and orders the results.
 */
export function planEpisodes(plan: EvalPlan): EpisodeSpec[] {
  const specs: EpisodeSpec[] = [];
  for (const task of plan.tasks) {
    for (let k = 0; k < plan.episodes; k++) {
      specs.push({
        task,
        robot: plan.robot,
        policy: plan.policy,
        split: plan.split,
        seed: plan.seed + k,
        index: specs.length,
        ...(plan.perturb ? { perturb: true } : {}),
        ...(plan.switch ? { switch: true } : {}),
        ...(plan.perception && plan.perception !== 'ground-truth' ? { perception: plan.perception } : {}),
      });
    }
  }
  return specs;
}

/**
 * The `shard.index`-th of `shard.count` disjoint slices of `specs`, round-robin by episode index, so every
 * shard gets a near-equal share of every task (shard sizes differ by at most one).
 */
export function shardEpisodes(specs: readonly EpisodeSpec[], shard: Shard): EpisodeSpec[] {
  return specs.filter((s) => s.index % shard.count === shard.index);
}

/**
 * Parses `--shard i/n` (0-based: `0/4` .. `3/4`). Strict: no spaces, signs, decimals or out-of-range values.
 * @param flag the flag name, for the error message
 */
export function parseShard(text: string, flag = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const hint =
    'expected i/n with 0 <= i < n, 0-based like Kubernetes indexed jobs and Slurm arrays (e.g. 0/4)';
  if (!m) throw new UserError(`${hint}, got '${text}'`, { source: flag });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UserError(`${hint}, got '${text}'`, { source: flag });
  }
  return { index, count };
}

/**
 * Resolves `--tasks a,b` against a suite's tasks. The result keeps suite order whatever order the user gave,
 * so `--tasks b,a` and `--tasks a,b` plan the same episodes.
 * @param requested the comma-separated list, or undefined for the whole suite
 */
export function selectTasks(suite: string, suiteTasks: readonly string[], requested?: string): string[] {
  if (requested === undefined) return [...suiteTasks];
  const names = requested.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') throw new UserError(`empty task name in '${requested}'`, { source: '--tasks' });
    if (!suiteTasks.includes(name)) {
      throw new UserError(
        `unknown task '${name}' in suite '${suite}'; known tasks: ${suiteTasks.join(', ')}`,
        { source: '--tasks' },
      );
    }
    if (seen.has(name)) throw new UserError(`task '${name}' is listed twice`, { source: '--tasks' });
    seen.add(name);
  }
  return suiteTasks.filter((t) => seen.has(t));
}
