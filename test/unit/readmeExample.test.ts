// The README's library example, verbatim: keep the two in step.

import { createEnv } from 'simbridge';
import { describe, expect, it } from 'vitest';

describe('my controller', () => {
  it('holds the arm still at home', () => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation, instruction, goal } = env.reset({ task: 'pick_place', seed: 3 });
    expect(instruction).toMatch(/block/);
    expect(goal.type).toBe('pick_place');
    const home = observation.joints.position;
    let step = env.step({ joints: home, gripper: 0.08 });
    for (let i = 0; i < 60; i++) step = env.step({ joints: home, gripper: 0.08 });
    expect(step.observation.joints.position[0]).toBeCloseTo(home[0]!, 6);
    expect(step.info.checks.success).toBe(false);
    // Bad commands are rejected and counted, never thrown:
    const bad = env.step({ joints: home.map(() => Number.NaN), gripper: 0.08 });
    expect(bad.info.commandError).toMatch(/shoulder_pan_joint/);
    expect(env.evaluate()).toHaveProperty('isPlaced', false);
    env.close();
  });
});
