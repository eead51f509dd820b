/**
 * graph.local: publish -> callback on the local transport, through the graph API
 * (Publisher.publish with its validation, Subscription with its stats and error guard),
 * against a plain EventEmitter delivering the same objects in the same run.
 *
 * - JointState, 7 joints; and a 640x480 rgb8 Image whose `data` is a 921,600-byte
 *   Uint8Array (zero copy: only the reference moves).
 * - throughput: messages/s with one subscriber, in timed phases alternating with the
 *   baseline; medians reported. latency: per-message publish -> callback time (p50, p99)
 *   with performance.now(), which includes ~0.05 us of timer overhead on both sides.
 * - validation: the real validator from src/msgs when it loads, else the permissive
 *   stand-in (the JSON says which); the figure without validation isolates the graph.
 */
import { EventEmitter } from 'node:events';
import {
  createContext,
  type MessageOf,
  type MessageTypeName,
  type MessageValidator,
  msgsValidator,
  permissiveValidator,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
} from '../src/graph/index.ts';
import { fillDefaults, type JointState, type SensorMsgsImage } from '../src/msgs/index.ts';
import { LocalTransport } from '../src/transports/local/LocalTransport.ts';
import type { BenchOptions } from './run.ts';
import { median, round } from './stats.ts';

const TARGETS = { jointStateMsgsPerSecond: 200_000, overhead: 2 };

function jointState(): JointState {
  return {
    header: { stamp: { sec: 1, nanosec: 0 }, frame_id: '' },
    name: ['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7'],
    position: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    velocity: [0, 0, 0, 0, 0, 0, 0],
    effort: [0, 0, 0, 0, 0, 0, 0],
  };
}

function image(): SensorMsgsImage {
  return fillDefaults('sensor_msgs/msg/Image', {
    header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'camera_color_optical_frame' },
    height: 480,
    width: 640,
    encoding: 'rgb8',
    step: 640 * 3,
    data: new Uint8Array(640 * 480 * 3),
  });
}

interface Path<M = unknown> {
  publish(msg: M): void;
  received(): number;
  close(): void;
}

function graphPath<T extends MessageTypeName>(
  type: T,
  topic: string,
  validator: MessageValidator,
  sensor: boolean,
): Path<MessageOf<T>> {
  const context = createContext({ transport: new LocalTransport(), validator });
  const node = context.createNode('bench');
  let n = 0;
  node.createSubscription(type, topic, sensor ? QOS_SENSOR_DATA : QOS_DEFAULT, () => {
    n++;
  });
  const pub = node.createPublisher(type, topic, sensor ? QOS_SENSOR_DATA : QOS_DEFAULT);
  return { publish: (m) => pub.publish(m), received: () => n, close: () => context.destroy() };
}

function emitterPath(): Path {
  const ee = new EventEmitter();
  let n = 0;
  ee.on('msg', () => {
    n++;
  });
  return { publish: (m) => ee.emit('msg', m), received: () => n, close: () => ee.removeAllListeners() };
}

/** Publishes for `seconds`; returns messages/s. */
function throughput<M>(path: Path<M>, msg: M, seconds: number): number {
  const before = path.received();
  let sent = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 1000; i++) path.publish(msg);
    sent += 1000;
    elapsed = performance.now() - start;
  }
  if (path.received() - before !== sent) throw new Error('graph.bench: messages were lost');
  return sent / (elapsed / 1000);
}

/** Per-message publish -> callback time, microseconds. */
function latency<M>(path: Path<M>, msg: M, samples: number): { p50: number; p99: number } {
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    path.publish(msg);
    times[i] = (performance.now() - t0) * 1000;
  }
  times.sort();
  return {
    p50: round(times[Math.floor(samples * 0.5)]!, 3),
    p99: round(times[Math.floor(samples * 0.99)]!, 3),
  };
}

function measure<M>(make: () => Path<M>, msg: M, phaseSeconds: number, rounds: number, samples: number) {
  const path = make();
  const base = emitterPath();
  throughput(path, msg, phaseSeconds / 3);
  throughput(base, msg, phaseSeconds / 3);
  const rates: number[] = [];
  const baseRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseRates.push(throughput(base, msg, phaseSeconds));
    rates.push(throughput(path, msg, phaseSeconds));
  }
  const lat = latency(path, msg, samples);
  const baseLat = latency(base, msg, samples);
  path.close();
  base.close();
  const msgsPerSecond = median(rates);
  const baseMsgsPerSecond = median(baseRates);
  return {
    msgsPerSecond: round(msgsPerSecond),
    latencyUs: lat,
    baseline: { msgsPerSecond: round(baseMsgsPerSecond), latencyUs: baseLat },
    overhead: round(baseMsgsPerSecond / msgsPerSecond, 3),
  };
}

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const phaseSeconds = quick ? 0.03 : 1;
  const rounds = quick ? 1 : 3;
  const samples = quick ? 2_000 : 100_000;
  let validator: MessageValidator = permissiveValidator;
  let validation = 'permissive stand-in (src/msgs validator did not load)';
  try {
    validator = await msgsValidator();
    validation = 'src/msgs validateMessage (compiled check; zod only on failure)';
  } catch (error) {
    console.error(`graph.bench: ${(error as Error).message}; measuring with the permissive validator`);
  }
  const js = jointState();
  const img = image();
  // Validated path: what a node publishing on the local transport really pays.
  const jointStates = measure(
    () => graphPath('sensor_msgs/msg/JointState', '/joint_states', validator, false),
    js,
    phaseSeconds,
    rounds,
    samples,
  );
  const images = measure(
    () => graphPath('sensor_msgs/msg/Image', '/camera/color/image_raw', validator, true),
    img,
    phaseSeconds,
    rounds,
    Math.min(samples, 20_000),
  );
  // The graph and transport alone.
  const noValidation = measure(
    () =>
      graphPath(
        'sensor_msgs/msg/JointState',
        '/joint_states',
        { validate: (_t, v) => v, has: () => true },
        false,
      ),
    js,
    phaseSeconds,
    rounds,
    samples,
  );
  const overhead = jointStates.overhead;
  return {
    bench: 'graph.local',
    validation,
    jointState: jointStates,
    image: { ...images, bytes: img.data.length },
    jointStateWithoutValidation: noValidation,
    msgsPerSecond: jointStates.msgsPerSecond,
    baseline: {
      name: 'node:events EventEmitter, same objects',
      msgsPerSecond: jointStates.baseline.msgsPerSecond,
    },
    overhead,
    targets: {
      jointStateMsgsPerSecond: `>=${TARGETS.jointStateMsgsPerSecond}`,
      overhead: `<=${TARGETS.overhead}`,
    },
    meetsTargets: {
      jointStateMsgsPerSecond: jointStates.msgsPerSecond >= TARGETS.jointStateMsgsPerSecond,
      overhead: overhead <= TARGETS.overhead,
      overheadWithoutValidation: noValidation.overhead <= TARGETS.overhead,
    },
    quick,
  };
}
