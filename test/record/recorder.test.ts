import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createContext,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
  SimClock,
} from '../../src/graph/index.ts';
import type { JointState, SensorMsgsImage, TFMessage } from '../../src/msgs/index.ts';
import { messageDefinitionText } from '../../src/msgs/index.ts';
import { startRecording } from '../../src/record/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { captureLogger, realValidator } from '../graph/helpers.ts';
import { readRecording } from './readMcap.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'simbridge-record-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function simGraph() {
  const clock = new SimClock();
  const logger = captureLogger();
  const context = createContext({ transport: new LocalTransport(), validator: realValidator, clock, logger });
  return { context, clock, logger };
}

const stamp = (sec: number, nanosec = 0) => ({ sec, nanosec });

function jointState(sec: number, position: number[]): JointState {
  return {
    header: { stamp: stamp(sec), frame_id: '' },
    name: ['shoulder_pan_joint', 'elbow_joint', 'wrist_1_joint'],
    position,
    velocity: [0, 0.5, -0.25],
    effort: [],
  };
}

function tf(sec: number, child: string, x: number): TFMessage {
  return {
    transforms: [
      {
        header: { stamp: stamp(sec), frame_id: 'world' },
        child_frame_id: child,
        transform: { translation: { x, y: -0.5, z: 1.25 }, rotation: { x: 0, y: 0, z: 0.6, w: 0.8 } },
      },
    ],
  };
}

/** A 4×3 rgb8 image whose bytes are 0, 1, 2, ... so any reordering shows. */
function image(sec: number): SensorMsgsImage {
  return {
    header: { stamp: stamp(sec), frame_id: 'camera_color_optical_frame' },
    height: 3,
    width: 4,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: 12,
    data: Uint8Array.from({ length: 36 }, (_, i) => i),
  };
}

