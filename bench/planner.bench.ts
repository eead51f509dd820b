/**
 * planner.latency: how long the rule-based planner takes from instruction text to a
 * validated plan, and from instruction to the language policy's first arm command
 * (planning + the first skill's IK), over every task's episode instructions.
 *
 * Baseline, same run, same scenes: planning from the task's structured goal
 * (`goalToPlan`), which skips the language. `ratio` = language p50 ÷ goal p50.
 * Target (issue 4): instruction → first command under 20 ms.
 */
import { createEnv } from '../sim/Env.ts';
import type { Goal } from '../sim/tasks/Goal.ts';
import { listTaskIds } from '../sim/tasks/index.ts';
import { LanguagePolicy, worldOf } from '../src/policy/language/LanguagePolicy.ts';
import { goalToPlan, planFromInstruction } from '../src/policy/planner/index.ts';
import type { BenchOptions } from './run.ts';
import { quantile, round } from './stats.ts';

const TARGET_MS = 20;

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const env = createEnv({ robot: 'ur5e' });
  const seeds = quick ? 2 : 20;
  const cases: Array<{ instruction: string; goal: Goal; obs: ReturnType<typeof env.observe> }> = [];
  for (const task of listTaskIds()) {
    for (let seed = 1; seed <= seeds; seed++) {
      const r = env.reset({ task, seed });
      cases.push({ instruction: r.instruction, goal: r.goal, obs: r.observation });
    }
  }
  const rounds = quick ? 1 : 5;
  const lang: number[] = [];
  const goal: number[] = [];
  const first: number[] = [];
  let planned = 0;
  for (let round = -1; round < rounds; round++) {
    for (const c of cases) {
      const world = worldOf(c.obs);
      let t = performance.now();
      const r = planFromInstruction(c.instruction, world);
      const tLang = performance.now() - t;
      t = performance.now();
      goalToPlan(c.goal, world, c.instruction);
      const tGoal = performance.now() - t;
      t = performance.now();
      new LanguagePolicy(env.robotDescription, c.instruction, { controlHz: 60 }).act(c.obs);
      const tFirst = performance.now() - t;
      if (round < 0) continue; // warm-up round
      lang.push(tLang);
      goal.push(tGoal);
      first.push(tFirst);
      if (r.ok) planned++;
    }
  }
  const p = quantile;
  const round3 = (v: number) => round(v, 3);
  return {
    bench: 'planner.latency',
    instructions: cases.length,
    planned: `${planned}/${lang.length}`,
    planMs: { p50: round3(p(lang, 0.5)), p95: round3(p(lang, 0.95)), max: round3(p(lang, 1)) },
    firstCommandMs: { p50: round3(p(first, 0.5)), p95: round3(p(first, 0.95)), max: round3(p(first, 1)) },
    baseline: {
      name: 'plan from the structured goal (goalToPlan), same scenes',
      planMs: { p50: round3(p(goal, 0.5)), p95: round3(p(goal, 0.95)) },
    },
    ratio: round3(p(lang, 0.5) / Math.max(1e-6, p(goal, 0.5))),
    targets: { firstCommandMs: `<${TARGET_MS}` },
    meetsTargets: { firstCommandMs: p(first, 0.95) < TARGET_MS },
    quick,
  };
}
