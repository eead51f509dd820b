// Language corrections: parsed apart from instructions, and applied to the running skill
// without re-planning: a nudge shifts where the block is released, "stop" holds the arm
// still until "continue", and "go back" redoes the step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEnv, type Observation } from '../../sim/Env.ts';
import { resolveRobot } from '../../src/eval/resolve.ts';
import { Executor } from '../../src/policy/executor/Executor.ts';
import { MAX_NUDGE, parseCorrection } from '../../src/policy/language/corrections.ts';
import { LanguagePolicy } from '../../src/policy/language/LanguagePolicy.ts';
import { MotionContext } from '../../src/policy/skills/MotionContext.ts';

const CONTROL_HZ = 60;

describe('parseCorrection', () => {
  it.each([
    ['a bit more to the left', [0, 0.01, 0]],
    ['more to the right', [0, -0.02, 0]],
    ['higher', [0, 0, 0.02]],
    ['a little lower please', [0, 0, -0.01]],
    ['move it 3 cm forward', [0.03, 0, 0]],
    ['go a lot further away', [0.05, 0, 0]],
    ['15 mm back', [-0.015, 0, 0]],
    ['Could you move a bit to the left?', [0, 0.01, 0]],
  ] as const)('%s is a nudge of %j m', (text, offset) => {
    const c = parseCorrection(text);
    expect(c?.kind).toBe('nudge');
    if (c?.kind !== 'nudge') return;
    c.offset.forEach((v, i) => {
      expect(v).toBeCloseTo(offset[i]!, 9);
    });
  });

  it.each([
    ['stop', 'stop'],
    ['wait!', 'stop'],
    ['hold on', 'stop'],
    ['continue', 'resume'],
    ['ok, go on', 'resume'],
    ['go back', 'back'],
    ['try again', 'back'],
    ['forget the correction', 'clear'],
  ] as const)('%s is %s', (text, kind) => {
    expect(parseCorrection(text)?.kind).toBe(kind);
  });

  it.each([
    'put the red block in the blue bowl',
    'pick up the block on the left',
    'go home',
    'go back home',
    'move the block left of the bowl to the green zone',
    'left and right',
    'move 50 cm to the left', // larger than a correction: not one
  ])('%s is not a correction', (text) => {
    expect(parseCorrection(text)).toBeUndefined();
  });
});

describe('parseCorrection on arbitrary text', () => {
  const words = fc.constantFrom(
    'a',
    'bit',
    'more',
    'to',
    'the',
    'left',
    'right',
    'higher',
    'lower',
    'up',
    'down',
    'back',
    'go',
    'stop',
    'continue',
    '3',
    'cm',
    'mm',
    '1e9',
    'NaN',
    'forward',
    'please',
    'block',
    ',',
    '.',
    '!',
  );
  it('never throws, and every nudge is finite and within MAX_NUDGE', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(words, { maxLength: 12 }).map((w) => w.join(' ')),
        ),
        (text) => {
          const c = parseCorrection(text);
          if (c?.kind === 'nudge') {
            expect(c.offset.every(Number.isFinite)).toBe(true);
            expect(Math.hypot(...c.offset)).toBeLessThanOrEqual(MAX_NUDGE + 1e-12);
            expect(Math.hypot(...c.offset)).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 3000, seed: 11 },
    );
  });
});

/** pick_place seed 1: gray block -> yellow bowl. Steps until `until` holds, at most `seconds`. */
function episode() {
  const env = createEnv({ robot: resolveRobot('ur5e'), controlHz: CONTROL_HZ });
  const reset = env.reset({ task: 'pick_place', seed: 1 });
  const policy = new LanguagePolicy(env.robotDescription, reset.instruction, { controlHz: CONTROL_HZ });
  let obs = reset.observation;
  return {
    policy,
    get obs() {
      return obs;
    },
    run(until: (o: Observation) => boolean, seconds: number): void {
      for (let i = 0; i < seconds * CONTROL_HZ && !until(obs); i++)
        obs = env.step(policy.act(obs)).observation;
    },
  };
}

function gray(obs: Observation): number[] {
  return obs.objects.find((o) => o.id === 'gray_block')!.position;
}

