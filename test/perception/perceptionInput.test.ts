// Bad camera input from outside: the perception node names the problem and keeps running.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createContext, msgsValidator, SimClock } from '../../src/graph/index.ts';
import { PerceptionNode } from '../../src/perception/PerceptionNode.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { captureLogger } from '../graph/helpers.ts';

const ENCODINGS = ['rgb8', 'bgr8', 'rgba8', 'mono8', '32FC1', '16UC1', ''];
const FRAME = 'camera_color_optical_frame';

describe('PerceptionNode input', () => {
  it('rejects inconsistent images and camera_info with a message naming them, and keeps running', async () => {
    const logger = captureLogger();
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
      logger,
    });
    const perception = new PerceptionNode(context, { robotMask: false });
    const feed = context.createNode('feed');
    const tfStatic = feed.createPublisher('tf2_msgs/msg/TFMessage', '/tf_static', {
      durability: 'transient_local',
      depth: 1,
    });
    const color = feed.createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw');
    const depth = feed.createPublisher('sensor_msgs/msg/Image', '/camera/depth/image_raw');
    const info = feed.createPublisher('sensor_msgs/msg/CameraInfo', '/camera/color/camera_info');
    const stamp0 = { sec: 0, nanosec: 0 };
    // The camera 1 m above the world origin, looking straight down.
    tfStatic.publish({
      transforms: [
        {
          header: { stamp: stamp0, frame_id: 'world' },
          child_frame_id: FRAME,
          transform: { translation: { x: 0, y: 0, z: 1 }, rotation: { x: 1, y: 0, z: 0, w: 0 } },
        },
      ],
    });
    const image = fc.record({
      width: fc.integer({ min: 1, max: 6 }),
      height: fc.integer({ min: 1, max: 6 }),
      encoding: fc.constantFrom(...ENCODINGS),
      step: fc.integer({ min: 0, max: 30 }),
      bytes: fc.integer({ min: 0, max: 200 }),
    });
    let sec = 1;
    try {
      await fc.assert(
        fc.asyncProperty(
          image,
          image,
          fc.record({
            width: fc.integer({ min: 1, max: 6 }),
            height: fc.integer({ min: 1, max: 6 }),
            fx: fc.constantFrom(100, 0, -5, Number.NaN),
          }),
          async (c, d, cam) => {
            const stamp = { sec: sec++, nanosec: 0 };
            const msg = (m: typeof c) => ({
              header: { stamp, frame_id: FRAME },
              width: m.width,
              height: m.height,
              encoding: m.encoding,
              is_bigendian: 0,
              step: m.step,
              data: new Uint8Array(m.bytes),
            });
            perception.lastError = '';
            const frames = perception.frames;
            info.publish({
              header: { stamp, frame_id: FRAME },
              width: cam.width,
              height: cam.height,
              distortion_model: 'plumb_bob',
              d: [0, 0, 0, 0, 0],
              k: [cam.fx, 0, 1, 0, 100, 1, 0, 0, 1],
              r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
              p: [cam.fx, 0, 1, 0, 0, 100, 1, 0, 0, 0, 1, 0],
              binning_x: 0,
              binning_y: 0,
              roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
            });
            color.publish(msg(c));
            depth.publish(msg(d));
            const colorBpp = c.encoding === 'rgb8' || c.encoding === 'bgr8' ? 3 : 0;
            const depthBpp = d.encoding === '32FC1' ? 4 : d.encoding === '16UC1' ? 2 : 0;
            const valid =
              cam.fx > 0 &&
              c.width === cam.width &&
              c.height === cam.height &&
              d.width === cam.width &&
              d.height === cam.height &&
              colorBpp > 0 &&
              c.step >= colorBpp * c.width &&
              c.bytes >= c.step * c.height &&
              depthBpp > 0 &&
              d.step >= depthBpp * d.width &&
              d.bytes >= d.step * d.height;
            if (valid) {
              expect(perception.lastError).toBe('');
              expect(perception.frames).toBe(frames + 1);
            } else {
              expect(perception.lastError).toMatch(/camera_info|image sizes|colour image|depth image/);
              expect(logger.lines.at(-1)).toBe(`WARN [/perception] perception: ${perception.lastError}`);
              expect(perception.frames).toBe(frames);
            }
          },
        ),
        { numRuns: 200, seed: 7 },
      );
    } finally {
      perception.destroy();
      context.destroy();
    }
  });

  it('turns the robot mask off with a message naming /robot_description when the URDF is bad', async () => {
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
      logger: captureLogger(),
    });
    const perception = new PerceptionNode(context);
    const feed = context.createNode('feed');
    feed
      .createPublisher('std_msgs/msg/String', '/robot_description', {
        durability: 'transient_local',
        depth: 1,
      })
      .publish({ data: '<robot name="x"><link name="a"><visual>' });
    try {
      expect(perception.lastError).toMatch(/^robot mask off: .*\/robot_description/);
    } finally {
      perception.destroy();
      context.destroy();
    }
  });
});
