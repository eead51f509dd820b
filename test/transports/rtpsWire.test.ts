import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENTITYID,
  MessageBuilder,
  PID,
  type PlainDataAt,
  paramValue,
  parseMessage,
  parsePlPayload,
  peekPlainData,
  plPayload,
  readParam,
  stripPadding,
} from '../../src/transports/rtps/wire.ts';

const PREFIX = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

function sampleDatagram(): Uint8Array {
  return new MessageBuilder(PREFIX)
    .infoDst(PREFIX)
    .infoTs(1_700_000_000_500)
    .data(ENTITYID.UNKNOWN, 0x00001203, 7, Uint8Array.from([0, 1, 0, 0, 5, 0, 0, 0, 104, 105, 0]), [
      { pid: PID.KEY_HASH, value: new Uint8Array(16).fill(9) },
    ])
    .heartbeat(0, 0x00001203, 3, 7, 2, true)
    .acknack(0x00001204, 0x00001203, 4, [5, 9, 260], 3)
    .gap(0, 0x00001203, 2, 4, [5, 7])
    .dataFrag(0, 0x00001203, 8, 2, 4, 20, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))
    .nackFrag(0x00001204, 0x00001203, 8, [1, 3], 4)
    .heartbeatFrag(0, 0x00001203, 8, 5, 6)
    .finish()
    .slice();
}

