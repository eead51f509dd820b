// The perception node in launch files: its checks, and launch/tabletop_camera.launch.yaml end to
// end (the real CLI in a child process): the sim renders the camera, its ground truth goes aside,
// and the language policy completes pick_place on the perception node's /detections.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { resolveRobot } from '../../src/eval/resolve.ts';
import { createContext } from '../../src/graph/index.ts';
import { loadLaunchFile, parseLaunchFile } from '../../src/launch/LaunchFile.ts';
import { planUnits } from '../../src/launch/units.ts';
import { createRobotPerception } from '../../src/perception/PerceptionNode.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { realValidator } from '../graph/helpers.ts';
import { launch } from './launchProcess.ts';

const plan = (text: string) => planUnits(parseLaunchFile(text, 'x.launch.yaml'), 'x.launch.yaml');

describe('perception nodes in launch files', () => {
  it('accepts the shipped tabletop_camera launch: camera, perception, the ground truth remapped aside', () => {
    const file = 'launch/tabletop_camera.launch.yaml';
    const units = planUnits(loadLaunchFile(file), file);
    expect(units).toHaveLength(1);
    expect(units[0]!.nodes.map((n) => n.kind)).toEqual([
      'sim',
      'camera',
      'perception',
      'policy',
      'rosbridge_server',
      'viewer',
    ]);
  });

  it('refuses perception without a camera in its namespace on the local transport', () => {
    expect(() =>
      plan('name: x\nnodes:\n  - kind: sim\n    remappings: { detections: /gt }\n  - kind: perception\n'),
    ).toThrow(
      /x\.launch\.yaml: nodes\.1 \(\/perception\): perception reads the camera of its namespace \(\/\)/,
    );
  });

  it('refuses a sim and a perception node that would both publish one detections topic, naming it', () => {
    expect(() => plan('name: x\nnodes:\n  - kind: sim\n  - kind: camera\n  - kind: perception\n')).toThrow(
      /would both publish \/detections; remap the sim's aside/,
    );
    // In a namespace, relative names resolve in it; the perception node's own output remapped also counts.
    expect(() =>
      plan(
        [
          'name: x',
          'nodes:',
          '  - { kind: sim, namespace: /left, remappings: { detections: gt } }',
          '  - { kind: camera, namespace: /left }',
          '  - { kind: perception, namespace: /left, remappings: { detections: /left/gt } }',
        ].join('\n'),
      ),
    ).toThrow(/would both publish \/left\/gt/);
    expect(
      plan(
        [
          'name: x',
          'nodes:',
          '  - { kind: sim, namespace: /left, remappings: { detections: gt } }',
          '  - { kind: camera, namespace: /left }',
          '  - { kind: perception, namespace: /left }',
        ].join('\n'),
      )[0]!.nodes,
    ).toHaveLength(3);
  });

  it('runs perception alone on a network transport (a real robot’s camera topics)', () => {
    const units = plan(
      [
        'name: x',
        'transport: { kind: rosbridge, url: "ws://robot:9090" }',
        'nodes:',
        '  - kind: perception',
        '    parameters: { topics: { color: /camera/camera/color/image_raw, depth: /camera/camera/aligned_depth_to_color/image_raw } }',
      ].join('\n'),
    );
    expect(units.map((u) => u.id)).toEqual(['/perception']);
  });

  it('resolves the perception node’s topics in its namespace, as a namespaced sim publishes them', () => {
    const transport = new LocalTransport();
    const context = createContext({ transport, validator: realValidator });
    try {
      createRobotPerception(context, resolveRobot('ur5e').config, { namespace: '/left' });
      const names = transport.getTopicNamesAndTypes().map((t) => t.name);
      expect(names).toEqual(
        expect.arrayContaining([
          '/left/camera/color/image_raw',
          '/left/camera/depth/image_raw',
          '/left/camera/color/camera_info',
          '/left/detections',
          '/left/tf',
          '/left/tf_static',
          '/left/robot_description',
          '/left/joint_states',
        ]),
      );
      expect(names.filter((n) => !n.startsWith('/left/'))).toEqual([]);
    } finally {
      context.destroy();
    }
  });

  it('names the file, line and key of an unknown perception parameter', () => {
    expect(() =>
      parseLaunchFile(
        'name: x\nnodes:\n  - kind: perception\n    parameters:\n      topic: { color: c }\n',
        'p.yaml',
      ),
    ).toThrow(/p\.yaml:5: nodes\.0\.parameters\.topic: unknown key/);
  });
});

interface Detection {
  id: string;
  bbox: { center: { position: { x: number; y: number; z: number } } };
}

describe('launch/tabletop_camera.launch.yaml', () => {
  it('completes pick_place with the policy on perceived detections, the ground truth aside', async () => {
    const instruction = 'put the gray block in the green bowl';
    const run = launch(
      'launch/tabletop_camera.launch.yaml',
      '--set',
      `policy.instruction=${instruction}`,
      '--set',
      'rosbridge_server.port=0',
      '--set',
      'viewer.port=0',
    );
    try {
      const url = await run.rosbridgeUp();
      const start = performance.now();
      // The first message on each detections topic, as any rosbridge client sees them.
      const ws = new WebSocket(url);
      await once(ws, 'open');
      const first = new Map<string, Detection[]>();
      const both = new Promise<void>((resolve) => {
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as {
            op: string;
            topic: string;
            msg: { detections: Detection[] };
          };
          if (m.op !== 'publish' || first.has(m.topic) || m.msg.detections.length === 0) return;
          first.set(m.topic, m.msg.detections);
          if (first.size === 2) resolve();
        });
      });
      for (const topic of ['/detections', '/sim/ground_truth/detections']) {
        ws.send(JSON.stringify({ op: 'subscribe', topic, type: 'vision_msgs/msg/Detection3DArray' }));
      }
      await Promise.race([
        both,
        run.waitFor(/episode (succeeded|ended)/, 30_000).then(() => {
          throw new Error('the episode ended before both detections topics were seen');
        }),
      ]);
      ws.close();

      const [, simSeconds] = await run.waitFor(
        /\[\/sim\] episode succeeded at ([\d.]+) s of sim time/,
        60_000,
      );
      const wallSeconds = (performance.now() - start) / 1000;
      await run.waitFor(/\[\/policy\] status: succeeded/, 5_000);
      await run.waitFor(/\[\/perception\] tracking \d+ objects/, 1_000);
      console.log(
        `tabletop_camera launch: pick_place succeeded at ${simSeconds} s of sim time, ${wallSeconds.toFixed(1)} s of wall time after all nodes were up`,
      );

      // /detections is the perception node's: the same objects as the ground truth, within 1 cm,
      // but estimated (not the sim's numbers).
      const perceived = new Map(first.get('/detections')!.map((d) => [d.id, d.bbox.center.position]));
      const truth = first.get('/sim/ground_truth/detections')!;
      let largest = 0;
      for (const d of truth) {
        const p = perceived.get(d.id);
        expect(p, `perceived ${d.id}`).toBeDefined();
        const t = d.bbox.center.position;
        largest = Math.max(largest, Math.hypot(p!.x - t.x, p!.y - t.y, p!.z - t.z));
      }
      expect(largest).toBeLessThan(0.01);
      expect(largest).toBeGreaterThan(0);

      expect(await run.interrupt()).toBe(0);
      expect(run.lines.join('\n')).not.toMatch(/FAILED|status: failed/);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});
