/**
 * The rtps benchmark's measurements, run inside a private network namespace by
 * bench/rtps.bench.ts: JointState throughput (flood, reliable keep-last 10 writer, deep reader)
 * and one-way latency (paced at 1 kHz; stamped with the wall clock in header.stamp, read on
 * receipt by the same host's clock) for simbridge -> Cyclone, Cyclone -> simbridge and
 * Cyclone -> Cyclone. Prints one JSON line.
 *
 *   node --import tsx test/interop/benchWorker.ts <cyclone_peer> <floodCount> <latencyCount>
 */
import { readFileSync } from 'node:fs';
import { decodeCdr, encodeCdr } from '../../src/msgs/index.ts';
import { Participant } from '../../src/transports/rtps/Participant.ts';
import type { QosProfile } from '../../src/transports/Transport.ts';
import { PeerProcess } from './peerProcess.ts';

const [peerBinary, floodArg, latencyArg] = process.argv.slice(2) as [string, string, string];
const FLOOD = Number(floodArg);
const LATENCY = Number(latencyArg);
const JOINT = 'sensor_msgs::msg::dds_::JointState_';
const WRITER_QOS: QosProfile = {
  reliability: 'reliable',
  durability: 'volatile',
  history: 'keep_last',
  depth: 10,
};
const READER_QOS: QosProfile = { ...WRITER_QOS, depth: 1000 };
const TIMEOUT = 30_000;
/** The flood's backpressure: at most this many samples unacknowledged (about 350 kB of JointState). */
const MAX_UNACKNOWLEDGED = 1000;

