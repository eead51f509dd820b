// The headless env's contract: seeded determinism, actions that are rejected or clamped but never
// thrown, the URDF limits, name errors, and a registry-driven smoke test over every task × robot.
import { describe, expect, it } from 'vitest';
import { type Action, createEnv, type Observation, type SimEnv, type StepResult } from '../../sim/Env.ts';
import { listRobots } from '../../sim/robot/RobotConfig.ts';
import { TABLETOP_SCENE } from '../../sim/scene/SceneSpec.ts';
import { goalObjects } from '../../sim/tasks/disturbances.ts';
import { listTaskIds } from '../../sim/tasks/index.ts';
import { UserError } from '../../src/errors.ts';

function hold(obs: Observation): Action {
  return { joints: [...obs.joints.position], gripper: obs.gripper.width };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('SimEnv determinism', () => {
  /** A fixed action script: a slow sweep of every joint and a closing gripper. */
  function runScript(env: SimEnv, seed: number, steps: number) {
    const reset = env.reset({ task: 'pick_place', seed });
    const home = reset.observation.joints.position;
    let last: StepResult | undefined;
    for (let k = 0; k < steps; k++) {
      const joints = home.map((q, i) => q + 0.3 * Math.sin((k + 1) * 0.05 + i));
      last = env.step({ joints, gripper: 0.04 });
    }
    return { reset, last: last!, hash: env.stateHash() };
  }

  it('gives the same instruction, goal, observations and state hash for the same seed', () => {
    const a = runScript(createEnv(), 11, 90);
    const b = runScript(createEnv(), 11, 90);
    expect(b.reset.instruction).toBe(a.reset.instruction);
    expect(b.reset.goal).toEqual(a.reset.goal);
    // toStrictEqual compares numbers with Object.is: bit-identical, not approximately equal.
    expect(b.reset.observation).toStrictEqual(a.reset.observation);
    expect(b.last.observation).toStrictEqual(a.last.observation);
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    // The state moved: the hash is not that of the reset state.
    const env = createEnv();
    env.reset({ task: 'pick_place', seed: 11 });
    expect(env.stateHash()).not.toBe(a.hash);
  });

  it('lays out different seeds differently', () => {
    const env = createEnv();
    const layouts = [0, 1, 2, 3, 4].map((seed) => {
      const { observation } = env.reset({ task: 'pick_place', seed });
      return JSON.stringify(observation.objects.map((o) => [o.id, o.position]));
    });
    expect(new Set(layouts).size).toBe(layouts.length);
  });
});

describe('SimEnv actions', () => {
  it("rejects NaN joint commands with the joint's name and holds the previous target", () => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation } = env.reset({ task: 'pick_place', seed: 0 });
    const names = observation.joints.names;
    expect(names[0]).toBe('shoulder_pan_joint');
    const before = env.step(hold(observation)).observation.joints.position;

    const joints = [...before];
    joints[0] = Number.NaN;
    let r: StepResult | undefined;
    expect(() => {
      r = env.step({ joints, gripper: 0.05 });
    }).not.toThrow();
    expect(r!.info.commandError).toContain('shoulder_pan_joint');
    expect(r!.info.commandError).toContain('NaN');
    expect(r!.info.commandsRejected).toBe(1);
    expect(r!.info.commandsClamped).toBe(0);
    expect(r!.observation.joints.position).toEqual(before);
    // The gripper command in the rejected action was not applied either.
    expect(r!.observation.gripper.width).toBe(observation.gripper.width);
  });

  it('keeps tracking the last valid target while later actions are rejected', () => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation } = env.reset({ task: 'pick_place', seed: 0 });
    const target = observation.joints.position.map((q) => q + 0.2);
    env.step({ joints: target, gripper: observation.gripper.width });
    const bad = [...target];
    bad[2] = Number.POSITIVE_INFINITY;
    let r = env.step({ joints: bad, gripper: 0 });
    for (let k = 0; k < 120; k++) r = env.step({ joints: [Number.NaN], gripper: Number.NaN });
    expect(r.info.commandsRejected).toBe(121);
    expect(r.info.commandError).toMatch(/expected 6 .*values.*got 1/);
    for (let i = 0; i < target.length; i++)
      expect(r.observation.joints.position[i]).toBeCloseTo(target[i]!, 9);
  });

  it('rejects joints of the wrong length, naming the expected count', () => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation } = env.reset({ task: 'pick_place', seed: 0 });
    const r = env.step({ joints: [0, 0, 0], gripper: 0.05 });
    expect(r.info.commandError).toMatch(/expected 6 .*values/);
    expect(r.info.commandError).toContain('got 3');
    expect(r.info.commandError).toContain('shoulder_pan_joint');
    expect(r.info.commandsRejected).toBe(1);
    expect(r.observation.joints.position).toEqual(observation.joints.position);

    const panda = createEnv({ robot: 'panda' });
    const p = panda.reset({ task: 'pick_place', seed: 0 });
    const r7 = panda.step({ joints: [...p.observation.joints.position, 0], gripper: 0.05 });
    expect(r7.info.commandError).toMatch(/expected 7 .*values/);
    expect(r7.info.commandError).toContain('got 8');
  });

  it.each([
    ['a string gripper', { gripper: 'x' }, 'gripper'],
    ['a missing gripper', { gripper: undefined }, 'gripper'],
    ['an infinite gripper', { gripper: Number.POSITIVE_INFINITY }, 'gripper'],
    ['an unknown key', { speed: 3 }, 'speed'],
  ])('rejects %s without throwing, naming the field', (_name, patch, fragment) => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation } = env.reset({ task: 'pick_place', seed: 0 });
    const action = { ...hold(observation), ...patch };
    let r: StepResult | undefined;
    expect(() => {
      r = env.step(action);
    }).not.toThrow();
    expect(r!.info.commandError).toMatch(/^action/);
    expect(r!.info.commandError).toContain(fragment);
    expect(r!.info.commandsRejected).toBe(1);
    expect(r!.observation.joints.position).toEqual(observation.joints.position);
  });

  it.each([null, 'go', 42, { joints: 'all' }])('rejects the non-action %j without throwing', (action) => {
    const env = createEnv();
    env.reset({ task: 'pick_place', seed: 0 });
    const r = env.step(action);
    expect(r.info.commandError).toMatch(/^action/);
    expect(r.info.commandsRejected).toBe(1);
  });

  it('clamps an out-of-limit target to the limit and never passes it', () => {
    const env = createEnv({ robot: 'ur5e' });
    const { observation } = env.reset({ task: 'pick_place', seed: 0 });
    const { lower, upper } = env.robotDescription.chain;
    const elbow = observation.joints.names.indexOf('elbow_joint');
    expect(Number.isFinite(upper[elbow]!)).toBe(true);
    const joints = [...observation.joints.position];
    joints[elbow] = upper[elbow]! + 1;

    const first = env.step({ joints, gripper: observation.gripper.width });
    expect(first.info.clamped).toEqual(['elbow_joint']);
    expect(first.info.commandsClamped).toBe(1);
    expect(first.info.commandError).toBeUndefined();

    let r = first;
    for (let k = 0; k < 240; k++) {
      r = env.step({ joints, gripper: observation.gripper.width });
      for (let i = 0; i < joints.length; i++) {
        expect(r.observation.joints.position[i]).toBeGreaterThanOrEqual(lower[i]!);
        expect(r.observation.joints.position[i]).toBeLessThanOrEqual(upper[i]!);
      }
    }
    expect(r.info.commandsClamped).toBe(241);
    expect(r.observation.joints.position[elbow]).toBe(upper[elbow]);
    // The other joints kept their commanded positions.
    for (let i = 0; i < joints.length; i++) {
      if (i !== elbow) expect(r.observation.joints.position[i]).toBeCloseTo(joints[i]!, 9);
    }

    // A target below the lower limit is clamped the same way.
    joints[elbow] = lower[elbow]! - 0.5;
    const low = env.step({ joints, gripper: observation.gripper.width });
    expect(low.info.clamped).toEqual(['elbow_joint']);
  });

  it.each(['ur5e', 'panda'])(
    'keeps %s joint speeds within the URDF velocity limits on a far target',
    (robot) => {
      // controlHz = physics rate, so every physics step is observed.
      const env = createEnv({ robot, controlHz: 240 });
      expect(env.substeps).toBe(1);
      const { observation } = env.reset({ task: 'pick_place', seed: 0 });
      const { lower, upper, velocity } = env.robotDescription.chain;
      // Far target: 90% of the way to the far limit of each joint (±π for unlimited joints).
      const far = observation.joints.position.map((q, i) => {
        const lo = Number.isFinite(lower[i]!) ? lower[i]! : q - Math.PI;
        const hi = Number.isFinite(upper[i]!) ? upper[i]! : q + Math.PI;
        return hi - q > q - lo ? q + 0.9 * (hi - q) : q - 0.9 * (q - lo);
      });
      const peak = new Array<number>(far.length).fill(0);
      for (let k = 0; k < 240 * 5; k++) {
        const r = env.step({ joints: far, gripper: observation.gripper.width });
        r.observation.joints.velocity.forEach((v, i) => {
          expect(Math.abs(v)).toBeLessThanOrEqual(velocity[i]! * (1 + 1e-12));
          peak[i] = Math.max(peak[i]!, Math.abs(v));
        });
      }
      // The limit was reached, not just respected by a slow arm.
      expect(Math.max(...peak.map((p, i) => p / velocity[i]!))).toBeGreaterThan(0.99);
    },
  );
});

