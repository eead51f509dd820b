// Several robots at one table (EnvOptions.robots): one physics world, each arm with its own
// task, checks and controllers, objects spawned within each arm's reach.
import fc from 'fast-check';
import { Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { createEnv } from '../../sim/Env.ts';
import { parseRobotsSpec, type RobotPlacementInput, TWO_ARM_ROBOTS } from '../../sim/scene/RobotPlacement.ts';
import { TABLETOP_SCENE } from '../../sim/scene/SceneSpec.ts';
import { UserError } from '../../src/errors.ts';
import { LanguagePolicy } from '../../src/policy/language/LanguagePolicy.ts';

const TWO_TASKS: RobotPlacementInput[] = [
  { ...TWO_ARM_ROBOTS[0]!, task: 'pick_place' },
  { ...TWO_ARM_ROBOTS[1]!, task: 'stack' },
];

/** Runs both arms' language policies on their own instructions until both succeed or time runs out. */
function runBoth(seed: number) {
  const env = createEnv({ robots: TWO_TASKS });
  const reset = env.reset({ task: 'pick_place', seed });
  const policies = reset.arms!.map(
    (a, i) => new LanguagePolicy(env.robotDescriptions[i]!, a.instruction, { controlHz: 60 }),
  );
  const successAt: Array<number | undefined> = [undefined, undefined];
  let r: ReturnType<typeof env.actArms>;
  do {
    r = env.actArms(policies.map((p, i) => p.act(env.observeArm(i))));
    r.infos.forEach((info, i) => {
      if (info.checks.success) successAt[i] ??= env.timeSeconds;
    });
  } while (!r.terminated && !r.truncated);
  return { env, reset, r, successAt, hash: env.stateHash() };
}

describe('a shared table with two arms', () => {
  it('spawns each arm its own objects in front of it, in colours no other arm uses for that kind', () => {
    const env = createEnv({ robots: TWO_TASKS });
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const reset = env.reset({ task: 'pick_place', seed });
      expect(reset.arms!.map((a) => [a.name, a.task])).toEqual([
        ['left', 'pick_place'],
        ['right', 'stack'],
      ]);
      const objects = env.observe().objects;
      const ws = TABLETOP_SCENE.workspace;
      for (const [i, arm] of reset.arms!.entries()) {
        const baseY = TWO_ARM_ROBOTS[i]!.base!.xyz[1];
        const goal = arm.goal as { object: string; target?: string; base?: string };
        for (const id of [goal.object, goal.target ?? goal.base!]) {
          const o = objects.find((x) => x.id === id)!;
          // Inside the arm's reach region (the tabletop workspace, relative to its base).
          expect(o.position[0]).toBeGreaterThanOrEqual(ws.x[0]);
          expect(o.position[0]).toBeLessThanOrEqual(ws.x[1]);
          expect(o.position[1] - baseY).toBeGreaterThanOrEqual(ws.y[0]);
          expect(o.position[1] - baseY).toBeLessThanOrEqual(ws.y[1]);
        }
      }
      const ids = objects.map((o) => o.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Each arm's observation is its own arm's, in the world frame, over the same objects.
      const [left, right] = [env.observeArm(0), env.observeArm(1)];
      expect(left.ee.position[1]).toBeCloseTo(0.4, 3);
      expect(right.ee.position[1]).toBeCloseTo(-0.4, 3);
      expect(left.objects).toEqual(right.objects);
    }
  });

  it('runs two language policies to success on their own instructions in one world, arms kept apart', () => {
    for (const seed of [0, 371]) {
      const { env, reset, r, successAt } = runBoth(seed);
      expect(r.terminated, `seed ${seed}: ${JSON.stringify(r.infos.map((i) => i.checks))}`).toBe(true);
      expect(successAt.every((t) => t !== undefined && t < 15)).toBe(true);
      expect(env.evaluate()).toMatchObject({ success: true, armsSucceeded: 2, 'left.success': true });
      // The arms' link bounding boxes never met, and stayed at least 0.2 m apart.
      expect(env.armClearance.overlaps).toBe(0);
      expect(env.armClearance.minGapMeters).toBeGreaterThan(0.2);
      if (seed === 371) {
        expect(reset.arms!.map((a) => a.instruction)).toEqual([
          'put the red block in the blue bowl',
          'put the green block on top of the yellow block',
        ]);
      }
    }
  });

  it('is deterministic: the same seed gives the same state hash', () => {
    expect(runBoth(3).hash).toBe(runBoth(3).hash);
  });

  it('lets either arm grasp any object: the right arm stacks a block laid out for the left', () => {
    const env = createEnv({ robots: TWO_TASKS });
    const reset = env.reset({ task: 'pick_place', seed: 2 });
    const leftBlock = env.scene.get((reset.arms![0]!.goal as { object: string }).object);
    const rightBase = env.scene.get((reset.arms![1]!.goal as { base: string }).base);
    // Move the left arm's block to the middle of the table, where both arms reach.
    const body = leftBlock.body!;
    body.position.set(0.45, 0, body.position.z);
    const instruction = `put the ${leftBlock.className} on top of the ${rightBase.className}`;
    const policy = new LanguagePolicy(env.robotDescriptions[1]!, instruction, { controlHz: 60 });
    const hold = env.observeArm(0);
    let heldByRight = false;
    for (let i = 0; i < 60 * 15 && !policy.finished && !policy.failure; i++) {
      env.actArms([
        { joints: hold.joints.position, gripper: hold.gripper.width },
        policy.act(env.observeArm(1)),
      ]);
      heldByRight ||= env.arms[1]!.robot.gripper.heldBody === body;
    }
    expect(policy.failure).toBeUndefined();
    expect(heldByRight).toBe(true);
    const base = rightBase.body!.position;
    expect(Math.hypot(body.position.x - base.x, body.position.y - base.y)).toBeLessThan(0.02);
    expect(body.position.z - base.z).toBeGreaterThan(0.03);
  });

  it('keeps each arm in its own kinematic tree: the two tcps differ by the bases', () => {
    const env = createEnv({ robots: TWO_TASKS });
    env.reset({ task: 'pick_place', seed: 1 });
    const p = [0, 1].map((i) => {
      const v = new Vector3();
      env.arms[i]!.robot.tcpPose(v, new Quaternion());
      return v;
    });
    expect(p[0]!.y - p[1]!.y).toBeCloseTo(0.8, 6);
  });

  it('refuses what cannot share a table, naming it', () => {
    expect(() =>
      createEnv({ robots: [{ name: 'left' }, { name: 'left', base: { xyz: [0, 1, 0] } }] }),
    ).toThrow(/invalid robots: 1\.name: robot name "left" is also robots\.0's; names must be unique/);
    expect(() => createEnv({ robots: [{ name: 'a' }, { name: 'b', base: { xyz: [0.1, 0.1, 0] } }] })).toThrow(
      /1\.base\.xyz: base is 0\.141 m from a's; bases must be at least 0\.4 m apart/,
    );
    expect(() => createEnv({ robots: [{ name: 'a', robot: 'kuka' }] })).toThrow(/unknown robot "kuka"/);
    const env = createEnv({ robots: TWO_ARM_ROBOTS });
    expect(() => env.reset({ task: 'cable_route', seed: 0 })).toThrow(/cable_route.*cannot share a table/);
    expect(() => env.reset({ task: 'pick_place', seed: 0, disturb: { perturb: true } })).toThrow(
      /one-robot table/,
    );
    env.reset({ task: 'pick_place', seed: 0 });
    expect(() => env.act({ joints: [0, 0, 0, 0, 0, 0], gripper: 0 })).toThrow(/actArms/);
  });

  it('parses robots specs from outside with UserErrors only', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parseRobotsSpec(value, 'fuzz');
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.constantFrom('left', 'right', 'a', '1x', ''),
            base: fc.record({ xyz: fc.tuple(fc.double(), fc.double(), fc.double()), yaw: fc.double() }),
            task: fc.constantFrom('pick_place', 'stack', 'cable_route', 'nope'),
            reach: fc.record({
              x: fc.tuple(fc.double(), fc.double()),
              y: fc.tuple(fc.double(), fc.double()),
            }),
          }),
          { maxLength: 6 },
        ),
        (value) => {
          try {
            parseRobotsSpec(value, 'fuzz');
          } catch (err) {
            if (!(err instanceof UserError)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
