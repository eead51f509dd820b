/**
 * The reliable protocol between one RtpsWriter and one RtpsReader, wired through an in-memory
 * link instead of sockets, so that losses are injected exactly (a real socket drops what it
 * likes, when it likes). Each datagram goes through the real encoder and parser. The socket
 * path and real peers are covered by rtpsParticipant.test.ts and test/interop.
 */
import { describe, expect, it } from 'vitest';
import { RtpsReader } from '../../src/transports/rtps/RtpsReader.ts';
import { type ParticipantLink, RtpsWriter } from '../../src/transports/rtps/RtpsWriter.ts';
import {
  type AckNackSubmessage,
  guidKey,
  type HeartbeatSubmessage,
  type Message,
  parseMessage,
} from '../../src/transports/rtps/wire.ts';
import type { QosProfile } from '../../src/transports/Transport.ts';

const RELIABLE: QosProfile = {
  reliability: 'reliable',
  durability: 'volatile',
  history: 'keep_last',
  depth: 10,
};
const W_PREFIX = new Uint8Array(12).fill(1);
const R_PREFIX = new Uint8Array(12).fill(2);
const W_ID = 0x103;
const R_ID = 0x104;
const LOCATOR = [{ kind: 1, port: 1, address: '127.0.0.1' }];

/** A link that records what an endpoint sends, parsed; `drop` decides which datagrams are lost. */
function recordingLink(prefix: Uint8Array): ParticipantLink & { sent: Message[] } {
  const sent: Message[] = [];
  return {
    guidPrefix: prefix,
    fragmentSize: 16000,
    sent,
    send(datagram: Uint8Array) {
      const parsed = parseMessage(datagram.slice());
      if (!parsed.ok) throw new Error(parsed.reason);
      sent.push(parsed.message);
    },
  };
}

const flushMicrotasks = () => new Promise<void>((r) => setTimeout(r, 0));
const payload = (i: number) => Uint8Array.from([0, 1, 0, 0, i & 0xff, (i >> 8) & 0xff, 0, 0]);

function pair() {
  const wLink = recordingLink(W_PREFIX);
  const rLink = recordingLink(R_PREFIX);
  const writer = new RtpsWriter(wLink, W_ID, 'rt/t', 'T', RELIABLE, guidKey(W_PREFIX, W_ID));
  const got: number[] = [];
  const reader = new RtpsReader(
    rLink,
    R_ID,
    'rt/t',
    'T',
    RELIABLE,
    (p) => got.push(p![4]! | (p![5]! << 8)),
    1 << 20,
  );
  writer.matchReader(
    guidKey(R_PREFIX, R_ID),
    { prefix: R_PREFIX, entityId: R_ID, locators: LOCATOR, reliable: true },
    false,
  );
  reader.matchWriter(guidKey(W_PREFIX, W_ID), {
    prefix: W_PREFIX,
    entityId: W_ID,
    locators: LOCATOR,
    reliable: true,
    transientLocal: false,
  });
  const wKey = guidKey(W_PREFIX, W_ID);
  const rKey = guidKey(R_PREFIX, R_ID);
  /**
   * Hands the reader every datagram the writer sent since last time, except those `drop` loses,
   * and of the rest every submessage but those `dropSub` loses.
   */
  const toReader = (
    drop: (m: Message) => boolean = () => false,
    dropSub: (s: Message['submessages'][number]) => boolean = () => false,
  ) => {
    for (const m of wLink.sent.splice(0)) {
      if (drop(m)) continue;
      for (const s of m.submessages) {
        if (dropSub(s)) continue;
        if (s.kind === 'data') reader.onData(wKey, s);
        else if (s.kind === 'heartbeat') reader.onHeartbeat(wKey, s);
        else if (s.kind === 'gap') reader.onGap(wKey, s);
      }
    }
  };
  const toWriter = () => {
    for (const m of rLink.sent.splice(0))
      for (const s of m.submessages) if (s.kind === 'acknack') writer.onAckNack(rKey, s);
  };
  return { writer, reader, wLink, rLink, got, toReader, toWriter };
}

/**
 * Ten samples written one datagram each, of which the reader gets 1..3 and 5: 4 and 6..10 are
 * lost, and so are the writer's piggybacked heartbeats (the tests send their own).
 */
async function tenWithHoles() {
  const p = pair();
  await flushMicrotasks();
  p.toReader();
  p.rLink.sent.splice(0);
  for (let i = 1; i <= 10; i++) {
    p.writer.write(payload(i));
    await flushMicrotasks(); // one datagram per sample
  }
  p.toReader(
    () => false,
    (s) => (s.kind === 'data' && (s.writerSN === 4 || s.writerSN > 5)) || s.kind === 'heartbeat',
  );
  return p;
}

