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
}

/**
 * Runs an evaluation (or one shard of it) and builds its report. The runner is a dependency: pass
 * `runner`/`runnerModule` to use a stand-in; by default the real `./runEpisode.ts` runs.
 */
export async function evaluate(plan: EvalPlan, options: EvaluateOptions = {}): Promise<EvalReport> {
  const all = planEpisodes(plan);
  const specs = options.shard ? shardEpisodes(all, options.shard) : all;
  options.onPlanned?.(specs);
  const results = await runEpisodes(specs, options);
  return buildReport(plan, results, options.shard);
}
