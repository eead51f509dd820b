// `simbridge up --perception camera`: the camera on, the sim's ground truth aside, and a perception
// node between the camera and the policy, which completes an instruction on what it perceives.
import { afterEach, describe, expect, it } from 'vitest';
import { QOS_DEFAULT } from '../../src/graph/index.ts';
import type { MessageType } from '../../src/msgs/index.ts';
import { startUp } from '../../src/up/index.ts';
import { GROUND_TRUTH_DETECTIONS, type Up } from '../../src/up/startUp.ts';
import { simbridge } from '../cli/simbridge.ts';

type Detections = MessageType<'vision_msgs/msg/Detection3DArray'>;

let up: Up | undefined;
afterEach(async () => {
  await up?.close();
  up = undefined;
});

/** Resolves when `done()` holds, checking every 50 ms; rejects after `timeoutMs` naming `what`. */
async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('simbridge up --perception camera', () => {
  it('puts a perception node between the camera and the policy, which completes pick_place', async () => {
    const lines: string[] = [];
    up = await startUp({
      perception: 'camera',
      task: 'pick_place',
      seed: 0,
      port: 0,
      rosbridgePort: 0,
      log: (l) => lines.push(l),
    });
    const u = up;
    expect(u.perception).toBeDefined();
    const probe = u.context.createNode('probe');
    const perceived: Detections[] = [];
    const truth: Detections[] = [];
    let images = 0;
    probe.createSubscription('vision_msgs/msg/Detection3DArray', '/detections', QOS_DEFAULT, (m) => {
      perceived.push(m);
    });
    probe.createSubscription(
      'vision_msgs/msg/Detection3DArray',
      GROUND_TRUTH_DETECTIONS,
      QOS_DEFAULT,
      (m) => {
        truth.push(m);
      },
    );
    probe.createSubscription('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_DEFAULT, () => {
      images++;
    });
    probe
      .createPublisher('std_msgs/msg/String', '/instruction')
      .publish({ data: 'put the gray block in the green bowl' });
    const start = performance.now();
    await waitUntil(() => u.sim.checks.success, 60_000, 'the episode to succeed');
    const wallSeconds = (performance.now() - start) / 1000;
    console.log(
      `up --perception camera: pick_place succeeded at ${u.sim.env.timeSeconds.toFixed(2)} s of sim time, ${wallSeconds.toFixed(1)} s of wall time`,
    );
    // The policy sees the success on its own, from /detections.
    await waitUntil(() => u.policy.language?.status?.state === 'succeeded', 5_000, 'the policy to report it');
    expect(images).toBeGreaterThan(10);
    expect(u.perception!.frames).toBeGreaterThan(10);
    // The sim published its ground truth only aside; /detections came from the perception node.
    expect(truth.length).toBeGreaterThan(10);
    const ids = (m: Detections | undefined) => m?.detections.map((d) => d.id).sort() ?? [];
    const last = perceived.filter((m) => m.detections.length > 0).at(-1);
    expect(ids(last)).toEqual(expect.arrayContaining(['gray_block', 'green_bowl']));
    const gt = truth.at(-1)!.detections.find((d) => d.id === 'gray_block')!.bbox.center.position;
    const seen = last!.detections.find((d) => d.id === 'gray_block')!.bbox.center.position;
    const error = Math.hypot(seen.x - gt.x, seen.y - gt.y, seen.z - gt.z);
    expect(error).toBeLessThan(0.02);
    expect(error).toBeGreaterThan(0);
  }, 90_000);

  it('refuses an unknown source with exit 2, naming the choices', async () => {
    const r = await simbridge('up', '--perception', 'lidar', '--no-open');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--perception.*lidar.*ground-truth, camera/s);
    expect(r.stdout).toBe('');
  });
});