describe('Recorder', () => {
  it('writes JointState, TF and Image in ROS 2 CDR with ros2msg schemas that Foxglove decodes', async () => {
    const { context, clock } = simGraph();
    const node = context.createNode('robot');
    // Latched before the recorder exists: a transient-local subscription must still get it.
    node
      .createPublisher('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TRANSIENT_LOCAL)
      .publish(tf(0, 'base', 0));
    const joints = node.createPublisher('sensor_msgs/msg/JointState', '/joint_states', QOS_DEFAULT);
    const tfPub = node.createPublisher('tf2_msgs/msg/TFMessage', '/tf', QOS_DEFAULT);
    const camera = node.createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_SENSOR_DATA);
    const path = join(dir, 'graph.mcap');
    const recorder = startRecording(context, { path, discoverIntervalMs: 0 });
    await Promise.resolve(); // the latched sample arrives in a microtask

    clock.advanceTo(1_500_000_000n);
    joints.publish(jointState(1, [0.1, -1.2, 3.5]));
    tfPub.publish(tf(1, 'tool0', 0.25));
    camera.publish(image(1));
    clock.advanceTo(2_000_000_000n);
    joints.publish(jointState(2, [0.2, -1.1, 3.4]));
    recorder.addMetadata('simbridge.episode', { task: 'pick_place', seed: '3' });
    const summary = await recorder.close();
    context.destroy();

    expect(summary).toMatchObject({ messages: 5, encodeErrors: 0 });
    const { reader, messages, metadata } = await readRecording(path);
    expect(reader.header.profile).toBe('ros2');
    for (const schema of reader.schemasById.values()) {
      expect(schema.encoding).toBe('ros2msg');
      // The full text, dependencies after rosbag2's separator, as in the message layer.
      expect(new TextDecoder().decode(schema.data)).toBe(messageDefinitionText(schema.name));
    }
    for (const channel of reader.channelsById.values()) expect(channel.messageEncoding).toBe('cdr');
    const tfStaticChannel = [...reader.channelsById.values()].find((c) => c.topic === '/tf_static')!;
    expect(tfStaticChannel.metadata.get('offered_qos_profiles')).toContain('durability: 1');

    const on = (topic: string) => messages.filter((m) => m.topic === topic);
    expect(on('/joint_states').map((m) => [m.schemaName, m.logTime, m.sequence])).toEqual([
      ['sensor_msgs/msg/JointState', 1_500_000_000n, 1],
      ['sensor_msgs/msg/JointState', 2_000_000_000n, 2],
    ]);
    const js = on('/joint_states')[0]!.message as unknown as JointState;
    expect(js.name).toEqual(['shoulder_pan_joint', 'elbow_joint', 'wrist_1_joint']);
    expect(Array.from(js.position)).toEqual([0.1, -1.2, 3.5]);
    expect(Array.from(js.velocity)).toEqual([0, 0.5, -0.25]);
    expect(js.header.stamp).toEqual(stamp(1));

    const t = on('/tf')[0]!.message as unknown as TFMessage;
    expect(t).toEqual(tf(1, 'tool0', 0.25));
    expect(
      on('/tf_static').map((m) => (m.message as unknown as TFMessage).transforms[0]!.child_frame_id),
    ).toEqual(['base']);

    const img = on('/camera/color/image_raw')[0]!.message as unknown as SensorMsgsImage;
    expect({ ...img, data: Array.from(img.data) }).toEqual({ ...image(1), data: Array.from(image(1).data) });

    expect(metadata).toEqual([
      {
        name: 'simbridge.episode',
        metadata: new Map([
          ['task', 'pick_place'],
          ['seed', '3'],
        ]),
      },
    ]);
    expect(reader.statistics?.messageCount).toBe(5n);
  });

  it('records topics that appear after it started, from the next discover()', async () => {
    const { context } = simGraph();
    const path = join(dir, 'late.mcap');
    const recorder = startRecording(context, { path, discoverIntervalMs: 0 });
    const pub = context.createNode('late').createPublisher('std_msgs/msg/String', '/instruction');
    pub.publish({ data: 'not seen yet' });
    expect(recorder.discover()).toBe(1);
    expect(recorder.discover()).toBe(0);
    pub.publish({ data: 'put the red block in the blue bowl → ok' });
    await recorder.close();
    context.destroy();
    const { messages } = await readRecording(path);
    expect(messages.map((m) => m.message)).toEqual([{ data: 'put the red block in the blue bowl → ok' }]);
  });

  it('discovers on a wall-clock interval when asked to', async () => {
    const { context } = simGraph();
    const path = join(dir, 'interval.mcap');
    const recorder = startRecording(context, { path, discoverIntervalMs: 5 });
    const pub = context.createNode('late').createPublisher('std_msgs/msg/String', '/chatter');
    // Wait for the event (the recorder's subscription matching), bounded.
    const deadline = performance.now() + 5000;
    while (pub.subscriptionCount === 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    pub.publish({ data: 'hello' });
    const summary = await recorder.close();
    context.destroy();
    expect(summary.topics).toEqual({ '/chatter': 1 });
  });

  it('writes a valid, indexed file with no messages when nothing is published', async () => {
    const { context } = simGraph();
    const path = join(dir, 'empty.mcap');
    await startRecording(context, { path, discoverIntervalMs: 0 }).close();
    context.destroy();
    const { reader, messages } = await readRecording(path);
    expect(messages).toEqual([]);
    expect(reader.footer).toBeDefined();
  });

  it('rejects a path it cannot create, naming it and where it came from', () => {
    const { context } = simGraph();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => startRecording(context, { path: join(file, 'x.mcap'), source: '--record' })).toThrow(
      /^--record: cannot write recording '.*a-file\/x\.mcap': ENOTDIR/,
    );
    expect(context.getNodeNames()).toEqual([]);
    context.destroy();
  });

  it('close() is safe to call twice, and metadata after close is refused', async () => {
    const { context } = simGraph();
    const recorder = startRecording(context, { path: join(dir, 'twice.mcap'), discoverIntervalMs: 0 });
    const first = recorder.close();
    expect(recorder.close()).toBe(first);
    await first;
    expect(() => recorder.addMetadata('late', {})).toThrow(/closed/);
    // Its node is gone from the graph.
    expect(context.getNodeNames()).toEqual([]);
    context.destroy();
  });
});
