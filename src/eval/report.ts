import type { EvalPlan, Shard } from './plan.ts';
import type { EpisodeResult } from './types.ts';

/**
 * One row of the success-rate table: one task, or all tasks (`task: 'all'`). Every field is deterministic
 * except `wallSeconds` and `realTimeFactor`, which come from the wall clock.
 */
export interface SummaryRow {
  /** Task id, or 'all' for the overall row. */
  task: string;
  episodes: number;
  successes: number;
  /** successes / episodes, 0..1. */
  successRate: number;
  /** Mean physics steps per episode. */
  meanSteps: number;
  /** Mean subtasks completed over the chain episodes (subtasksTotal > 1); null when there are none. */
  meanSubtasksCompleted: number | null;
  /** Mean subtasks per chain episode; null when there are no chain episodes. */
  meanSubtasksTotal: number | null;
  /** Sim-only grasp assists engaged, summed. */
  graspAssists: number;
  commandsRejected: number;
  commandsClamped: number;
  /** Episodes that could not run (`error` set). */
  errors: number;
  /** Language policies: step attempts repeated after a failure, per episode. */
  meanRetries: number;
  /** Language policies: corrective actions (re-grasps, put-backs, redone steps), summed. */
  recoveries: number;
  /** Episodes whose instruction gave no plan. */
  plannerFailures: number;
  /** Episodes a disturbance (--perturb, --switch) was applied in. */
  disturbed: number;
  /** Of those, the ones whose results show at least one recovery. */
  disturbedWithRecovery: number;
  /** Total sim time, seconds. */
  simSeconds: number;
  /** Total wall time spent stepping, seconds. Not deterministic. */
  wallSeconds: number;
  /** simSeconds / wallSeconds: the real-time factor. Null when no wall time was measured. Not deterministic. */
  realTimeFactor: number | null;
}

/** The fields of SummaryRow that depend on the wall clock; `merge` and equality checks leave them out. */
export const wallClockFields = ['wallSeconds', 'realTimeFactor'] as const satisfies ReadonlyArray<
  keyof SummaryRow
>;

/** The JSON an evaluation writes with `--json`, and what `eval merge` reads and writes. */
export interface EvalReport extends EvalPlan {
  /** Present when this file holds one shard of the evaluation. */
  shard?: Shard;
  /** One per episode of this (shard of the) evaluation, in index order. */
  results: EpisodeResult[];
  /** One row per task in suite order, then the overall row. */
  summary: SummaryRow[];
}

/** Builds the report for a plan (or one shard of it) from its results. */
export function buildReport(plan: EvalPlan, results: readonly EpisodeResult[], shard?: Shard): EvalReport {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  return {
    suite: plan.suite,
    tasks: [...plan.tasks],
    robot: plan.robot,
    policy: plan.policy,
    split: plan.split,
    episodes: plan.episodes,
    seed: plan.seed,
    ...(plan.perturb ? { perturb: true } : {}),
    ...(plan.switch ? { switch: true } : {}),
    ...(plan.perception && plan.perception !== 'ground-truth' ? { perception: plan.perception } : {}),
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    results: sorted,
    summary: summarize(sorted),
  };
}

/**
 * Per-task rows (in order of first appearance by index, which is suite order) and an overall row. Sums run
 * in index order, so the same results give bit-identical figures however they were sharded.
 */
export function summarize(results: readonly EpisodeResult[]): SummaryRow[] {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const byTask = new Map<string, EpisodeResult[]>();
  for (const r of sorted) {
    const list = byTask.get(r.task);
    if (list) list.push(r);
    else byTask.set(r.task, [r]);
  }
  const rows = [...byTask].map(([task, list]) => summaryRow(task, list));
  rows.push(summaryRow('all', sorted));
  return rows;
}

