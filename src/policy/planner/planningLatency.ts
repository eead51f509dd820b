import { planFromInstruction } from './RuleBasedPlanner.ts';
import type { WorldSummary } from './WorldSummary.ts';

export interface PlanningLatencyCase {
  instruction: string;
  world: WorldSummary;
}

export interface PlanningLatency {
  /** Plans timed (cases x rounds). */
  count: number;
  /** Plans that came out ok. */
  planned: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/**
 * Times the rule-based planner (instruction -> validated plan) over `cases`, for the
 * benchmark (bench/). Tests assert nothing about time; the benchmark compares these
 * figures with the 20 ms budget for instruction -> first command.
 * `warmupRounds` untimed rounds first let the JIT settle.
 */
export function measurePlanningLatency(
  cases: readonly PlanningLatencyCase[],
  options: {
    /** Timed passes over all cases. @default 5 */
    rounds?: number;
    /** Untimed passes first. @default 1 */
    warmupRounds?: number;
    /** Clock, ms. @default performance.now */
    now?: () => number;
  } = {},
): PlanningLatency {
  const now = options.now ?? (() => performance.now());
  const rounds = options.rounds ?? 5;
  for (let r = 0; r < (options.warmupRounds ?? 1); r++)
    for (const c of cases) planFromInstruction(c.instruction, c.world);
  const times: number[] = [];
  let planned = 0;
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const t0 = now();
      const result = planFromInstruction(c.instruction, c.world);
      times.push(now() - t0);
      if (result.ok) planned++;
    }
  }
  times.sort((a, b) => a - b);
  const q = (p: number) =>
    times.length ? times[Math.min(times.length - 1, Math.floor(p * times.length))]! : 0;
  return {
    count: times.length,
    planned,
    meanMs: times.length ? times.reduce((s, t) => s + t, 0) / times.length : 0,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    maxMs: times.at(-1) ?? 0,
  };
}
