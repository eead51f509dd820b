import { UserError } from '../errors.ts';
import type { EvalPlan } from './plan.ts';
import { planEpisodes } from './plan.ts';
import type { EvalReport } from './report.ts';
import { buildReport } from './report.ts';
import type { EpisodeResult } from './types.ts';

/** A report and the file it came from, for error messages. */
export interface NamedReport {
  file: string;
  report: EvalReport;
}

const headerFields = [
  'suite',
  'tasks',
  'robot',
  'policy',
  'split',
  'episodes',
  'seed',
  'perception',
  'perturb',
  'switch',
] as const;

/** How many items an error message lists before it says "and N more". */
const listLimit = 10;

/**
 * Combines the shard reports of one evaluation into the report of the whole: the same results in index
 * order and the same summary as an unsharded run (wall-clock figures aside). Throws UserError, naming the
 * files, when they come from different evaluations, overlap, or leave episodes out.
 */
export function mergeReports(inputs: readonly NamedReport[]): EvalReport {
  const first = inputs[0];
  if (!first) throw new UserError('eval merge needs at least one report file');
  const plan: EvalPlan = {
    suite: first.report.suite,
    tasks: first.report.tasks,
    robot: first.report.robot,
    policy: first.report.policy,
    split: first.report.split,
    episodes: first.report.episodes,
    seed: first.report.seed,
    ...(first.report.perception ? { perception: first.report.perception } : {}),
    ...(first.report.perturb ? { perturb: true } : {}),
    ...(first.report.switch ? { switch: true } : {}),
  };

  for (const { file, report } of inputs.slice(1)) {
    for (const field of headerFields) {
      const mine = JSON.stringify(report[field]);
      const theirs = JSON.stringify(plan[field]);
      if (mine !== theirs) {
        throw new UserError(
          `cannot merge reports of different evaluations: ${file} has ${field} ${mine} but ${first.file} has ${theirs}`,
        );
      }
    }
  }

  const shardOwner = new Map<string, string>();
  for (const { file, report } of inputs) {
    if (!report.shard) continue;
    const key = `${report.shard.index}/${report.shard.count}`;
    const other = shardOwner.get(key);
    if (other !== undefined) {
      throw new UserError(`cannot merge: ${other} and ${file} are both shard ${key}`);
    }
    shardOwner.set(key, file);
  }

  const expected = planEpisodes(plan);
  const owner = new Map<number, string>();
  const merged: EpisodeResult[] = [];
  const duplicates: string[] = [];
  for (const { file, report } of inputs) {
    for (const r of report.results) {
      const spec = expected[r.index];
      if (!spec) {
        throw new UserError(
          `result index ${r.index} is outside this evaluation's 0..${expected.length - 1}`,
          { source: file },
        );
      }
      for (const field of ['task', 'seed', 'robot', 'policy', 'split'] as const) {
        if (r[field] !== spec[field]) {
          throw new UserError(
            `result index ${r.index} has ${field} ${JSON.stringify(r[field])}, but the evaluation plans ${JSON.stringify(spec[field])} there`,
            { source: file },
          );
        }
      }
      const other = owner.get(r.index);
      if (other !== undefined) {
        duplicates.push(`index ${r.index} (${r.task} seed ${r.seed}) in ${other} and ${file}`);
        continue;
      }
      owner.set(r.index, file);
      merged.push(r);
    }
  }
  if (duplicates.length > 0) {
    throw new UserError(`cannot merge: duplicated episodes: ${limitList(duplicates)}`);
  }

  const missing = expected.filter((s) => !owner.has(s.index));
  if (missing.length > 0) {
    const listed = limitList(missing.map((s) => `${s.index} (${s.task} seed ${s.seed})`));
    throw new UserError(
      `cannot merge: missing ${missing.length} of ${expected.length} episodes: ${listed}${missingShardHint(
        inputs,
        missing.map((s) => s.index),
      )}`,
    );
  }

  return buildReport(plan, merged);
}

/** "; shards 2/4, 3/4 not given" when every input is a shard of the same count. */
function missingShardHint(inputs: readonly NamedReport[], missing: readonly number[]): string {
  const counts = new Set(inputs.map((i) => i.report.shard?.count));
  if (counts.size !== 1) return '';
  const [count] = counts;
  if (count === undefined) return '';
  const shards = [...new Set(missing.map((i) => i % count))].sort((a, b) => a - b);
  return `; shard${shards.length > 1 ? 's' : ''} ${shards.map((s) => `${s}/${count}`).join(', ')} not given`;
}

function limitList(items: readonly string[]): string {
  const shown = items.slice(0, listLimit).join(', ');
  return items.length > listLimit ? `${shown} and ${items.length - listLimit} more` : shown;
}