function summaryRow(task: string, results: readonly EpisodeResult[]): SummaryRow {
  let successes = 0;
  let steps = 0;
  let chains = 0;
  let subtasksCompleted = 0;
  let subtasksTotal = 0;
  let graspAssists = 0;
  let commandsRejected = 0;
  let commandsClamped = 0;
  let errors = 0;
  let retries = 0;
  let recoveries = 0;
  let plannerFailures = 0;
  let disturbed = 0;
  let disturbedWithRecovery = 0;
  let simSeconds = 0;
  let wallSeconds = 0;
  for (const r of results) {
    if (r.success) successes++;
    steps += r.steps;
    if (r.subtasksTotal > 1) {
      chains++;
      subtasksCompleted += r.subtasksCompleted;
      subtasksTotal += r.subtasksTotal;
    }
    graspAssists += r.graspAssists;
    commandsRejected += r.commandsRejected;
    commandsClamped += r.commandsClamped;
    if (r.error !== undefined) errors++;
    retries += r.retries ?? 0;
    recoveries += r.recoveries ?? 0;
    if (r.plannerFailure) plannerFailures++;
    if ((r.disturbances?.length ?? 0) > 0) {
      disturbed++;
      if ((r.recoveries ?? 0) > 0) disturbedWithRecovery++;
    }
    simSeconds += r.simTimeSeconds;
    wallSeconds += r.wallTimeSeconds;
  }
  const n = results.length;
  return {
    task,
    episodes: n,
    successes,
    successRate: n ? successes / n : 0,
    meanSteps: n ? steps / n : 0,
    meanSubtasksCompleted: chains ? subtasksCompleted / chains : null,
    meanSubtasksTotal: chains ? subtasksTotal / chains : null,
    graspAssists,
    commandsRejected,
    commandsClamped,
    errors,
    meanRetries: n ? retries / n : 0,
    recoveries,
    plannerFailures,
    disturbed,
    disturbedWithRecovery,
    simSeconds,
    wallSeconds,
    realTimeFactor: wallSeconds > 0 ? simSeconds / wallSeconds : null,
  };
}

interface Column {
  title: string;
  /** Right-align (numbers) or left-align (names). */
  align: 'left' | 'right';
  cell: (row: SummaryRow) => string;
}

const columns: Column[] = [
  { title: 'task', align: 'left', cell: (r) => r.task },
  { title: 'episodes', align: 'right', cell: (r) => String(r.episodes) },
  { title: 'success', align: 'right', cell: (r) => String(r.successes) },
  { title: 'rate', align: 'right', cell: (r) => `${(r.successRate * 100).toFixed(1)}%` },
  { title: 'steps', align: 'right', cell: (r) => r.meanSteps.toFixed(1) },
  {
    title: 'subtasks',
    align: 'right',
    cell: (r) =>
      r.meanSubtasksCompleted === null || r.meanSubtasksTotal === null
        ? '-'
        : `${r.meanSubtasksCompleted.toFixed(2)}/${formatMean(r.meanSubtasksTotal)}`,
  },
  { title: 'assists', align: 'right', cell: (r) => String(r.graspAssists) },
  { title: 'rejected', align: 'right', cell: (r) => String(r.commandsRejected) },
  { title: 'clamped', align: 'right', cell: (r) => String(r.commandsClamped) },
  { title: 'errors', align: 'right', cell: (r) => String(r.errors) },
  { title: 'retries/ep', align: 'right', cell: (r) => r.meanRetries.toFixed(2) },
  { title: 'recoveries', align: 'right', cell: (r) => String(r.recoveries) },
  { title: 'no-plan', align: 'right', cell: (r) => String(r.plannerFailures) },
  {
    title: 'recovered/disturbed',
    align: 'right',
    cell: (r) => (r.disturbed === 0 ? '-' : `${r.disturbedWithRecovery}/${r.disturbed}`),
  },
  {
    title: 'sim/wall',
    align: 'right',
    cell: (r) => (r.realTimeFactor === null ? '-' : `${r.realTimeFactor.toFixed(1)}x`),
  },
];

function formatMean(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/**
 * The report as a fixed-width text table: a header line naming the evaluation, one row per task and the
 * overall row, separated by a rule. Ends with a newline.
 */
export function formatTable(report: EvalReport): string {
  const shard = report.shard ? `, shard ${report.shard.index}/${report.shard.count}` : '';
  const title =
    `suite ${report.suite}, robot ${report.robot}, policy ${report.policy}, split ${report.split}, ` +
    `seed ${report.seed}, ${report.episodes} episodes per task${shard}` +
    `${report.perturb ? ', perturbed' : ''}${report.switch ? ', instruction switched' : ''}` +
    `${report.perception ? `, perception ${report.perception}` : ''}`;
  const cells = report.summary.map((row) => columns.map((c) => c.cell(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1));
  const body = cells.map(line);
  // The last row is the overall row; set it off from the tasks.
  body.splice(body.length - 1, 0, rule);
  return [title, '', line(columns.map((c) => c.title)), rule, ...body].join('\n') + '\n';
}
