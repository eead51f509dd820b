// The language policy on whole seeded episodes: the rule-based planner's plan, run by the
// executor over the skill library, meets the task's goal; an impossible instruction moves
// nothing and says why; a new instruction mid-episode is switched to.
import { describe, expect, it } from 'vitest';
import { createEnv, type Observation } from '../../sim/Env.ts';
import { resolveRobot } from '../../src/eval/resolve.ts';
import type { EpisodeSpec } from '../../src/eval/types.ts';
import { LanguagePolicy } from '../../src/policy/language/LanguagePolicy.ts';
import { runLanguageEnvEpisode } from '../../src/policy/language/runLanguageEpisode.ts';
import { inBowl } from '../../src/policy/skills/perception.ts';

const CONTROL_HZ = 60;

function spec(task: string, seed: number): EpisodeSpec {
  return { task, robot: 'ur5e', seed, policy: 'language', split: 'seen', index: 0 };
}

function object(obs: Observation, id: string) {
  const o = obs.objects.find((k) => k.id === id);
  if (!o) throw new Error(`no ${id} in the observation`);
  return o;
}

describe('language policy on the task template instruction', () => {
  const cases = ['pick_place', 'stack', 'push', 'sort', 'chain'].flatMap((task) =>
    [1, 2, 3].map((seed) => [task, seed] as const),
  );
  it.each(cases)('succeeds at %s seed %i', (task, seed) => {
    const r = runLanguageEnvEpisode(spec(task, seed));
    expect(r.status.planner).toBeUndefined();
    expect(r.plan?.steps.length).toBeGreaterThan(0);
    expect(r.policyFailure).toBeUndefined();
    expect(r.success).toBe(true);
  });
});

describe('language policy on free phrasing', () => {
  it('drops the red cube into the blue bin (pick_place seed 16: red block -> blue bowl)', () => {
    // Seed 3's scene has no red block or blue bowl; seed 16's goal is exactly that.
    const r = runLanguageEnvEpisode(
      spec('pick_place', 16),
      'could you drop the red cube into the blue bin please',
    );
    expect(r.goal).toEqual({ type: 'pick_place', object: 'red_block', target: 'blue_bowl' });
    expect(r.plan?.steps).toEqual([
      { skill: 'pick', object: 'red_block' },
      { skill: 'place', object: 'red_block', target: 'blue_bowl' },
    ]);
    expect(r.instruction).toBe('could you drop the red cube into the blue bin please');
    expect(r.success).toBe(true);
  });

  it('leaves the arm still for 2 s and says why when the instruction names a missing object', () => {
    const env = createEnv({ robot: resolveRobot('ur5e'), controlHz: CONTROL_HZ });
    const reset = env.reset({ task: 'pick_place', seed: 1 });
    const policy = new LanguagePolicy(env.robotDescription, 'put the purple block in the bowl', {
      controlHz: CONTROL_HZ,
    });
    const start = [...reset.observation.joints.position];
    let obs = reset.observation;
    let worst = 0;
    for (let i = 0; i < 2 * CONTROL_HZ; i++) {
      obs = env.step(policy.act(obs)).observation;
      for (let k = 0; k < start.length; k++)
        worst = Math.max(worst, Math.abs(obs.joints.position[k]! - start[k]!));
    }
    expect(obs.time).toBeGreaterThanOrEqual(2 - 1e-9);
    expect(worst).toBeLessThan(1e-6);
    expect(policy.plan).toBeUndefined();
    expect(policy.status.state).toBe('failed');
    expect(policy.status.reason).toMatch(/purple/);
    expect(policy.status.planner?.reason).toBe(policy.status.reason);
  });
});

describe('instruction switching', () => {
  /**
   * Runs pick_place seed 1 (gray block -> yellow bowl; a green block and a green bowl are
   * present) and switches to `next` on the first observation that shows a grasp.
   */
  function runSwitched(next: string): { obs: Observation; policy: LanguagePolicy; switchedAt: number } {
    const env = createEnv({ robot: resolveRobot('ur5e'), controlHz: CONTROL_HZ });
    const reset = env.reset({ task: 'pick_place', seed: 1 });
    expect(reset.goal).toEqual({ type: 'pick_place', object: 'gray_block', target: 'yellow_bowl' });
    const policy = new LanguagePolicy(env.robotDescription, reset.instruction, { controlHz: CONTROL_HZ });
    let obs = reset.observation;
    let switchedAt = Number.NaN;
    for (let i = 0; i < 40 * CONTROL_HZ && !policy.finished; i++) {
      if (Number.isNaN(switchedAt) && obs.gripper.grasping) {
        switchedAt = obs.time;
        policy.setInstruction(next);
      }
      obs = env.step(policy.act(obs)).observation;
    }
    return { obs, policy, switchedAt };
  }

  it('puts the held block back down and carries out the new instruction', () => {
    const { obs, policy, switchedAt } = runSwitched('put the green block in the green bowl');
    expect(switchedAt).toBeGreaterThan(0);
    expect(policy.status.state).toBe('succeeded');
    expect(policy.status.recoveries).toBeGreaterThanOrEqual(1); // the put-back
    expect(inBowl(object(obs, 'green_block'), object(obs, 'green_bowl'))).toBe(true);
    const gray = object(obs, 'gray_block');
    expect(gray.position[2]).toBeLessThan(gray.size[2]); // resting on the table, not in mid-air
    expect(inBowl(gray, object(obs, 'yellow_bowl'))).toBe(false);
    expect(obs.gripper.grasping).toBe(false);
  });

  it('keeps the held block when the new instruction uses it', () => {
    const { obs, policy } = runSwitched('put the gray block in the green bowl');
    expect(policy.status.state).toBe('succeeded');
    expect(policy.status.recoveries).toBe(0);
    expect(inBowl(object(obs, 'gray_block'), object(obs, 'green_bowl'))).toBe(true);
  });
});