describe('RTPS wire format', () => {
  it('parses back every submessage it writes', () => {
    const parsed = parseMessage(sampleDatagram());
    if (!parsed.ok) throw new Error(parsed.reason);
    const m = parsed.message;
    expect([...m.header.guidPrefix]).toEqual([...PREFIX]);
    expect(m.submessages.map((s) => s.kind)).toEqual([
      'infoDst',
      'infoTs',
      'data',
      'heartbeat',
      'acknack',
      'gap',
      'dataFrag',
      'nackFrag',
      'heartbeatFrag',
    ]);
    const [, ts, data, hb, an, gap, frag, nf, hbf] = m.submessages;
    expect(ts).toMatchObject({ seconds: 1_700_000_000 });
    expect(data).toMatchObject({ kind: 'data', writerId: 0x1203, writerSN: 7, keyFlag: false });
    if (data?.kind !== 'data') throw new Error('not data');
    // One byte of padding, declared in the encapsulation options and stripped on receipt.
    expect([...(data.payload ?? [])]).toEqual([0, 1, 0, 1, 5, 0, 0, 0, 104, 105, 0, 0]);
    expect([...stripPadding(data.payload!)]).toEqual([0, 1, 0, 1, 5, 0, 0, 0, 104, 105, 0]);
    expect(data.inlineQos?.[0]?.pid).toBe(PID.KEY_HASH);
    expect(hb).toMatchObject({ firstSN: 3, lastSN: 7, count: 2, final: true });
    // 260 is beyond base + 256 and cannot be expressed: it is left out, not wrapped.
    expect(an).toMatchObject({ base: 4, missing: [5, 9], count: 3, final: false });
    expect(gap).toMatchObject({ gapStart: 2, listBase: 4, listed: [5, 7] });
    expect(frag).toMatchObject({
      fragmentStartingNum: 2,
      fragmentsInSubmessage: 2,
      fragmentSize: 4,
      sampleSize: 20,
    });
    expect(nf).toMatchObject({ writerSN: 8, missing: [1, 3], count: 4 });
    expect(hbf).toMatchObject({ writerSN: 8, lastFragmentNum: 5, count: 6 });
  });

  it('round-trips sequence numbers above 2^32', () => {
    const bytes = new MessageBuilder(PREFIX).heartbeat(0, 0x103, 2 ** 33 + 5, 2 ** 40 + 1, 1).finish();
    const parsed = parseMessage(bytes);
    expect(parsed.ok && parsed.message.submessages[0]).toMatchObject({
      firstSN: 2 ** 33 + 5,
      lastSN: 2 ** 40 + 1,
    });
  });

  it('round-trips a PL_CDR_LE parameter list with strings, locators and durations', () => {
    const payload = plPayload([
      { pid: PID.TOPIC_NAME, value: paramValue.string('rt/chatter') },
      {
        pid: PID.METATRAFFIC_UNICAST_LOCATOR,
        value: paramValue.locator({ kind: 1, port: 7410, address: '127.0.0.1' }),
      },
      { pid: PID.PARTICIPANT_LEASE_DURATION, value: paramValue.duration(10.5) },
    ]);
    const pl = parsePlPayload(payload);
    if (!pl) throw new Error('unparsed');
    expect(readParam.string(pl.params[0]!.value, true)).toBe('rt/chatter');
    expect(readParam.locator(pl.params[1]!.value, true)).toEqual({
      kind: 1,
      port: 7410,
      address: '127.0.0.1',
    });
    expect(readParam.duration(pl.params[2]!.value, true)).toBeCloseTo(10.5, 6);
  });

  it('rejects, with a reason, datagrams that are not RTPS or lie about lengths', () => {
    expect(parseMessage(new Uint8Array(3))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/shorter/),
    });
    const notRtps = sampleDatagram();
    notRtps[0] = 0x51;
    expect(parseMessage(notRtps)).toMatchObject({ ok: false, reason: expect.stringMatching(/RTPS/) });
    const lying = sampleDatagram();
    // First submessage (INFO_DST) claims 0xfff0 bytes.
    lying[22] = 0xf0;
    lying[23] = 0xff;
    expect(parseMessage(lying)).toMatchObject({ ok: false, reason: expect.stringMatching(/claims/) });
    const bits = new MessageBuilder(PREFIX).acknack(1, 2, 1, [], 1).finish().slice();
    // numBits field of the ACKNACK (header 20 + sub header 4 + ids 8 + base 8).
    new DataView(bits.buffer).setUint32(40, 100_000, true);
    expect(parseMessage(bits)).toMatchObject({ ok: false, reason: expect.stringMatching(/numBits/) });
  });

  it('never throws on random, truncated or bit-flipped datagrams (fuzz)', () => {
    const valid = sampleDatagram();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = parseMessage(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.nat(valid.length),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { maxLength: 8 }),
        (cut, flips) => {
          const bytes = valid.slice(0, Math.max(cut, 20));
          for (const [at, v] of flips) if (at >= 4 && at < bytes.length) bytes[at] = v;
          const r = parseMessage(bytes);
          if (r.ok) for (const s of r.message.submessages) expect(s.kind).toEqual(expect.any(String));
          else expect(r.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        const payload = new Uint8Array(4 + body.length);
        payload[1] = 3;
        payload.set(body, 4);
        const pl = parsePlPayload(payload);
        expect(pl === undefined || Array.isArray(pl.params)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('recognises the one-DATA datagram of a stream, with the fields parseMessage reads, and nothing else', () => {
    const payload = Uint8Array.from([0, 1, 0, 0, 5, 0, 0, 0, 104, 105, 0, 0]);
    const at: PlainDataAt = { readerId: 0, writerId: 0, writerSN: 0, payloadStart: 0 };
    const sn = 2 ** 32 + 9;
    for (const withTs of [true, false]) {
      const b = new MessageBuilder(PREFIX);
      if (withTs) b.infoTs(1_700_000_000_500);
      const bytes = b.data(0x00000107, 0x00001203, sn, payload).finish().slice();
      expect(peekPlainData(bytes, at)).toBe(true);
      expect(at).toEqual({ readerId: 0x107, writerId: 0x1203, writerSN: sn, payloadStart: withTs ? 56 : 44 });
      expect([...bytes.subarray(at.payloadStart)]).toEqual([...payload]);
    }
    // Anything else is left to parseMessage: inline QoS, INFO_DST, a second submessage, no payload.
    const others = [
      new MessageBuilder(PREFIX).data(0, 3, 1, payload, [{ pid: PID.KEY_HASH, value: new Uint8Array(16) }]),
      new MessageBuilder(PREFIX).infoDst(PREFIX).data(0, 3, 1, payload),
      new MessageBuilder(PREFIX).data(0, 3, 1, payload).heartbeat(0, 3, 1, 1, 1),
      new MessageBuilder(PREFIX).data(0, 3, 1, undefined),
      new MessageBuilder(PREFIX).heartbeat(0, 3, 1, 1, 1),
    ];
    for (const b of others) expect(peekPlainData(b.finish().slice(), at)).toBe(false);
  });

  it('accepts only datagrams that parseMessage parses to the same DATA (fuzz)', () => {
    const valid = new MessageBuilder(PREFIX)
      .infoTs(1_700_000_000_500)
      .data(0, 0x00001203, 77, Uint8Array.from([0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]))
      .finish()
      .slice();
    const at: PlainDataAt = { readerId: 0, writerId: 0, writerSN: 0, payloadStart: 0 };
    let accepted = 0;
    fc.assert(
      fc.property(
        // Half the cases keep the length (so most are accepted and compared), half cut or pad.
        fc.oneof(fc.constant(valid.length), fc.nat(valid.length + 8)),
        fc.array(fc.tuple(fc.nat(valid.length + 7), fc.nat(255)), { maxLength: 6 }),
        (size, flips) => {
          const bytes = new Uint8Array(Math.max(size, 20));
          bytes.set(valid.subarray(0, bytes.length));
          for (const [i, v] of flips) if (i >= 4 && i < bytes.length) bytes[i] = v;
          if (!peekPlainData(bytes, at)) return;
          accepted++;
          const r = parseMessage(bytes);
          if (!r.ok) throw new Error(`peekPlainData accepted what parseMessage refuses: ${r.reason}`);
          const subs = r.message.submessages.filter((s) => s.kind !== 'infoTs');
          expect(subs).toHaveLength(1);
          expect(subs[0]).toMatchObject({
            kind: 'data',
            readerId: at.readerId,
            writerId: at.writerId,
            writerSN: at.writerSN,
            inlineQos: undefined,
            keyFlag: false,
          });
          const data = subs[0] as { payload: Uint8Array };
          expect([...data.payload]).toEqual([...bytes.subarray(at.payloadStart)]);
        },
      ),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(500); // the comparison above really ran
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expect(typeof peekPlainData(bytes, at)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
