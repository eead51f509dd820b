// The camera on a real episode: what it sees of the blocks, the table and the robot, and the
// images it publishes from the sim node on the topic contract.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CameraFrame } from '../../sim/camera/CameraFrame.ts';
import { CAMERA_TOPICS } from '../../sim/camera/CameraPublisher.ts';
import { CameraSpecSchema, TABLETOP_CAMERA } from '../../sim/camera/CameraSpec.ts';
import { cameraInfo, depthImage, OPTICAL_FRAME, readDepthImage } from '../../sim/camera/cameraMessages.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { ROBOT_INSTANCE, SceneRenderer, TABLE_INSTANCE } from '../../sim/camera/SceneRenderer.ts';
import { createEnv } from '../../sim/Env.ts';
import { SimNode } from '../../sim/node/SimNode.ts';
import { parseSceneSpec, TABLETOP_SCENE } from '../../sim/scene/SceneSpec.ts';
import { createContext, msgsValidator, SimClock } from '../../src/graph/index.ts';
import type { MessageType } from '../../src/msgs/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';

type Image = MessageType<'sensor_msgs/msg/Image'>;
type CameraInfo = MessageType<'sensor_msgs/msg/CameraInfo'>;

describe('the scene camera on an episode', () => {
  const env = createEnv();
  const reset = env.reset({ task: 'pick_place', seed: 3 });
  const renderer = new SceneRenderer(env.scene, env.robot);
  const camera = PinholeCamera.fromSpec(TABLETOP_CAMERA);
  const frame = new CameraFrame(camera.width, camera.height);
  renderer.render(camera, frame);

  it('gives each block its instance id at the centre of its top face, at the top face depth within 1 mm', () => {
    const blocks = reset.observation.objects.filter((o) => o.kind === 'block');
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      const top = b.position[2] + b.size[2] / 2;
      const p = camera.project(b.position[0], b.position[1], top);
      const u = Math.round(p.u);
      const v = Math.round(p.v);
      const label = renderer.label(frame.instanceAt(u, v));
      expect(label?.name, `pixel ${u},${v} over ${b.id}`).toBe(b.id);
      expect(label?.className).toBe(b.className);
      // Ground truth: the pixel's ray meets the top face plane z = top.
      const far = camera.unproject(u, v, 1);
      const dz = far[2]! - camera.position[2]!;
      const depth = (top - camera.position[2]!) / dz;
      expect(Math.abs(frame.depthAt(u, v) - depth)).toBeLessThan(1e-3);
    }
  });

  it('labels the table and the robot, and maps every id to one object', () => {
    expect(renderer.label(TABLE_INSTANCE)?.name).toBe('table');
    expect(renderer.label(ROBOT_INSTANCE)?.name).toBe('robot');
    const seen = new Set(frame.instance);
    expect(seen.has(TABLE_INSTANCE)).toBe(true);
    expect(seen.has(ROBOT_INSTANCE)).toBe(true);
    const ids = renderer.instances.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of reset.observation.objects)
      expect(renderer.instances.some((l) => l.name === o.id)).toBe(true);
  });

  it('follows the bodies: a block moved in the physics moves in the image', () => {
    const block = env.scene.ofKind('block')[0]!;
    const before = camera.project(block.body!.position.x, block.body!.position.y, 0.02);
    const id = renderer.instances.find((l) => l.name === block.id)!.id;
    block.body!.position.y += 0.05;
    try {
      renderer.render(camera, frame);
      const after = camera.project(block.body!.position.x, block.body!.position.y, 0.02);
      expect(frame.instanceAt(Math.round(after.u), Math.round(after.v))).toBe(id);
      expect(Math.hypot(after.u - before.u, after.v - before.v)).toBeGreaterThan(5);
    } finally {
      block.body!.position.y -= 0.05;
    }
  });

  it('writes depth as 32FC1 that reads back to the same metres, and CameraInfo with K, P, D', () => {
    const stamp = { sec: 1, nanosec: 5 };
    const msg = depthImage(frame, stamp);
    expect(msg).toMatchObject({ encoding: '32FC1', width: 320, height: 240, step: 1280 });
    expect(msg.header.frame_id).toBe(OPTICAL_FRAME);
    const back = readDepthImage(msg, 'test');
    expect(back.length).toBe(frame.depth.length);
    expect(back.filter((d, i) => !Object.is(d, frame.depth[i])).length).toBe(0); // NaN included
    expect(back.some(Number.isNaN)).toBe(false); // this view sees the table everywhere
    const info = cameraInfo(camera, stamp);
    expect(info.distortion_model).toBe('plumb_bob');
    expect(info.d).toEqual([0, 0, 0, 0, 0]);
    expect(info.k).toEqual(camera.k);
    expect(info.p).toEqual(camera.p);
  });
});

