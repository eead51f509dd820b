// The oracle is a thin sequencer over the skill library (src/policy/skills): every task
// still succeeds on its reference seed, and the episode stays deterministic.
import { describe, expect, it } from 'vitest';
import { listTaskIds } from '../../sim/tasks/index.ts';
import { runEpisode } from '../../src/eval/runEpisode.ts';
import type { EpisodeSpec } from '../../src/eval/types.ts';

function spec(task: string, seed = 1): EpisodeSpec {
  return { task, robot: 'ur5e', seed, policy: 'oracle-env', split: 'seen', index: 0 };
}

describe('oracle over the skill library', () => {
  it.each(listTaskIds())('solves %s on seed 1', async (task) => {
    const r = await runEpisode(spec(task));
    expect(r.policyFailure).toBeUndefined();
    expect(r.success).toBe(true);
    expect(r.commandsRejected).toBe(0);
  });

  it('gives the same state hash for the same spec', async () => {
    const a = await runEpisode(spec('sort', 2));
    const b = await runEpisode(spec('sort', 2));
    expect(b.stateHash).toBe(a.stateHash);
    expect(b.steps).toBe(a.steps);
  });
});
