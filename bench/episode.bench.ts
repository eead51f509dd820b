/**
 * episode.closedLoop: whole oracle episodes with the oracle as its own node on the
 * graph (local transport): the sim node steps physics at 240 Hz and publishes /clock
 * every step, /joint_states at 250 Hz, /tf at 50 Hz and /detections at 30 Hz; the
 * oracle node commands at 60 Hz. This is what `simbridge eval --policy oracle` runs.
 *
 * Baseline, same run, same tasks and seeds: the same oracle calling the env directly
 * (`--policy oracle-env`), with no graph, no messages and no validation.
 * `ratio` = graph wall time ÷ direct wall time. Target: rtf ≥ 15 on one core.
 */
import { listTaskIds } from '../sim/tasks/index.ts';
import { runEpisode } from '../src/eval/runEpisode.ts';
import type { EpisodeResult } from '../src/eval/types.ts';
import type { BenchOptions } from './run.ts';
import { round } from './stats.ts';

const ROBOT = 'ur5e';
const TARGET_RTF = 15;

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  // cable_route is left out: its cost is the 44-segment chain in the solver, the same
  // with or without the graph, and it would dominate the figure.
  const tasks = quick ? ['pick_place'] : listTaskIds().filter((t) => t !== 'cable_route');
  const seeds = quick ? [1] : [1, 2];
  const episode = (task: string, seed: number, policy: string) =>
    runEpisode({ task, robot: ROBOT, seed, policy, split: 'seen', index: 0 });
  await episode(tasks[0]!, 0, 'oracle'); // warm-up: module loading and JIT
  await episode(tasks[0]!, 0, 'oracle-env');
  const perTask: Record<string, unknown> = {};
  let graph = { sim: 0, wall: 0, ok: 0, n: 0 };
  let direct = { sim: 0, wall: 0 };
  for (const task of tasks) {
    const g = { sim: 0, wall: 0, ok: 0, n: 0 };
    const d = { sim: 0, wall: 0 };
    for (const seed of seeds) {
      const rg: EpisodeResult = await episode(task, seed, 'oracle');
      const rd: EpisodeResult = await episode(task, seed, 'oracle-env');
      g.sim += rg.simTimeSeconds;
      g.wall += rg.wallTimeSeconds;
      g.ok += rg.success ? 1 : 0;
      g.n++;
      d.sim += rd.simTimeSeconds;
      d.wall += rd.wallTimeSeconds;
    }
    perTask[task] = {
      rtf: round(g.sim / g.wall, 1),
      successes: `${g.ok}/${g.n}`,
      baselineRtf: round(d.sim / d.wall, 1),
      ratio: round(g.wall / d.wall, 2),
    };
    graph = { sim: graph.sim + g.sim, wall: graph.wall + g.wall, ok: graph.ok + g.ok, n: graph.n + g.n };
    direct = { sim: direct.sim + d.sim, wall: direct.wall + d.wall };
  }
  const rtf = graph.sim / graph.wall;
  return {
    bench: 'episode.closedLoop',
    robot: ROBOT,
    rates: { physicsHz: 240, clockHz: 240, jointStatesHz: 250, tfHz: 50, detectionsHz: 30, policyHz: 60 },
    episodes: graph.n,
    successes: graph.ok,
    simTimeSeconds: round(graph.sim, 2),
    wallTimeSeconds: round(graph.wall, 2),
    rtf: round(rtf, 1),
    baseline: {
      name: 'same oracle on the env directly (no graph)',
      wallTimeSeconds: round(direct.wall, 2),
      rtf: round(direct.sim / direct.wall, 1),
    },
    ratio: round(graph.wall / direct.wall, 2),
    targets: { rtf: `>=${TARGET_RTF}` },
    meetsTargets: { rtf: rtf >= TARGET_RTF },
    tasks: perTask,
    quick,
  };
}