describe('the camera block of a scene spec', () => {
  it('is optional, and its errors name the field', () => {
    const { camera: _omit, ...noCamera } = TABLETOP_SCENE;
    expect(parseSceneSpec(stringify(noCamera), 'x.yaml').camera).toBeUndefined();
    const bad = { ...TABLETOP_SCENE, camera: { ...TABLETOP_CAMERA, lookAt: undefined } };
    expect(() => parseSceneSpec(stringify(bad), 'bad.yaml')).toThrow(
      /bad\.yaml: .*camera\.lookAt: give either lookAt or quaternion/,
    );
    const both = { ...TABLETOP_CAMERA, fx: 300, fy: 300 };
    expect(CameraSpecSchema.safeParse(both).success).toBe(false);
  });
});

describe('the sim node camera option', () => {
  async function startSim(camera: boolean) {
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
    });
    const sim = new SimNode(context, camera ? { camera: true } : {});
    const client = context.createNode('camera_client');
    const got: Record<string, Array<Image | CameraInfo>> = {};
    const listen = (topic: string, type: 'sensor_msgs/msg/Image' | 'sensor_msgs/msg/CameraInfo') =>
      client.createSubscription(type, topic, { depth: 10 }, (m: Image | CameraInfo) => {
        const list = got[topic] ?? [];
        list.push(m);
        got[topic] = list;
      });
    listen(CAMERA_TOPICS.color, 'sensor_msgs/msg/Image');
    listen(CAMERA_TOPICS.depth, 'sensor_msgs/msg/Image');
    listen(CAMERA_TOPICS.segmentation, 'sensor_msgs/msg/Image');
    listen(CAMERA_TOPICS.colorInfo, 'sensor_msgs/msg/CameraInfo');
    sim.reset({ task: 'pick_place', seed: 3 });
    return { context, sim, got };
  }

  it('publishes colour, depth, segmentation and camera_info at the camera rate when on', async () => {
    const { context, sim, got } = await startSim(true);
    try {
      // One second of sim time at 240 steps/s: the 10 Hz camera publishes 10 frames.
      for (let i = 0; i < 240; i++) {
        sim.tick();
        await new Promise<void>((r) => setImmediate(r));
      }
      const color = got[CAMERA_TOPICS.color] as Image[];
      expect(color.length).toBeGreaterThanOrEqual(9);
      expect(color.length).toBeLessThanOrEqual(11);
      expect(color[0]).toMatchObject({ encoding: 'rgb8', width: 320, height: 240, step: 960 });
      expect(color[0]!.data.length).toBe(320 * 240 * 3);
      const depth = (got[CAMERA_TOPICS.depth] as Image[])[0]!;
      expect(depth).toMatchObject({ encoding: '32FC1', step: 1280 });
      const seg = (got[CAMERA_TOPICS.segmentation] as Image[])[0]!;
      expect(seg).toMatchObject({ encoding: 'mono16', step: 640 });
      const info = (got[CAMERA_TOPICS.colorInfo] as CameraInfo[])[0]!;
      expect(info.k).toEqual(sim.camera!.camera.k);
      expect(info.header.stamp).toEqual(color[0]!.header.stamp);
    } finally {
      sim.destroy();
      context.destroy();
    }
  });

  it('publishes nothing on the camera topics when off (the default)', async () => {
    const { context, sim, got } = await startSim(false);
    try {
      for (let i = 0; i < 60; i++) {
        sim.tick();
        await new Promise<void>((r) => setImmediate(r));
      }
      expect(sim.camera).toBeUndefined();
      expect(got[CAMERA_TOPICS.color]).toBeUndefined();
    } finally {
      sim.destroy();
      context.destroy();
    }
  });
});
