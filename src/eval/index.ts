// The evaluation harness: plan, shard, run on worker threads, report, merge.
export type { EvaluateOptions } from './evaluate.ts';
export { evaluate } from './evaluate.ts';
export type { NamedReport } from './merge.ts';
export { mergeReports } from './merge.ts';
export type { EvalPlan, Shard } from './plan.ts';
export { parseShard, planEpisodes, selectTasks, shardEpisodes } from './plan.ts';
export type { PoolOptions } from './pool.ts';
export { autoWorkerCount, defaultRunnerModule, runEpisodes } from './pool.ts';
export type { EvalReport, SummaryRow } from './report.ts';
export { buildReport, formatTable, summarize, wallClockFields } from './report.ts';
export { parseReport, readReportFile } from './reportFile.ts';
export type { EpisodeRunner } from './runner.ts';
export { failedResult, runGuarded } from './runner.ts';
export type { EpisodeResult, EpisodeSpec } from './types.ts';
