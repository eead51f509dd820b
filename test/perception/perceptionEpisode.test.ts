// Closing the loop: the language policy on perceived detections only (`--perception camera`).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimNode } from '../../sim/node/SimNode.ts';
import { runCli } from '../../src/cli/program.ts';
import { resolveRobot, resolveScene } from '../../src/eval/resolve.ts';
import { runEpisode } from '../../src/eval/runEpisode.ts';
import type { EpisodeSpec } from '../../src/eval/types.ts';
import { createContext, msgsValidator, SimClock } from '../../src/graph/index.ts';
import { createRobotPerception } from '../../src/perception/PerceptionNode.ts';
import { LanguageNode } from '../../src/policy/language/LanguageNode.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';

/** One seed per task, among the shortest episodes of the seed-7 evaluation (all of which succeeded). */
const CASES: Array<[task: string, seed: number]> = [
  ['stack', 18],
  ['push', 19],
  ['sort', 13],
];

describe('eval --perception camera', () => {
  it.each(CASES)(
    '%s seed %i succeeds with the policy seeing only the perception node',
    async (task, seed) => {
      const spec: EpisodeSpec = {
        task,
        seed,
        robot: 'ur5e',
        policy: 'language',
        split: 'seen',
        index: 0,
        perception: 'camera',
      };
      const result = await runEpisode(spec);
      expect(result.error).toBeUndefined();
      expect(result.policyFailure).toBeUndefined();
      expect(result.success, JSON.stringify(result.status)).toBe(true);
    },
    60_000,
  );

  it('pick_place seed 7 succeeds, reporting the carried block where it is all the way', async () => {
    // runGraphEpisode's wiring, with a listener on /detections to compare with the sim's truth.
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
    });
    const scene = resolveScene(undefined);
    const sim = new SimNode(context, {
      robot: resolveRobot('ur5e'),
      scene,
      camera: { segmentation: false },
      detectionsTopic: '/sim/ground_truth/detections',
    });
    const perception = createRobotPerception(context, sim.env.robotDescription.config);
    const reset = sim.reset({ task: 'pick_place', seed: 7 });
    const goal = reset.goal as { object?: string };
    const policy = new LanguageNode(context, { robot: sim.env.robotDescription, scene, controlHz: 60 });
    const listener = context.createNode('listener');
    let carriedFrames = 0;
    let worstCarriedError = 0;
    let frames = 0;
    const expectedIds = reset.observation.objects
      .map((o) => o.id)
      .sort()
      .join();
    const wrongIdFrames: string[] = [];
    listener.createSubscription('vision_msgs/msg/Detection3DArray', '/detections', {}, (msg) => {
      frames++;
      // Every object, and nothing else (an exception here would only be logged by the graph).
      const ids = msg.detections.map((d) => d.id).sort();
      if (ids.join() !== expectedIds) wrongIdFrames.push(ids.join());
      if (!sim.env.robot.gripper.grasping) return;
      const truth = sim.env.observe().objects.find((o) => o.id === goal.object)!;
      const d = msg.detections.find((x) => x.id === goal.object)!;
      const p = d.bbox.center.position;
      if (truth.position[2] < 0.05) return; // still on the table (or set down)
      carriedFrames++;
      worstCarriedError = Math.max(
        worstCarriedError,
        Math.hypot(p.x - truth.position[0], p.y - truth.position[1], p.z - truth.position[2]),
      );
    });
    try {
      listener.createPublisher('std_msgs/msg/String', '/instruction').publish({ data: reset.instruction });
      for (let tick = 0; !sim.done && tick < 240 * 30 && !policy.failure; tick++) {
        sim.tick();
        await new Promise<void>((r) => setImmediate(r));
      }
      expect(policy.failure).toBeUndefined();
      expect(sim.checks.success).toBe(true);
      expect(goal.object).toBeDefined();
      expect(frames).toBeGreaterThan(20);
      expect(wrongIdFrames).toEqual([]);
      // Carried high above the table, where the image alone drops it (too tall to be a block).
      expect(carriedFrames).toBeGreaterThan(5);
      expect(worstCarriedError).toBeLessThan(0.01);
      expect(perception.lastError).toBe('');
    } finally {
      policy.destroy();
      perception.destroy();
      sim.destroy();
      context.destroy();
    }
  }, 60_000);
});

describe('--perception flag', () => {
  let stderr: string;
  const write = process.stderr.write;
  beforeEach(() => {
    stderr = '';
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = write;
  });

  it.each([
    [
      ['eval', '--perception', 'lidar'],
      ["'lidar'", '--perception', 'ground-truth, camera'],
    ],
    [
      ['run', '--task', 'pick_place', '--perception', 'lidar'],
      ["'lidar'", '--perception'],
    ],
    [
      ['eval', '--policy', 'oracle-env', '--perception', 'camera'],
      ['--perception camera', 'oracle-env', "use 'oracle' or 'language'"],
    ],
    [
      ['run', '--task', 'push', '--policy', 'language-env', '--perception', 'camera'],
      ['--perception camera', 'language-env'],
    ],
  ])('rejects %j with exit 2 and a one-line message', async (args, fragments) => {
    const code = await runCli(args);
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines, stderr).toHaveLength(1);
    for (const f of fragments) expect(lines[0]).toContain(f);
  });
});
