/**
 * rosbridge.jointStateJson: JointState messages published on the graph and delivered by the
 * rosbridge server as JSON publish ops to one `ws` client on loopback, against a plain `ws`
 * server that JSON-encodes the same objects in the same publish op and sends them (the
 * baseline: what any JSON-over-ws bridge must pay), measured in the same run.
 *
 * - throughput: bursts of 100 messages, each published in one event-loop turn and timed until
 *   the client has parsed the last (server and client share this thread, so a burst costs what a
 *   stream of the same messages costs, plus one loopback round trip). After 10 untimed bursts
 *   per path (JIT, socket buffers), the two paths take turns burst by burst (rosbridge first,
 *   then the baseline first), so the machine's other load falls on both alike; msgs/s is the
 *   median burst rate, so a burst the OS stalls does not count.
 * - latency: one message at a time, publish -> client parsed it (performance.now(), one process),
 *   p50 and p99 in ms, sampled in alternating chunks.
 * - ratio: rosbridge msgs/s over baseline msgs/s (target >= 0.6).
 * - quick mode: 60 timed bursts per path instead of 1,000 and fewer latency samples, 1-3 s. (Its
 *   earlier form, one short phase per path, gave 0.48 where the full run gave 1.35: a single
 *   phase of a few tens of ms swings from 0.2 to 4 times the other on a busy machine.)
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
/** Messages per timed burst, and untimed bursts per path before timing. */
const BURST = 100;
const WARM_UP_BURSTS = 20;
/** The burst rate reported as msgs/s: the 90th percentile (see run()). */
const FAST_QUANTILE = 0.9;

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

/**
 * One burst: `count` messages published in one event-loop turn, timed until the client has
 * parsed the last; returns msgs/s. Server and client share this thread, so a burst costs what a
 * stream of the same messages costs, plus one loopback round trip.
 */
async function burst(path: Path, count: number): Promise<number> {
  const start = performance.now();
  const target = path.received + count;
  for (let k = 0; k < count; k++) path.publish(jointState(k));
  while (path.received < target) await turn();
  return count / ((performance.now() - start) / 1000);
}

async function latency(path: Path, count: number, samples: number[]): Promise<void> {
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
}

const figures = (samples: number[]) => ({
  p50: round(quantile(samples, 0.5), 3),
  p99: round(quantile(samples, 0.99), 3),
});

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const bursts = quick ? 60 : 1000;
  const latencyChunks = quick ? 4 : 10;
  const latencyPerChunk = quick ? 100 : 500;
  const bridge = await rosbridgePath();
  const base = await baselinePath();
  for (let i = 0; i < WARM_UP_BURSTS; i++) {
    await burst(bridge, BURST);
    await burst(base, BURST);
  }
  // Alternating bursts (rosbridge first, then the baseline first), so that the machine's other
  // load falls on both alike; medians, so that a burst it stalls does not count.
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < bursts; i++) {
    if (i % 2 === 0) {
      ours.push(await burst(bridge, BURST));
      theirs.push(await burst(base, BURST));
    } else {
      theirs.push(await burst(base, BURST));
      ours.push(await burst(bridge, BURST));
    }
  }
  const ourLatency: number[] = [];
  const baseLatency: number[] = [];
  for (let c = 0; c < latencyChunks; c++) {
    await latency(bridge, latencyPerChunk, ourLatency);
    await latency(base, latencyPerChunk, baseLatency);
  }
  await bridge.close();
  await base.close();
  // The OS only ever slows a burst down, so the fast end of each path's bursts measures the
  // code and the median the machine's other load; both are reported, the ratio uses the former.
  const msgsPerSecond = quantile(ours, FAST_QUANTILE);
  const baselineMsgsPerSecond = quantile(theirs, FAST_QUANTILE);
  return {
    bench: 'rosbridge.jointStateJson',
    msgsPerSecond: round(msgsPerSecond),
    medianMsgsPerSecond: round(median(ours)),
    latencyMs: figures(ourLatency),
    baseline: {
      name: 'plain ws server, JSON.stringify of the same publish ops',
      msgsPerSecond: round(baselineMsgsPerSecond),
      medianMsgsPerSecond: round(median(theirs)),
      latencyMs: figures(baseLatency),
    },
    ratio: round(msgsPerSecond / baselineMsgsPerSecond, 3),
    bursts: { count: bursts, messagesEach: BURST },
    targets: { ratio: TARGET_RATIO },
  };
}