describe('rtps reliable writer and reader', () => {
  it('sends a burst of writes as a few datagrams, each heartbeat announcing only what was sent', async () => {
    const { writer, wLink } = pair();
    await flushMicrotasks();
    wLink.sent.splice(0); // the heartbeat sent on matching
    // 4,000 bytes each: three to a 16,000-byte datagram, so batches fill up mid-write.
    const big = new Uint8Array(4000);
    big[1] = 1;
    // Past 256 unacknowledged samples every batch carries a heartbeat.
    for (let i = 0; i < 300; i++) writer.write(big);
    await flushMicrotasks();
    expect(wLink.sent.length).toBe(100); // three samples to a datagram
    let sentSoFar = 0;
    let heartbeats = 0;
    for (const m of wLink.sent) {
      expect(m.submessages[0]!.kind).toBe('infoDst');
      for (const s of m.submessages) {
        if (s.kind === 'data') sentSoFar = Math.max(sentSoFar, s.writerSN);
        if (s.kind === 'heartbeat') {
          heartbeats++;
          expect((s as HeartbeatSubmessage).lastSN).toBeLessThanOrEqual(sentSoFar);
        }
      }
    }
    expect(sentSoFar).toBe(300);
    expect(heartbeats).toBeGreaterThan(10);
  });

  it('asks again only for samples missing below the highest one seen, and for the tail once nothing new comes', async () => {
    // Sample 4 is lost; 6..10 are still on their way when the heartbeat arrives.
    const { reader, rLink, got } = await tenWithHoles();
    expect(got).toEqual([1, 2, 3]);
    const hb = (count: number): HeartbeatSubmessage => ({
      kind: 'heartbeat',
      readerId: R_ID,
      writerId: W_ID,
      firstSN: 1,
      lastSN: 10,
      count,
      final: false,
      liveliness: false,
    });
    const lastAckNack = () =>
      rLink.sent
        .splice(0)
        .flatMap((m) => m.submessages.filter((s): s is AckNackSubmessage => s.kind === 'acknack'))
        .at(-1)!;
    const wKey = guidKey(W_PREFIX, W_ID);
    // 5 arrived after the hole, 6..10 may be in flight: ask for 4 only.
    reader.onHeartbeat(wKey, hb(100));
    expect(lastAckNack()).toMatchObject({ base: 4, missing: [4] });
    // Nothing new between two heartbeats: 6..10 were lost too.
    reader.onHeartbeat(wKey, hb(101));
    expect(lastAckNack()).toMatchObject({ base: 4, missing: [4, 6, 7, 8, 9, 10] });
  });

  it('asks for the lost tail of a burst at the first quiet tick, without waiting for another heartbeat', async () => {
    // Sample 4 and the tail 6..10 are lost (as in a socket that overflowed at the end of a burst).
    const { writer, reader, rLink, got, toReader } = await tenWithHoles();
    const acknacks = () =>
      rLink.sent
        .splice(0)
        .flatMap((m) => m.submessages.filter((s) => s.kind === 'acknack')) as AckNackSubmessage[];
    const wKey = guidKey(W_PREFIX, W_ID);
    reader.onHeartbeat(wKey, {
      kind: 'heartbeat',
      readerId: R_ID,
      writerId: W_ID,
      firstSN: 1,
      lastSN: 10,
      count: 100,
      final: false,
      liveliness: false,
    });
    expect(acknacks().map((a) => a.missing)).toEqual([[4]]); // 6..10 may still be on their way
    reader.tick(); // samples arrived since the last tick: not quiet yet
    expect(acknacks()).toEqual([]);
    reader.tick(); // nothing for a whole tick: the tail was lost
    const asked = acknacks();
    expect(asked.map((a) => a.missing)).toEqual([[4, 6, 7, 8, 9, 10]]);
    reader.tick(); // asked once; the next heartbeat or arrival re-arms it
    expect(acknacks()).toEqual([]);
    for (const a of asked) writer.onAckNack(guidKey(R_PREFIX, R_ID), a);
    await flushMicrotasks();
    toReader();
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('delivers every sample in order through a link that loses every third datagram', async () => {
    const { writer, got, toReader, toWriter } = pair();
    let n = 0;
    const lossy = () => n++ % 3 === 1;
    for (let i = 1; i <= 200; i++) {
      writer.write(payload(i));
      if (i % 7 === 0) await flushMicrotasks(); // bursts of seven: several samples per datagram
    }
    // Heartbeats (periodic ticks and piggybacked), acknacks and resends, until all is acknowledged.
    for (let round = 0; round < 200 && !(got.length === 200 && writer.allAcknowledged()); round++) {
      await flushMicrotasks();
      toReader(lossy);
      toWriter();
      writer.tick(Date.now() + 1000 * (round + 1));
    }
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(writer.allAcknowledged()).toBe(true);
    expect(writer.dropped).toBe(0);
  });
});
