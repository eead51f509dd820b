/**
 * episode.oracle: wall time and real-time factor of whole oracle episodes, per task,
 * through `runEpisode` (the code `simbridge eval` runs).
 *
 * Baseline, same run: the same task and seed, reset and then driven by as many
 * `env.step` calls as the oracle made, holding the home pose. It pays for physics,
 * the env's bookkeeping and observations, but no policy and no arm motion.
 * `ratio` = oracle wall ÷ hold-still wall; `policyShare` = 1 − 1/ratio, the share of
 * the oracle episode's wall time beyond holding still (the policy's own compute
 * plus the extra physics of a moving arm in contact).
 */
import { createEnv } from '../sim/Env.ts';
import { listTaskIds } from '../sim/tasks/index.ts';
import { runEpisode } from '../src/eval/runEpisode.ts';
import type { BenchOptions } from './run.ts';

const ROBOT = 'ur5e';
const CONTROL_HZ = 60;

interface TaskFigures {
  episodes: number;
  successes: number;
  steps: number;
  simTimeSeconds: number;
  wallTimeSeconds: number;
  holdWallTimeSeconds: number;
}

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const tasks = quick ? ['pick_place'] : listTaskIds();
  const seeds = quick ? [1] : [1, 2];
  const env = createEnv({ robot: ROBOT, controlHz: CONTROL_HZ });
  const substeps = env.substeps;

  // Warm-up: parse the URDF, JIT the step path.
  if (!quick)
    await runEpisode({ task: tasks[0]!, robot: ROBOT, seed: 0, policy: 'oracle', split: 'seen', index: 0 });

  const perTask: Record<string, unknown> = {};
  const total = { steps: 0, simTimeSeconds: 0, wallTimeSeconds: 0, holdWallTimeSeconds: 0 };
  for (const task of tasks) {
    const f: TaskFigures = {
      episodes: 0,
      successes: 0,
      steps: 0,
      simTimeSeconds: 0,
      wallTimeSeconds: 0,
      holdWallTimeSeconds: 0,
    };
    for (const [index, seed] of seeds.entries()) {
      // Alternate hold-still and oracle episodes so drifting machine load hits both.
      const r = await runEpisode({ task, robot: ROBOT, seed, policy: 'oracle', split: 'seen', index });
      const calls = Math.ceil(r.steps / substeps);
      const start = performance.now();
      const reset = env.reset({ task, seed, split: 'seen' });
      const hold = { joints: reset.observation.joints.position, gripper: reset.observation.gripper.width };
      for (let i = 0; i < calls; i++) env.step(hold);
      f.holdWallTimeSeconds += (performance.now() - start) / 1000;
      f.episodes++;
      if (r.success) f.successes++;
      f.steps += r.steps;
      f.simTimeSeconds += r.simTimeSeconds;
      f.wallTimeSeconds += r.wallTimeSeconds;
    }
    perTask[task] = summarize(f);
    total.steps += f.steps;
    total.simTimeSeconds += f.simTimeSeconds;
    total.wallTimeSeconds += f.wallTimeSeconds;
    total.holdWallTimeSeconds += f.holdWallTimeSeconds;
  }
  const ratio = total.wallTimeSeconds / total.holdWallTimeSeconds;
  return {
    bench: 'episode.oracle',
    robot: ROBOT,
    episodesPerTask: seeds.length,
    seeds,
    steps: total.steps,
    simTimeSeconds: round(total.simTimeSeconds, 2),
    wallTimeSeconds: round(total.wallTimeSeconds, 2),
    rtf: round(total.simTimeSeconds / total.wallTimeSeconds, 2),
    baseline: {
      name: 'same tasks and seeds, same env.step count, holding the home pose',
      wallTimeSeconds: round(total.holdWallTimeSeconds, 2),
      rtf: round(total.simTimeSeconds / total.holdWallTimeSeconds, 2),
    },
    ratio: round(ratio, 3),
    policyShare: round(1 - 1 / ratio, 3),
    tasks: perTask,
    quick,
  };
}

function summarize(f: TaskFigures): Record<string, unknown> {
  const ratio = f.wallTimeSeconds / f.holdWallTimeSeconds;
  return {
    episodes: f.episodes,
    successes: f.successes,
    steps: f.steps,
    simTimeSeconds: round(f.simTimeSeconds, 2),
    wallTimeSeconds: round(f.wallTimeSeconds, 3),
    rtf: round(f.simTimeSeconds / f.wallTimeSeconds, 2),
    baseline: {
      wallTimeSeconds: round(f.holdWallTimeSeconds, 3),
      rtf: round(f.simTimeSeconds / f.holdWallTimeSeconds, 2),
    },
    ratio: round(ratio, 3),
    policyShare: round(1 - 1 / ratio, 3),
  };
}

function round(v: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
