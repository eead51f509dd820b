// Robustness evaluation: the world is disturbed once mid-episode (--perturb) or the
// instruction changes once (--switch), and the language policy recovers; results show the
// disturbance and the recovery, and a switched episode is judged on its new goal.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/Rng.ts';
import { createEnv } from '../../sim/Env.ts';
import { describeGoal, perturbationFor, switchGoal, targetOf } from '../../sim/tasks/disturbances.ts';
import { runCli } from '../../src/cli/program.ts';
import { resolveRobot } from '../../src/eval/resolve.ts';
import type { EpisodeSpec } from '../../src/eval/types.ts';
import { runLanguageEnvEpisode } from '../../src/policy/language/runLanguageEpisode.ts';

function spec(task: string, seed: number, over: Partial<EpisodeSpec>): EpisodeSpec {
  return { task, robot: 'ur5e', seed, policy: 'language-env', split: 'seen', index: 0, ...over };
}

describe('--perturb', () => {
  it.each([
    ['pick_place', 8, 'knock'],
    ['pick_place', 7, 'move_target'],
    ['push', 7, 'move_target'],
    ['cable_route', 9, 'unclip'],
  ] as const)('%s seed %i: %s once, then recovers and succeeds', (task, seed, kind) => {
    const r = runLanguageEnvEpisode(spec(task, seed, { perturb: true }));
    expect(r.disturbances?.map((e) => e.kind)).toEqual([kind]);
    expect(r.recoveries).toBeGreaterThanOrEqual(1);
    expect(r.success).toBe(true);
  });

  it('knocks the held block out of the gripper onto the table, away from where it was', () => {
    const r = runLanguageEnvEpisode(spec('pick_place', 8, { perturb: true }));
    const e = r.disturbances![0]!;
    expect(e.object).toBe((r.goal as { object: string }).object);
    expect(e.from![2]).toBeGreaterThan(0.05); // in the air, in transport
    expect(e.to![2]).toBeLessThan(0.03); // on the table
    expect(Math.hypot(e.to![0] - e.from![0], e.to![1] - e.from![1])).toBeGreaterThanOrEqual(0.08);
  });

  it('is the same disturbance for the same seed', () => {
    const a = runLanguageEnvEpisode(spec('pick_place', 8, { perturb: true }));
    const b = runLanguageEnvEpisode(spec('pick_place', 8, { perturb: true }));
    expect(b.disturbances).toEqual(a.disturbances);
    expect(b.stateHash).toBe(a.stateHash);
  });

  it('moves the target of the block being carried, in a chain too', () => {
    const chain = {
      type: 'chain' as const,
      subtasks: [
        { type: 'pick_place' as const, object: 'red_block', target: 'blue_bowl' },
        { type: 'stack' as const, object: 'green_block', base: 'red_block' },
      ],
    };
    expect(targetOf(chain, 'green_block')).toBe('red_block');
    expect(targetOf(chain, 'red_block')).toBe('blue_bowl');
    expect(targetOf(chain, undefined)).toBe('blue_bowl');
  });

  it('fits the kind to the goal', () => {
    expect(perturbationFor({ type: 'cable_route', cable: 'cable', clips: ['clip_A'] }, 2)).toBe('unclip');
    expect(perturbationFor({ type: 'push', object: 'a', zone: 'z' }, 2)).toBe('move_target');
    expect(perturbationFor({ type: 'stack_all', objects: ['a', 'b'] }, 3)).toBe('knock');
  });
});

describe('--switch', () => {
  it('pick_place seed 7: a new instruction after the first grasp; judged on the new goal', () => {
    const r = runLanguageEnvEpisode(spec('pick_place', 7, { switch: true }));
    const e = r.disturbances![0]!;
    expect(e.kind).toBe('switch');
    expect(r.goal).toEqual(e.goal);
    expect(r.instruction).toBe(e.instruction);
    expect(r.instruction).toMatch(/^actually, put the \w+ block in the \w+ bowl$/);
    expect(r.status.instruction).toBe(e.instruction);
    expect(r.success).toBe(true);
  });

  it("draws a different goal over objects that exist, and says it in the planner's words", () => {
    const env = createEnv({ robot: resolveRobot('ur5e') });
    for (const task of ['pick_place', 'stack', 'push', 'sort', 'stack_all', 'chain', 'cable_route']) {
      for (const seed of [1, 2, 3]) {
        const reset = env.reset({ task, seed });
        const scene = env.scene;
        const next = switchGoal(reset.goal, scene, new Rng(seed));
        expect(next, `${task} seed ${seed}`).toBeDefined();
        expect(next).not.toEqual(reset.goal);
        expect(describeGoal(next!, scene)).not.toMatch(/undefined/);
      }
    }
  });

  it('refuses a policy that takes no instructions, with exit 2', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      const code = await runCli([
        'eval',
        '--policy',
        'oracle',
        '--switch',
        '--episodes',
        '1',
        '--tasks',
        'push',
      ]);
      expect(code).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join('')).toMatch(/--switch needs a policy that takes instructions/);
  });
});
