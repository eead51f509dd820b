// `simbridge run --policy language`: the rule-based planner and executor on free text, through the real CLI.
import { describe, expect, it } from 'vitest';
import { simbridge } from './simbridge.ts';

describe('simbridge run --policy language', () => {
  it('follows a paraphrased instruction and prints its plan', async () => {
    // pick_place seed 16 has a red block and a blue bowl (seed 3 has neither).
    const r = await simbridge(
      'run',
      '--task',
      'pick_place',
      '--seed',
      '16',
      '--policy',
      'language',
      '--instruction',
      'could you drop the red cube into the blue bin please',
      '--json',
    );
    const out = JSON.parse(r.stdout) as { success: boolean; plan: { steps: Array<{ skill: string }> } };
    expect(r.code).toBe(0);
    expect(out.success).toBe(true);
    expect(out.plan.steps.map((s) => s.skill)).toEqual(['pick', 'place']);
  });

  it('refuses an impossible instruction, says why and exits 1', async () => {
    const r = await simbridge(
      'run',
      '--task',
      'pick_place',
      '--seed',
      '16',
      '--policy',
      'language',
      '--instruction',
      'put the purple block in the bowl',
      '--json',
    );
    const out = JSON.parse(r.stdout) as {
      success: boolean;
      steps: number;
      status: { state: string; reason: string };
    };
    expect(r.code).toBe(1);
    expect(out.success).toBe(false);
    expect(out.status.state).toBe('failed');
    expect(out.status.reason).toMatch(/purple/);
  });

  it('refuses "stack the bowl on the cable" before any motion, and exits 1', async () => {
    const r = await simbridge(
      'run',
      '--task',
      'cable_route',
      '--seed',
      '1',
      '--policy',
      'language',
      '--instruction',
      'stack the bowl on the cable',
      '--json',
    );
    const out = JSON.parse(r.stdout) as {
      success: boolean;
      plan: unknown;
      plannerFailure: boolean;
      status: { state: string; reason: string; attempts: number };
    };
    expect(r.code).toBe(1);
    expect(out.plan).toBeNull();
    expect(out.plannerFailure).toBe(true);
    expect(out.status).toMatchObject({ state: 'failed', attempts: 0 });
    expect(out.status.reason).toMatch(/cannot stack a bowl on the cable/);
  });

  it('--perturb moves the push target off the block path once, and the policy re-aims at it', async () => {
    const r = await simbridge(
      'run',
      '--task',
      'push',
      '--seed',
      '35',
      '--policy',
      'language',
      '--perturb',
      '--json',
    );
    const out = JSON.parse(r.stdout) as {
      success: boolean;
      recoveries: number;
      disturbances: Array<{ kind: string; from: number[]; to: number[] }>;
    };
    expect(r.code).toBe(0);
    expect(out.disturbances.map((d) => d.kind)).toEqual(['move_target']);
    const [d] = out.disturbances;
    expect(Math.hypot(d!.to[0]! - d!.from[0]!, d!.to[1]! - d!.from[1]!)).toBeGreaterThan(0.1);
    expect(out.recoveries).toBeGreaterThanOrEqual(1);
    expect(out.success).toBe(true);
  });

  it('--switch needs a policy that takes instructions', async () => {
    const r = await simbridge('run', '--task', 'push', '--seed', '1', '--policy', 'oracle', '--switch');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--switch needs a policy that takes instructions.*"oracle"/);
  });
});
