// `simbridge launch FILE` end to end: the real CLI in a child process, its nodes in worker threads
// and child processes, stopped with SIGINT as a user's Ctrl-C stops it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ROSLIB from 'roslib';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext, msgsValidator, QOS_DEFAULT } from '../../src/graph/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { startRosbridgeServer } from '../../src/transports/rosbridge/server/index.ts';
import { simbridge } from '../cli/simbridge.ts';
import { readRecording } from '../record/readMcap.ts';
import { launch } from './launchProcess.ts';

const dir = mkdtempSync(join(tmpdir(), 'simbridge-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves when `done()` holds, polling every 20 ms; rejects after `timeoutMs`. */
async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Beat {
  node: string;
  count: number;
  restarts: number;
  pid: number;
  thread: number;
}

describe('simbridge launch', () => {
  it('runs the tabletop launch, takes an instruction over rosbridge, records, and exits 0 on SIGINT', async () => {
    const out = join(dir, 'tabletop.mcap');
    const run = launch(
      'launch/tabletop.launch.yaml',
      '--record',
      out,
      '--set',
      'rosbridge_server.port=0',
      '--set',
      'viewer.port=0',
    );
    try {
      const url = await run.rosbridgeUp();
      const ros = new ROSLIB.Ros({ url });
      await new Promise<void>((resolve, reject) => {
        ros.on('connection', () => resolve());
        ros.on('error', (e) => reject(new Error(`roslib could not connect: ${String(e)}`)));
      });
      const instruction = 'put the gray block in the green bowl';
      new ROSLIB.Topic({ ros, name: '/instruction', messageType: 'std_msgs/msg/String' }).publish({
        data: instruction,
      });
      // The policy planned the instruction and is moving the arm.
      await run.waitFor(/\[\/policy\] status: running/, 20_000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the arm did not move within 20 s')), 20_000);
        let first: number[] | undefined;
        const topic = new ROSLIB.Topic<{ position: number[] }>({
          ros,
          name: '/joint_states',
          messageType: 'sensor_msgs/msg/JointState',
        });
        topic.subscribe((m) => {
          first ??= m.position;
          if (Math.max(...m.position.map((q, i) => Math.abs(q - first![i]!))) > 0.05) {
            clearTimeout(timer);
            topic.unsubscribe();
            resolve();
          }
        });
      });
      ros.close();
      expect(await run.interrupt()).toBe(0);
      expect(run.lines.join('\n')).toMatch(/\[\/recorder\] wrote \d+ messages/);

      const { messages } = await readRecording(out);
      const on = (topic: string) => messages.filter((m) => m.topic === topic);
      expect(on('/instruction').map((m) => m.message['data'])).toEqual([instruction]);
      const joints = on('/joint_states');
      expect(joints.length).toBeGreaterThan(20);
      expect(joints[0]!.message['name']).toEqual(
        expect.arrayContaining(['shoulder_pan_joint', 'wrist_3_joint']),
      );
      expect(on('/tf').length).toBeGreaterThan(5);
      expect(on('/clock').length).toBeGreaterThan(20);
      const plans = on('/policy/plan').map((m) => JSON.parse(m.message['data'] as string));
      expect(plans.some((p) => Array.isArray(p?.steps) || Array.isArray(p))).toBe(true);
      // The arm moved after the instruction (the policy commands reached the sim).
      const first = joints[0]!.message['position'] as number[];
      const last = joints.at(-1)!.message['position'] as number[];
      expect(Math.max(...first.map((q, i) => Math.abs(q - last[i]!)))).toBeGreaterThan(0.01);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 90_000);

  it('runs both arms of the two-arm launch to success at one table: one sim, one clock, one tf tree, arms apart', async () => {
    const out = join(dir, 'two_arm.mcap');
    const run = launch('launch/two_arm.launch.yaml', '--record', out);
    try {
      // One sim holds both arms; each arm's task was spawned for it, and each policy got its own instruction.
      await run.waitFor(
        /\[\/sim\] \/left: ur5e pick_place seed 371; its instruction: "put the red block in the blue bowl"/,
        40_000,
      );
      await run.waitFor(
        /\[\/sim\] \/right: ur5e stack seed 371; its instruction: "put the green block on top of the yellow block"/,
        5_000,
      );
      await run.waitFor(/\[\/left\/policy\] instruction: "put the red block in the blue bowl"/, 5_000);
      await run.waitFor(
        /\[\/right\/policy\] instruction: "put the green block on top of the yellow block"/,
        5_000,
      );
      await run.waitFor(/\[\/sim\] \/left: task succeeded/, 60_000);
      await run.waitFor(/\[\/sim\] \/right: task succeeded/, 30_000);
      await run.waitFor(/\[\/sim\] episode succeeded/, 5_000);
      await run.waitFor(/\[\/left\/policy\] status: succeeded/, 5_000);
      await run.waitFor(/\[\/right\/policy\] status: succeeded/, 5_000);
      expect(await run.interrupt()).toBe(0);
      expect(run.lines.join('\n')).not.toMatch(/FAILED|status: failed/);

      const { messages } = await readRecording(out);
      const topics = new Set(messages.map((m) => m.topic));
      // One world: one /clock (no per-arm clocks), and the table's topics once.
      expect([...topics].filter((t) => t.endsWith('/clock'))).toEqual(['/clock']);
      expect([...topics].filter((t) => t.endsWith('/detections'))).toEqual(['/detections']);
      for (const ns of ['/left', '/right']) {
        for (const t of ['joint_states', 'robot_description', 'sim/status', 'instruction', 'policy/status']) {
          expect(topics, `${ns}/${t}`).toContain(`${ns}/${t}`);
        }
        expect(topics).toContain(`${ns}/forward_position_controller/commands`);
      }
      // Both robots in one tf tree, their frames prefixed, hung from the one world frame.
      const frames = new Set(
        messages
          .filter((m) => m.topic === '/tf' || m.topic === '/tf_static')
          .flatMap((m) =>
            (m.message['transforms'] as Array<{ child_frame_id: string }>).map((t) => t.child_frame_id),
          ),
      );
      for (const f of [
        'left/base_link',
        'left/shoulder_link',
        'left/tcp',
        'right/base_link',
        'right/wrist_3_link',
        'red_block',
      ]) {
        expect(frames, f).toContain(f);
      }
      // Each arm's own checks on its own status; the table's status has both, and how close the arms came.
      const last = (topic: string) =>
        JSON.parse(messages.filter((m) => m.topic === topic).at(-1)!.message['data'] as string);
      expect(last('/left/sim/status').checks).toMatchObject({ success: true, isPlaced: true });
      expect(last('/right/sim/status').checks).toMatchObject({ success: true, isStacked: true });
      const table = last('/sim/status');
      expect(table.checks).toMatchObject({ success: true, armsSucceeded: 2 });
      // The arms' links never came within 0.2 m of each other (bounding boxes, checked at 20 Hz).
      expect(table.clearance.overlaps).toBe(0);
      expect(table.clearance.minGapMeters).toBeGreaterThan(0.2);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);

  it('restarts a failing node inside the local group per its policy while the other keeps publishing', async () => {
    const out = join(dir, 'crash.mcap');
    const run = launch('test/launch/fixtures/crash_local.launch.yaml', '--record', out);
    try {
      await run.waitFor(/\[\/crasher\] given up after 2 restarts \(maxRestarts 2\)/, 40_000);
      expect(await run.interrupt()).toBe(0);
      const log = run.lines.join('\n');
      expect(log.match(/\[\/crasher\] FAILED: failing on purpose/g)).toHaveLength(3);
      expect(log).toContain('[/crasher] restart 1/2 in 0.1 s');
      expect(log).toContain('[/crasher] restart 2/2 in 0.2 s');

      const { messages } = await readRecording(out);
      const beats = (topic: string) =>
        messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.message['data'] as string) as Beat);
      const crasher = beats('/crasher/heartbeat');
      expect([...new Set(crasher.map((b) => b.restarts))]).toEqual([0, 1, 2]);
      // Each incarnation counts from 0 again: a fresh node, in the same thread.
      for (const r of [0, 1, 2]) expect(crasher.find((b) => b.restarts === r)!.count).toBe(0);
      expect(new Set(crasher.map((b) => b.thread)).size).toBe(1);
      // The steady node never stopped: one incarnation, no gap in its count, and it went on
      // publishing after the crasher's last message.
      const steady = beats('/steady/heartbeat');
      expect(steady.every((b) => b.restarts === 0)).toBe(true);
      expect(steady.map((b) => b.count)).toEqual(steady.map((_, i) => i));
      const lastCrasher = messages.filter((m) => m.topic === '/crasher/heartbeat').at(-1)!.logTime;
      const steadyAfter = messages.filter((m) => m.topic === '/steady/heartbeat' && m.logTime > lastCrasher);
      expect(steadyAfter.length).toBeGreaterThan(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 60_000);

  it('on rosbridge, runs a node in its own child process and restarts that process when it fails', async () => {
    // The robot side: a graph behind a rosbridge server, as a remote robot would have.
    const context = createContext({ transport: new LocalTransport(), validator: await msgsValidator() });
    const server = await startRosbridgeServer({ context, host: '127.0.0.1', port: 0 });
    const listener = context.createNode('listener');
    const got: Record<string, Beat[]> = { crasher: [], steady: [] };
    /** Arrival order over both topics. */
    const order: string[] = [];
    for (const name of ['crasher', 'steady']) {
      listener.createSubscription('std_msgs/msg/String', `/${name}/heartbeat`, QOS_DEFAULT, (m) => {
        got[name]!.push(JSON.parse(m.data) as Beat);
        order.push(name);
      });
    }
    const file = join(dir, 'crash_remote.launch.yaml');
    writeFileSync(
      file,
      [
        'name: crash_remote',
        `transport: { kind: rosbridge, url: "${server.url}" }`,
        'nodes:',
        '  - kind: heartbeat',
        '    name: crasher',
        '    run: process',
        '    parameters: { rateHz: 20, failAfterSeconds: 1 }',
        '    restart: { policy: on-failure, maxRestarts: 1, backoffSeconds: 0.1 }',
        '  - kind: heartbeat',
        '    name: steady',
        '    parameters: { rateHz: 20 }',
        '',
      ].join('\n'),
    );
    const run = launch(file);
    try {
      await run.waitFor(/\[launch\] \/crasher not restarted \(1 of 1 restarts used\)/, 60_000);
      await run.waitFor(/\[launch\] restarting \/crasher \(1\/1\) in 0\.1 s/, 1_000);
      // The steady node goes on publishing after the crasher's process has gone for good.
      const steadyNow = got['steady']!.length;
      await waitUntil(() => got['steady']!.length >= steadyNow + 5, 10_000, 'more steady heartbeats');
      expect(await run.interrupt()).toBe(0);
      expect(order.lastIndexOf('steady')).toBeGreaterThan(order.lastIndexOf('crasher'));

      const crasher = got['crasher']!;
      const pids = [...new Set(crasher.map((b) => b.pid))];
      // Two incarnations, each its own process, neither of them the launcher.
      expect(pids).toHaveLength(2);
      expect(pids).not.toContain(run.child.pid);
      expect([...new Set(crasher.map((b) => b.restarts))]).toEqual([0, 1]);
      // The steady node ran in a worker thread of the launcher throughout.
      const steady = got['steady']!;
      expect(new Set(steady.map((b) => b.pid))).toEqual(new Set([run.child.pid]));
      // No gap once connected (the first beats may go before the link is up, as rosbridge drops them).
      expect(steady.map((b) => b.count)).toEqual(steady.map((_, i) => steady[0]!.count + i));
      expect(steady.every((b) => b.restarts === 0)).toBe(true);
      expect(steady.length).toBeGreaterThan(20);
    } finally {
      run.child.kill('SIGKILL');
      await server.close();
      context.destroy();
    }
  }, 90_000);

  it('exits 2 naming the file, the line and the key of a broken launch file', async () => {
    const file = join(dir, 'broken.launch.yaml');
    writeFileSync(file, 'name: broken\nnodes:\n  - kind: sim\n    parameters: { robot: ur5e, sed: 3 }\n');
    const r = await simbridge('launch', file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`simbridge: error: launch: ${file}:4: nodes.0.parameters.sed: unknown key`);

    const set = await simbridge('launch', 'launch/tabletop.launch.yaml', '--set', 'simm.seed=1');
    expect(set.code).toBe(2);
    expect(set.stderr).toContain("--set: 'simm' names no node in the launch file");
  }, 30_000);
});