interface Figures {
  received: number;
  msgsPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Datagrams the kernel dropped on a full socket receive buffer meanwhile (this namespace's UDP RcvbufErrors). */
  kernelDrops?: number;
}

/** UDP RcvbufErrors of this network namespace so far (/proc/net/snmp). */
function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

const nowS = () => (performance.timeOrigin + performance.now()) / 1000;

function jointState(i: number): Uint8Array {
  const t = nowS();
  const sec = Math.floor(t);
  return encodeCdr('sensor_msgs/msg/JointState', {
    header: { stamp: { sec, nanosec: Math.floor((t - sec) * 1e9) }, frame_id: 'base' },
    name: [
      'panda_joint1',
      'panda_joint2',
      'panda_joint3',
      'panda_joint4',
      'panda_joint5',
      'panda_joint6',
      'panda_joint7',
    ],
    position: [i, 1, 2, 3, 4, 5, 6],
    velocity: [0, -1, -2, -3, -4, -5, -6],
    effort: [0, 0.5, 1, 1.5, 2, 2.5, 3],
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : 0;
}

function sinkFigures(line: string): Figures {
  const j = JSON.parse(line) as { received: number; seconds: number; p50_us: number; p99_us: number };
  return {
    received: j.received,
    msgsPerSecond: j.seconds > 0 ? j.received / j.seconds : 0,
    p50Us: j.p50_us,
    p99Us: j.p99_us,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Cyclone source -> Cyclone sink. */
async function cycloneToCyclone(count: number, periodUs: number, topic: string): Promise<Figures> {
  const sink = new PeerProcess(peerBinary, ['sink', topic, String(count), '20']);
  const source = new PeerProcess(peerBinary, ['source', topic, String(count), String(periodUs)]);
  try {
    const line = await sink.waitLine((l) => l.startsWith('{'), TIMEOUT, 'sink figures');
    return sinkFigures(line);
  } finally {
    source.stop();
    sink.stop();
  }
}

/** Our writer -> Cyclone sink. */
async function oursToCyclone(
  p: Participant,
  count: number,
  periodMs: number,
  topic: string,
): Promise<Figures> {
  const sink = new PeerProcess(peerBinary, ['sink', topic, String(count), '20']);
  const w = p.createWriter(topic, JOINT, WRITER_QOS);
  try {
    await sink.waitLine((l) => l === 'matched', TIMEOUT, 'sink matched');
    await until(() => w.readers.size > 0, 'writer matched');
    for (let i = 0; i < count; ) {
      // Flood in batches, yielding so acknacks are read; or one per period. Like a DDS writer
      // blocking on a full history, the flood waits while too much is unacknowledged.
      const batch = periodMs > 0 ? 1 : 100;
      for (let k = 0; k < batch && i < count; k++, i++) w.write(jointState(i));
      await new Promise((r) => (periodMs > 0 ? setTimeout(r, periodMs) : setImmediate(r)));
      while (periodMs === 0 && w.unacknowledged > MAX_UNACKNOWLEDGED)
        await new Promise((r) => setImmediate(r));
    }
    const line = await sink.waitLine((l) => l.startsWith('{'), TIMEOUT, 'sink figures');
    return sinkFigures(line);
  } finally {
    p.deleteWriter(w);
    sink.stop();
  }
}

/** Cyclone source -> our reader. */
async function cycloneToOurs(
  p: Participant,
  count: number,
  periodUs: number,
  topic: string,
): Promise<Figures> {
  const lat: number[] = [];
  let first = 0;
  let last = 0;
  const r = p.createReader(topic, JOINT, READER_QOS, (payload) => {
    const t = nowS();
    // The transport's figure: header.stamp read straight from the CDR (sec i32, nanosec u32 after
    // the 4-byte encapsulation). A full decode costs decodeUs more; measured on its own below.
    const b = payload!;
    const sec = b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24);
    const nanosec = (b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24)) >>> 0;
    const stamp = sec + nanosec * 1e-9;
    if (lat.length === 0) first = t;
    last = t;
    lat.push((t - stamp) * 1e6);
  });
  const dropsBefore = rcvbufErrors();
  const source = new PeerProcess(peerBinary, ['source', topic, String(count), String(periodUs)]);
  try {
    await source.waitLine((l) => l.startsWith('published'), TIMEOUT, 'source done');
    // The source waited for acknowledgements: what has not arrived within 0.5 s of quiet is lost
    // (a keep-last 10 writer overwrites what a slow reader has not yet acknowledged).
    let seen = -1;
    let quietSince = Date.now();
    await until(() => {
      if (lat.length !== seen) {
        seen = lat.length;
        quietSince = Date.now();
      }
      return lat.length >= count || Date.now() - quietSince > 500;
    }, `${count} samples`);
    lat.sort((a, b) => a - b);
    return {
      received: lat.length,
      msgsPerSecond: last > first ? lat.length / (last - first) : 0,
      p50Us: quantile(lat, 0.5),
      p99Us: quantile(lat, 0.99),
      kernelDrops: rcvbufErrors() - dropsBefore,
    };
  } finally {
    p.deleteReader(r);
    source.stop();
  }
}

/** Median cost of a full decodeCdr of the benchmark's JointState, µs (what a graph subscriber adds). */
function decodeMicros(): number {
  const bytes = jointState(0);
  const rounds: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t = performance.now();
    for (let i = 0; i < 2000; i++) decodeCdr('sensor_msgs/msg/JointState', bytes);
    rounds.push(((performance.now() - t) / 2000) * 1000);
  }
  return rounds.sort((a, b) => a - b)[3]!;
}

const p = await Participant.create({ domainId: 0 });
try {
  const flood = {
    cycloneToCyclone: await cycloneToCyclone(FLOOD, 0, 'rt/bench_cc'),
    simbridgeToCyclone: await oursToCyclone(p, FLOOD, 0, 'rt/bench_sc'),
    cycloneToSimbridge: await cycloneToOurs(p, FLOOD, 0, 'rt/bench_cs'),
  };
  const paced = {
    cycloneToCyclone: await cycloneToCyclone(LATENCY, 1000, 'rt/lat_cc'),
    simbridgeToCyclone: await oursToCyclone(p, LATENCY, 1, 'rt/lat_sc'),
    cycloneToSimbridge: await cycloneToOurs(p, LATENCY, 1000, 'rt/lat_cs'),
  };
  const decodeUs = decodeMicros();
  process.stdout.write(`${JSON.stringify({ ok: true, flood, paced, decodeUs, stats: p.stats })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
} finally {
  p.destroy();
}