describe('SimEnv input errors', () => {
  it('rejects an unknown task, naming it and listing the known tasks', () => {
    const env = createEnv();
    const err = thrown(() => env.reset({ task: 'nope', seed: 0 }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('unknown task "nope"');
    for (const id of listTaskIds()) expect((err as Error).message).toContain(id);
  });

  it('rejects an unknown robot, naming it and listing the known robots', () => {
    const err = thrown(() => createEnv({ robot: 'nope' }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('unknown robot "nope"');
    expect((err as Error).message).toContain('ur5e');
    const env = createEnv();
    expect(thrown(() => env.reset({ task: 'pick_place', seed: 0, robot: 'nope' }))).toBeInstanceOf(UserError);
  });

  it('stays usable after a reset rejected for an unknown robot', () => {
    const env = createEnv({ robot: 'ur5e' });
    expect(thrown(() => env.reset({ task: 'pick_place', seed: 0, robot: 'nope' }))).toBeInstanceOf(UserError);
    const r = env.reset({ task: 'pick_place', seed: 0 });
    expect(r.info.robot).toBe('ur5e');
  });

  it.each([-1, 1.5, Number.NaN])('rejects the seed %s', (seed) => {
    const env = createEnv();
    const err = thrown(() => env.reset({ task: 'pick_place', seed }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(`got ${seed}`);
  });

  it('rejects a split other than seen/unseen', () => {
    const env = createEnv();
    const err = thrown(() => env.reset({ task: 'pick_place', seed: 0, split: 'train' as 'seen' }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('"train"');
  });
});

describe('SimEnv registry smoke test', () => {
  const cases = listRobots().flatMap((robot) => listTaskIds().map((task) => [task, robot] as const));

  it('covers every task and both robots', () => {
    expect(listRobots()).toEqual(expect.arrayContaining(['ur5e', 'panda']));
    expect(listTaskIds()).toEqual(
      expect.arrayContaining(['pick_place', 'stack', 'stack_all', 'push', 'sort', 'cable_route', 'chain']),
    );
  });

  it.each(cases)('resets %s on %s with every object its goal names', (task, robot) => {
    const env = createEnv({ robot });
    const r = env.reset({ task, seed: 5 });
    expect(r.info).toMatchObject({ task, robot, seed: 5, split: 'seen' });
    expect(r.instruction.length).toBeGreaterThan(0);
    expect(r.info.maxSteps).toBeGreaterThan(0);
    const ids = r.observation.objects.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    const referenced = goalObjects(r.goal);
    expect(referenced.length).toBeGreaterThan(0);
    expect(ids).toEqual(expect.arrayContaining(referenced));
    expect(r.observation.joints.names).toEqual(env.robotDescription.config.arm_joints);
    for (const o of r.observation.objects) {
      for (const v of o.position) expect(Number.isFinite(v)).toBe(true);
    }
    // The episode steps, and holding still succeeds at nothing and rejects nothing.
    const s = env.step(hold(r.observation));
    expect(s.info.commandsRejected).toBe(0);
    expect(s.info.steps).toBe(env.substeps);
    expect(s.terminated).toBe(false);
    expect(env.evaluate()).toHaveProperty('success', false);
  });
});

describe('SimEnv colour hold-out', () => {
  const { seen, unseen } = TABLETOP_SCENE.colors;

  it('holds the seen and unseen palettes apart', () => {
    expect(seen.filter((c) => (unseen as string[]).includes(c))).toEqual([]);
  });

  it.each([
    ['seen', seen],
    ['unseen', unseen],
  ] as const)('colours blocks and bowls of the %s split from its palette only', (split, palette) => {
    const env = createEnv();
    const used = new Set<string>();
    for (const task of listTaskIds()) {
      for (const seed of [0, 1, 2, 3]) {
        const { observation } = env.reset({ task, seed, split });
        for (const o of observation.objects) {
          if (o.kind !== 'block' && o.kind !== 'bowl') continue;
          expect(palette, `${task} seed ${seed}: ${o.id}`).toContain(o.color);
          used.add(o.color);
        }
      }
    }
    // The test saw a good part of the palette, so it would have caught a leak.
    expect(used.size).toBeGreaterThanOrEqual(4);
  });
});
