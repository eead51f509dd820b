// Whole seeded episodes with the privileged oracle: every registered task runs to a complete
// result, the reliable ones succeed on both robots' reference seed, and the same spec gives the same
// episode bit for bit. The episodes are synchronous and CPU-bound, so they run one after another.
import { describe, expect, it } from 'vitest';
import { listTaskIds } from '../../sim/tasks/index.ts';
import { runEpisode } from '../../src/eval/runEpisode.ts';
import type { EpisodeResult, EpisodeSpec } from '../../src/eval/types.ts';

function spec(task: string, robot = 'ur5e', seed = 1): EpisodeSpec {
  return { task, robot, seed, policy: 'oracle', split: 'seen', index: 0 };
}

function deterministicPart(r: EpisodeResult): Omit<EpisodeResult, 'wallTimeSeconds'> {
  const { wallTimeSeconds: _wall, ...rest } = r;
  return rest;
}

/** Tasks the oracle solves on the reference seed every time; a failure here is a regression. */
const RELIABLE = new Set(['pick_place', 'stack', 'push']);

describe('oracle episodes', () => {
  it.each(listTaskIds())('runs %s to a complete, well-formed result', async (task) => {
    const r = await runEpisode(spec(task));
    expect(r).toMatchObject({ task, robot: 'ur5e', seed: 1, policy: 'oracle', split: 'seen', index: 0 });
    expect(typeof r.success).toBe('boolean');
    expect(r.checks).toHaveProperty('success');
    expect(r.checks['success']).toBe(r.success);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.simTimeSeconds).toBeCloseTo(r.steps / 240, 9);
    expect(r.stateHash).toMatch(/^[0-9a-f]{16}$/);
    expect(r.instruction.trim().length).toBeGreaterThan(0);
    expect(r.goal).toHaveProperty('type');
    expect(r.error).toBeUndefined();
    expect(r.subtasksCompleted).toBeLessThanOrEqual(r.subtasksTotal);
    expect(r.commandsRejected).toBe(0);
    if (RELIABLE.has(task)) {
      expect(r.policyFailure).toBeUndefined();
      expect(r.success).toBe(true);
    }
  });

  it('succeeds at pick_place with the panda', async () => {
    const r = await runEpisode(spec('pick_place', 'panda'));
    expect(r.policyFailure).toBeUndefined();
    expect(r.success).toBe(true);
    expect(r.robot).toBe('panda');
  });
});

describe('oracle episode determinism', () => {
  it('gives the same result and state hash for the same spec, whatever ran in between', async () => {
    const first = await runEpisode(spec('pick_place', 'ur5e', 4));
    const other = await runEpisode(spec('push', 'ur5e', 4));
    const again = await runEpisode(spec('pick_place', 'ur5e', 4));
    expect(again.stateHash).toBe(first.stateHash);
    expect(again.steps).toBe(first.steps);
    expect(deterministicPart(again)).toStrictEqual(deterministicPart(first));
    expect(other.stateHash).not.toBe(first.stateHash);
  });

  it('gives different episodes for different seeds', async () => {
    const a = await runEpisode(spec('push', 'ur5e', 2));
    const b = await runEpisode(spec('push', 'ur5e', 3));
    expect(a.stateHash).not.toBe(b.stateHash);
  });
});
