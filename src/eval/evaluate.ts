import { episodeRecordingPath } from '../record/recordPaths.ts';
import type { EvalPlan, Shard } from './plan.ts';
import { planEpisodes, shardEpisodes } from './plan.ts';
import type { PoolOptions } from './pool.ts';
import { runEpisodes } from './pool.ts';
import type { EvalReport } from './report.ts';
import { buildReport } from './report.ts';
import type { EpisodeSpec } from './types.ts';

export interface EvaluateOptions extends PoolOptions {
  /** Run only this shard of the plan. */
  shard?: Shard;
  /** Called once with the episodes about to run (after sharding), before the first one starts. */
  onPlanned?: (specs: readonly EpisodeSpec[]) => void;
  /**
   * Record each episode to `<recordDir>/<task>_<split>_seed<seed>.mcap` (an existing, writable
   * directory; graph policies only).
   */
  recordDir?: string;
}

/**
 * Runs an evaluation (or one shard of it) and builds its report. The runner is a dependency: pass
 * `runner`/`runnerModule` to use a stand-in; by default the real `./runEpisode.ts` runs.
 */
export async function evaluate(plan: EvalPlan, options: EvaluateOptions = {}): Promise<EvalReport> {
  const all = planEpisodes(plan);
  const planned = options.shard ? shardEpisodes(all, options.shard) : all;
  const dir = options.recordDir;
  const specs =
    dir === undefined ? planned : planned.map((s) => ({ ...s, record: episodeRecordingPath(dir, s) }));
  options.onPlanned?.(specs);
  const results = await runEpisodes(specs, options);
  return buildReport(plan, results, options.shard);
}
