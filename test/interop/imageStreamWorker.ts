/**
 * The load test, run inside a private network namespace by imageStream.test.ts: a
 * 640x480 rgb8 sensor_msgs/Image (921,600 bytes of pixels, DATA_FRAG on the wire) published by
 * the rtps transport at 30 Hz, reliable, to a Cyclone DDS reader, for <seconds>. Every frame
 * has different pixels; the reader prints each frame's FNV-1a hash. Prints one JSON line: what
 * was sent, what arrived, and the frame latencies as seen when the reader's line reached us.
 *
 *   node --import tsx test/interop/imageStreamWorker.ts <cyclone_peer> <seconds>
 */
import { encodeCdr } from '../../src/msgs/index.ts';
import { RtpsTransport } from '../../src/transports/rtps/RtpsTransport.ts';
import { PeerProcess } from './peerProcess.ts';

const [peerBinary, secondsArg] = process.argv.slice(2) as [string, string];
const HZ = 30;
const frames = Math.round(Number(secondsArg) * HZ);
const WIDTH = 640;
const HEIGHT = 480;

function fnv1a(bytes: Uint8Array): string {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const transport = await RtpsTransport.create({ domainId: 0, nodeName: 'camera' });
const qos = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 } as const;
const pub = transport.advertise({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', qos });
const peer = new PeerProcess(peerBinary, [
  'sub',
  'image',
  'rt/camera/image_raw',
  String(frames),
  'volatile',
  String(Number(secondsArg) + 30),
]);
const expected: string[] = [];
const sentAt: number[] = [];
let result: Record<string, unknown>;
try {
  await peer.waitLine((l) => l === 'matched', 15_000, 'the Cyclone reader to match');
  for (let i = 0; i < 400 && pub.subscriptionCount === 0; i++) await new Promise((r) => setTimeout(r, 5));
  // Frame i shows a window of one long pseudo-random strip, shifted by (i % SHIFTS) * 3 bytes:
  // consecutive frames differ everywhere, and the expected hashes are computed before the clock
  // starts (hashing 921,600 bytes in JS per frame would eat the 33 ms budget on a loaded machine).
  const SHIFTS = 64;
  const size = WIDTH * HEIGHT * 3;
  const strip = new Uint8Array(size + SHIFTS * 3);
  let x = 0x9e3779b9;
  for (let k = 0; k < strip.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    strip[k] = x & 0xff;
  }
  const hashes = Array.from({ length: SHIFTS }, (_, s) => fnv1a(strip.subarray(s * 3, s * 3 + size)));
  const start = performance.now();
  let late = 0;
  for (let i = 0; i < frames; i++) {
    // On a fixed 30 Hz schedule (a frame that is late goes at once; the next keeps the schedule).
    const due = start + (i * 1000) / HZ;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late++;
    const shift = i % SHIFTS;
    const pixels = strip.subarray(shift * 3, shift * 3 + size);
    expected.push(`${WIDTH}x${HEIGHT} rgb8 ${WIDTH * 3} ${size} ${hashes[shift]}`);
    sentAt.push(performance.now());
    pub.publish(
      encodeCdr('sensor_msgs/msg/Image', {
        header: { stamp: { sec: i, nanosec: 0 }, frame_id: 'camera' },
        height: HEIGHT,
        width: WIDTH,
        encoding: 'rgb8',
        is_bigendian: 0,
        step: WIDTH * 3,
        data: pixels,
      }),
    );
  }
  const sendSeconds = (performance.now() - start) / 1000;
  const done = await peer.waitLine((l) => l.startsWith('done'), 30_000, 'the reader to finish');
  const lines = peer.lines.filter((l) => /^\d+x\d+ /.test(l));
  const times = peer.lineTimes.filter((_, i) => /^\d+x\d+ /.test(peer.lines[i]!));
  const latencies = times.map((t, i) => t - sentAt[i]!).sort((a, b) => a - b);
  const q = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 10) / 10;
  result = {
    ok: true,
    frames,
    received: lines.length,
    inOrderAndIntact: lines.length === expected.length && lines.every((l, i) => l === expected[i]),
    firstMismatch: lines.findIndex((l, i) => l !== expected[i]),
    done,
    sendSeconds: Math.round(sendSeconds * 100) / 100,
    lateFrames: late,
    latencyMs: latencies.length ? { p50: q(0.5), p99: q(0.99), max: q(1) } : undefined,
    stats: transport.participant.stats,
  };
} catch (err) {
  result = { ok: false, error: (err as Error).message, received: peer.lines.length };
} finally {
  peer.stop();
  transport.destroy();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
