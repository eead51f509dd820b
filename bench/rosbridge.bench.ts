/**
 * rosbridge.jointStateJson: JointState messages published on the graph and delivered by the
 * rosbridge server as JSON publish ops to one `ws` client on loopback, against a plain `ws`
 * server that JSON-encodes the same objects in the same publish op and sends them (the
 * baseline: what any JSON-over-ws bridge must pay), measured in the same run.
 *
 * - throughput: messages published in batches of 50 (one event-loop turn each) until the
 *   client has parsed them all; msgs/s over the whole phase, median of the rounds.
 * - latency: one message at a time, publish -> client parsed it (performance.now(), one process),
 *   p50 and p99 in ms.
 * - ratio: rosbridge msgs/s over baseline msgs/s (target >= 0.6).
 */
import { WebSocket, WebSocketServer } from 'ws';
import { createContext, msgsValidator } from '../src/graph/index.ts';
import type { JointState } from '../src/msgs/index.ts';
import { toRosbridgeJson } from '../src/msgs/index.ts';
import { LocalTransport } from '../src/transports/local/LocalTransport.ts';
import { startRosbridgeServer } from '../src/transports/rosbridge/server/index.ts';
import type { BenchOptions } from './run.ts';
import { median, quantile, round } from './stats.ts';

const TARGET_RATIO = 0.6;
const BATCH = 50;

function jointState(i: number): JointState {
  return {
    header: { stamp: { sec: 1, nanosec: i }, frame_id: String(i) },
    name: [
      'shoulder_pan_joint',
      'shoulder_lift_joint',
      'elbow_joint',
      'wrist_1_joint',
      'wrist_2_joint',
      'wrist_3_joint',
    ],
    position: [0.1, -1.2, 1.3, -1.6, -1.57, 0.0],
    velocity: [0, 0, 0, 0, 0, 0],
    effort: [],
  };
}

interface Path {
  publish(msg: JointState): void;
  /** Resolves when the client has parsed message `index` (its frame_id). */
  received: number;
  onIndex: ((i: number) => void) | undefined;
  close(): Promise<void>;
}

function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A ws client that parses each publish op and reports its frame_id. */
async function client(url: string, path: Path, subscribe: boolean): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { op: string; msg: { header: { frame_id: string } } };
    if (m.op !== 'publish') return;
    path.received++;
    path.onIndex?.(Number(m.msg.header.frame_id));
  });
  if (subscribe)
    ws.send(JSON.stringify({ op: 'subscribe', topic: '/joint_states', type: 'sensor_msgs/JointState' }));
  return ws;
}

async function rosbridgePath(): Promise<Path> {
  const context = createContext({ transport: new LocalTransport(), validator: await msgsValidator() });
  const pub = context.createNode('bench').createPublisher('sensor_msgs/msg/JointState', '/joint_states');
  const server = await startRosbridgeServer({
    context,
    port: 0,
    queueLength: 10_000,
    logger: { debug() {}, info() {}, warn: console.error, error: console.error },
  });
  const path: Path = {
    publish: (m) => pub.publish(m),
    received: 0,
    onIndex: undefined,
    close: async () => {
      ws.close();
      await server.close();
      context.destroy();
    },
  };
  const ws = await client(server.url, path, true);
  for (let i = 0; i < 10_000 && pub.subscriptionCount === 0; i++) await turn();
  return path;
}

async function baselinePath(): Promise<Path> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets: WebSocket[] = [];
  wss.on('connection', (s) => sockets.push(s));
  const path: Path = {
    publish: (m) => {
      const text = JSON.stringify({
        op: 'publish',
        topic: '/joint_states',
        msg: toRosbridgeJson('sensor_msgs/msg/JointState', m),
      });
      for (const s of sockets) s.send(text);
    },
    received: 0,
    onIndex: undefined,
    close: async () => {
      ws.close();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
  const { port } = wss.address() as { port: number };
  const ws = await client(`ws://127.0.0.1:${port}`, path, false);
  for (let i = 0; i < 10_000 && sockets.length === 0; i++) await turn();
  return path;
}

async function throughput(path: Path, count: number): Promise<number> {
  const start = performance.now();
  const target = path.received + count;
  for (let i = 0; i < count; i += BATCH) {
    for (let k = i; k < Math.min(count, i + BATCH); k++) path.publish(jointState(k));
    await turn();
  }
  while (path.received < target) await turn();
  return count / ((performance.now() - start) / 1000);
}

async function latency(path: Path, count: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      path.onIndex = (k) => {
        if (k === i) resolve();
      };
    });
    path.publish(jointState(i));
    await done;
    samples.push(performance.now() - t0);
  }
  path.onIndex = undefined;
  return { p50: round(quantile(samples, 0.5), 3), p99: round(quantile(samples, 0.99), 3) };
}

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const count = quick ? 2_000 : 50_000;
  const rounds = quick ? 1 : 3;
  const latencySamples = quick ? 300 : 5_000;
  const bridge = await rosbridgePath();
  const base = await baselinePath();
  const ours: number[] = [];
  const theirs: number[] = [];
  await throughput(bridge, Math.min(count, 1000)); // warm-up
  await throughput(base, Math.min(count, 1000));
  for (let r = 0; r < rounds; r++) {
    ours.push(await throughput(bridge, count));
    theirs.push(await throughput(base, count));
  }
  const ourLatency = await latency(bridge, latencySamples);
  const baseLatency = await latency(base, latencySamples);
  await bridge.close();
  await base.close();
  const msgsPerSecond = round(median(ours));
  const baselineMsgsPerSecond = round(median(theirs));
  return {
    bench: 'rosbridge.jointStateJson',
    msgsPerSecond,
    latencyMs: ourLatency,
    baseline: {
      name: 'plain ws server, JSON.stringify of the same publish ops',
      msgsPerSecond: baselineMsgsPerSecond,
      latencyMs: baseLatency,
    },
    ratio: round(msgsPerSecond / baselineMsgsPerSecond, 3),
    targets: { ratio: TARGET_RATIO },
  };
}
