/**
 * The rtps benchmark's measurements, run inside a private network namespace by
 * bench/rtps.bench.ts: JointState throughput (flood, reliable keep-last 10 writer, deep reader)
 * and one-way latency (paced at 1 kHz; stamped with the wall clock in header.stamp, read on
 * receipt by the same host's clock) for simbridge -> Cyclone, Cyclone -> simbridge and
 * Cyclone -> Cyclone. Prints one JSON line.
 *
 * Latency is measured after a warm-up of <warmupCount> paced samples in every direction (as
 * performance_test's --ignore does): for its first seconds on a new code path a JavaScript
 * process is still compiling it (measured: p99 1.5-1.7 ms over the first 2,000 samples, 0.3-0.4 ms
 * from then on). The warm-up's own p99 is reported too.
 *
 *   node --import tsx test/interop/benchWorker.ts <cyclone_peer> <floodCount> <latencyCount> <warmupCount>
 */
import { readFileSync } from 'node:fs';
import { decodeCdr, encodeCdr } from '../../src/msgs/index.ts';
import { Participant } from '../../src/transports/rtps/Participant.ts';
import type { QosProfile } from '../../src/transports/Transport.ts';
import { PeerProcess } from './peerProcess.ts';

const [peerBinary, floodArg, latencyArg, warmupArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const FLOOD = Number(floodArg);
const LATENCY = Number(latencyArg);
const WARMUP = Number(warmupArg ?? 0);
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
  /** p99 over the warm-up samples (not in p50Us/p99Us), µs. */
  warmupP99Us?: number;
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

/**
 * A copy of an encoded JointState with header.stamp set to now (sec i32, nanosec u32 right after
 * the 4-byte encapsulation): the flood's samples, so that it measures the transport and not the
 * CDR encoder, as Cyclone -> simbridge stops before the decoder. Both codec costs are reported.
 */
function restamped(template: Uint8Array): Uint8Array {
  const bytes = template.slice();
  const t = nowS();
  const sec = Math.floor(t);
  const view = new DataView(bytes.buffer);
  view.setInt32(4, sec, true);
  view.setUint32(8, Math.floor((t - sec) * 1e9), true);
  return bytes;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : 0;
}

function sinkFigures(line: string): Figures {
  const j = JSON.parse(line) as {
    received: number;
    seconds: number;
    p50_us: number;
    p99_us: number;
    warmup_p99_us: number;
  };
  return {
    received: j.received,
    msgsPerSecond: j.seconds > 0 ? j.received / j.seconds : 0,
    p50Us: j.p50_us,
    p99Us: j.p99_us,
    warmupP99Us: j.warmup_p99_us,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Cyclone source -> Cyclone sink: `skip` warm-up samples, then `count` measured. */
async function cycloneToCyclone(count: number, periodUs: number, topic: string, skip = 0): Promise<Figures> {
  const total = String(skip + count);
  const sink = new PeerProcess(peerBinary, ['sink', topic, total, '20', String(skip)]);
  const source = new PeerProcess(peerBinary, ['source', topic, total, String(periodUs), 'gated']);
  try {
    await sink.waitLine((l) => l === 'matched', TIMEOUT, 'sink matched');
    source.send('go');
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
  skip = 0,
): Promise<Figures> {
  const total = skip + count;
  const sink = new PeerProcess(peerBinary, ['sink', topic, String(total), '20', String(skip)]);
  const w = p.createWriter(topic, JOINT, WRITER_QOS);
  const template = jointState(0);
  try {
    await sink.waitLine((l) => l === 'matched', TIMEOUT, 'sink matched');
    await until(() => w.readers.size > 0, 'writer matched');
    for (let i = 0; i < total; ) {
      // Flood in batches, yielding so acknacks are read; or one per period. Like a DDS writer
      // blocking on a full history, the flood waits while too much is unacknowledged.
      // The paced samples are encoded as they are sent (Cyclone's source serializes each too).
      if (periodMs > 0) w.write(jointState(i++));
      else for (let k = 0; k < 100 && i < total; k++, i++) w.write(restamped(template));
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
  skip = 0,
): Promise<Figures> {
  const total = skip + count;
  const warm: number[] = [];
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
    if (warm.length < skip) {
      warm.push((t - stamp) * 1e6);
      return;
    }
    if (lat.length === 0) first = t;
    last = t;
    lat.push((t - stamp) * 1e6);
  });
  const dropsBefore = rcvbufErrors();
  const source = new PeerProcess(peerBinary, ['source', topic, String(total), String(periodUs), 'gated']);
  try {
    await until(() => r.writers.size > 0, 'our reader matched the source');
    source.send('go');
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
    warm.sort((a, b) => a - b);
    return {
      received: lat.length,
      msgsPerSecond: last > first ? lat.length / (last - first) : 0,
      p50Us: quantile(lat, 0.5),
      p99Us: quantile(lat, 0.99),
      warmupP99Us: quantile(warm, 0.99),
      kernelDrops: rcvbufErrors() - dropsBefore,
    };
  } finally {
    p.deleteReader(r);
    source.stop();
  }
}

/** Median cost of `fn` over 7 rounds of 2000 calls, µs. */
function micros(fn: () => unknown): number {
  const rounds: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t = performance.now();
    for (let i = 0; i < 2000; i++) fn();
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
    cycloneToCyclone: await cycloneToCyclone(LATENCY, 1000, 'rt/lat_cc', WARMUP),
    simbridgeToCyclone: await oursToCyclone(p, LATENCY, 1, 'rt/lat_sc', WARMUP),
    cycloneToSimbridge: await cycloneToOurs(p, LATENCY, 1000, 'rt/lat_cs', WARMUP),
  };
  // What a graph publisher or subscriber adds per message: a full encodeCdr or decodeCdr.
  const bytes = jointState(0);
  const encodeUs = micros(() => jointState(0));
  const decodeUs = micros(() => decodeCdr('sensor_msgs/msg/JointState', bytes));
  process.stdout.write(`${JSON.stringify({ ok: true, flood, paced, encodeUs, decodeUs, stats: p.stats })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
} finally {
  p.destroy();
}