describe('corrections on a running episode', () => {
  it('"a bit more to the left" during the carry releases the block 1 cm further left', () => {
    const placed = (ep: ReturnType<typeof episode>) => {
      ep.run((o) => o.gripper.grasping, 20);
      ep.run(() => ep.policy.status.skill === 'place', 5);
      return ep;
    };
    const plain = placed(episode());
    const nudged = placed(episode());
    nudged.policy.setInstruction('a bit more to the left');
    plain.run(() => !plain.obs.gripper.grasping, 20);
    nudged.run(() => !nudged.obs.gripper.grasping, 20);
    expect(nudged.policy.status.correction).toEqual([0, 0.01, 0]);
    expect(nudged.policy.status.lastCorrection).toEqual({ text: 'a bit more to the left', applied: true });
    const dy = gray(nudged.obs)[1]! - gray(plain.obs)[1]!;
    const dx = gray(nudged.obs)[0]! - gray(plain.obs)[0]!;
    expect(dy).toBeGreaterThan(0.007);
    expect(dy).toBeLessThan(0.013);
    expect(Math.abs(dx)).toBeLessThan(0.003);
    // Same plan, no re-planning: the instruction is unchanged and the episode still succeeds.
    expect(nudged.policy.status.instruction).toBe(plain.policy.status.instruction);
    nudged.run(() => nudged.policy.finished, 20);
    expect(nudged.policy.status.state).toBe('succeeded');
    expect(nudged.policy.status.correction).toBeUndefined(); // dropped when the step ended
  });

  it('"stop" holds the arm still until "continue", then the task completes', () => {
    const ep = episode();
    ep.run((o) => o.gripper.grasping, 20);
    ep.run((o) => o.ee.position[2] > 0.1, 5); // carrying
    ep.policy.setInstruction('stop');
    ep.run(() => false, 0.5); // the arm comes to rest on its last command
    const held = [...ep.obs.joints.position];
    ep.run(() => false, 2);
    expect(ep.policy.status.state).toBe('paused');
    const moved = Math.max(...ep.obs.joints.position.map((v, k) => Math.abs(v - held[k]!)));
    expect(moved).toBeLessThan(1e-4);
    expect(ep.obs.gripper.grasping).toBe(true); // nothing dropped
    ep.policy.setInstruction('continue');
    ep.run(() => ep.policy.finished, 25);
    expect(ep.policy.status.state).toBe('succeeded');
  });

  it('"go back" redoes the running step from its start, and the task completes', () => {
    const ep = episode();
    ep.run(() => ep.policy.status.skill === 'pick', 2);
    ep.run((o) => o.ee.position[2] < 0.1, 10); // descending on the block
    const stepBefore = ep.policy.status.step;
    ep.policy.setInstruction('go back');
    ep.run((o) => o.ee.position[2] > 0.14, 5); // lifted clear
    expect(ep.obs.ee.position[2]).toBeGreaterThan(0.14);
    expect(ep.policy.status.step).toBe(stepBefore);
    ep.run(() => ep.policy.finished, 30);
    expect(ep.policy.status.state).toBe('succeeded');
  });

  it('a correction with no plan running is noted and ignored', () => {
    const env = createEnv({ robot: resolveRobot('ur5e'), controlHz: CONTROL_HZ });
    const reset = env.reset({ task: 'pick_place', seed: 1 });
    const policy = new LanguagePolicy(env.robotDescription, 'put the purple block in the bowl', {
      controlHz: CONTROL_HZ,
    });
    let obs = reset.observation;
    obs = env.step(policy.act(obs)).observation;
    policy.setInstruction('higher');
    env.step(policy.act(obs));
    expect(policy.status.lastCorrection).toEqual({
      text: 'higher',
      applied: false,
      note: 'no plan is running',
    });
  });
});

describe('executor re-planning', () => {
  it('re-plans a bounded number of times, then fails with the reason', () => {
    const env = createEnv({ robot: resolveRobot('ur5e'), controlHz: CONTROL_HZ });
    let obs = env.reset({ task: 'pick_place', seed: 1 }).observation;
    const ctx = new MotionContext(env.robotDescription, { controlHz: CONTROL_HZ });
    ctx.syncTo(obs);
    const plan = {
      steps: [{ skill: 'pick' as const, object: 'ghost_block' }],
      source: 'rules' as const,
      instruction: 'x',
    };
    let replans = 0;
    const executor = new Executor(ctx, {
      replan: () => {
        replans++;
        return plan;
      },
    });
    executor.start(plan);
    for (let i = 0; i < 20 * CONTROL_HZ && executor.status.state === 'running'; i++) {
      obs = env.step(executor.act(obs)).observation;
    }
    expect(executor.status.state).toBe('failed');
    expect(executor.status.reason).toMatch(/ghost_block/);
    expect(replans).toBe(3);
  });
});
