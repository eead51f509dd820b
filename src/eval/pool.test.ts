// The runner here is test/cli/fixtures/fakeRunner.ts, a deterministic stand-in: the real runEpisode is
// tested elsewhere. These tests cover the pool: real worker threads loading a runner module by URL.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEpisode as fakeRunner } from '../../test/cli/fixtures/fakeRunner.ts';
import { planEpisodes } from './plan.ts';
import { runEpisodes } from './pool.ts';
import type { EpisodeResult } from './types.ts';

const fakeRunnerModule = new URL('../../test/cli/fixtures/fakeRunner.ts', import.meta.url);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const specs = planEpisodes({
  suite: 'fake',
  tasks: ['pick_place', 'stack', 'chain3'],
  robot: 'ur5e',
  policy: 'oracle',
  split: 'unseen',
  episodes: 6,
  seed: 3,
});

/** Everything but the wall clock. */
function deterministic(results: EpisodeResult[]): Omit<EpisodeResult, 'wallTimeSeconds'>[] {
  return results.map(({ wallTimeSeconds: _w, ...rest }) => rest);
}

describe('runEpisodes', () => {
  it('gives the same results, in index order, in-thread and on 1, 2 and 4 worker threads', async () => {
    const inThread = await runEpisodes(specs, { workers: 1, runner: fakeRunner });
    expect(inThread.map((r) => r.index)).toEqual(specs.map((s) => s.index));
    for (const workers of [2, 4]) {
      const pooled = await runEpisodes(specs, { workers, runnerModule: fakeRunnerModule });
      expect(deterministic(pooled)).toEqual(deterministic(inThread));
    }
    // In-thread without a runner function imports the module, like a worker does.
    const imported = await runEpisodes(specs, { workers: 0, runnerModule: fakeRunnerModule });
    expect(deterministic(imported)).toEqual(deterministic(inThread));
  });

  it('reports every episode once to onResult', async () => {
    const seen: number[] = [];
    await runEpisodes(specs, {
      workers: 3,
      runnerModule: fakeRunnerModule,
      onResult: (r) => seen.push(r.index),
    });
    expect(seen.sort((a, b) => a - b)).toEqual(specs.map((s) => s.index));
  });

  it('reports an episode that throws with its error and goes on with the rest', async () => {
    const mixed = planEpisodes({ ...baseFor(['stack', 'throws', 'pick_place']), episodes: 2 });
    for (const options of [
      { workers: 1, runner: fakeRunner },
      { workers: 2, runnerModule: fakeRunnerModule },
    ]) {
      const results = await runEpisodes(mixed, options);
      expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      const failed = results.filter((r) => r.error !== undefined);
      expect(failed.map((r) => [r.index, r.success, r.error])).toEqual([
        [2, false, 'task exploded at seed 3'],
        [3, false, 'task exploded at seed 4'],
      ]);
      expect(results.filter((r) => r.task !== 'throws').every((r) => r.stateHash !== '')).toBe(true);
    }
  });

  it('records an episode whose worker thread dies, and runs the rest on a new worker', async () => {
    const mixed = planEpisodes({ ...baseFor(['stack', 'crash', 'pick_place']), episodes: 2 });
    const results = await runEpisodes(mixed, { workers: 2, runnerModule: fakeRunnerModule });
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.filter((r) => r.task === 'crash').map((r) => r.error)).toEqual([
      'episode worker died: exit code 7',
      'episode worker died: exit code 7',
    ]);
    expect(results.filter((r) => r.task !== 'crash').every((r) => r.error === undefined)).toBe(true);
  });

  it('rejects, naming the module, when the runner module has no runEpisode', async () => {
    const bad = new URL('../../test/cli/fixtures/notARunner.ts', import.meta.url);
    await expect(runEpisodes(specs, { workers: 2, runnerModule: bad })).rejects.toThrow(
      /episode worker could not load .*notARunner\.ts: .*does not export runEpisode\(\)/,
    );
  });

  it('starts workers from a plain node process and lets it exit when done', () => {
    // Outside vitest: the worker must register tsx itself, and no worker may keep the process alive.
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/cli/fixtures/runPool.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const results = JSON.parse(child.stdout) as EpisodeResult[];
    expect(results.map((r) => r.index)).toEqual([...Array(10).keys()]);
    expect(results.every((r) => r.error === undefined)).toBe(true);
  });
});

function baseFor(tasks: string[]) {
  return {
    suite: 'fake',
    tasks,
    robot: 'ur5e',
    policy: 'oracle',
    split: 'seen' as const,
    episodes: 1,
    seed: 3,
  };
}
