/**
 * A stateful RTPS reader (spec 8.4.10): one proxy per matched writer, in-order delivery for
 * reliable writers (out-of-order samples wait for the gap to fill), ACKNACK in answer to
 * HEARTBEAT, NACK_FRAG for partly received fragmented samples, GAP handling, and reassembly
 * of DATA_FRAG with bounded memory.
 */
import type { QosProfile } from '../Transport.ts';
import type { ParticipantLink } from './RtpsWriter.ts';
import type {
  DataFragSubmessage,
  DataSubmessage,
  GapSubmessage,
  HeartbeatSubmessage,
  Locator,
  Parameter,
} from './wire.ts';
import { MAX_SET_BITS, MessageBuilder, stripPadding } from './wire.ts';

export interface SampleInfo {
  /** GUID key of the writer (24 hex prefix + 8 hex entity id). */
  writerKey: string;
  writerPrefix: Uint8Array;
  writerEntityId: number;
  sn: number;
  inlineQos: Parameter[] | undefined;
}

export type SampleHandler = (payload: Uint8Array | undefined, info: SampleInfo) => void;

interface Assembly {
  buf: Uint8Array;
  fragSize: number;
  got: Uint8Array;
  remaining: number;
  inlineQos: Parameter[] | undefined;
}

export interface WriterProxy {
  prefix: Uint8Array;
  entityId: number;
  locators: Locator[];
  reliable: boolean;
  transientLocal: boolean;
  /** Next SN to deliver. */
  next: number;
  synced: boolean;
  /** Out-of-order samples (null: irrelevant, from a GAP). */
  pending: Map<number, { payload: Uint8Array | undefined; inlineQos: Parameter[] | undefined } | null>;
  frags: Map<number, Assembly>;
  lastHbCount: number;
  ackCount: number;
  nackFragCount: number;
  /** Highest SN received from this writer (DATA, DATA_FRAG or GAP); 0 before any. */
  highestSeen: number;
  /** `highestSeen` when the last heartbeat was answered. */
  highestAtLastHb: number;
  /** Highest SN a heartbeat announced. */
  announced: number;
  /** `highestSeen` at the previous tick: unchanged means nothing arrived for a whole tick. */
  highestAtLastTick: number;
  /** A tick asked for the missing samples since the last heartbeat or arrival: once is enough. */
  tickAsked: boolean;
}

/** Out-of-order samples kept per writer before the oldest are given up. */
const MAX_PENDING = 1024;
/** Fragmented samples being reassembled per writer at once. */
const MAX_ASSEMBLIES = 8;

export interface ReaderStats {
  /** Fragmented samples refused: too big, inconsistent fragment sizes, too many at once. */
  fragmentsRejected: number;
  /** Samples skipped because the writer no longer had them (GAP or heartbeat moved past). */
  samplesLost: number;
}

export class RtpsReader {
  readonly writers = new Map<string, WriterProxy>();
  readonly stats: ReaderStats = { fragmentsRejected: 0, samplesLost: 0 };
  readonly #link: ParticipantLink;

  constructor(
    link: ParticipantLink,
    readonly entityId: number,
    readonly topic: string,
    readonly type: string,
    readonly qos: QosProfile,
    readonly onSample: SampleHandler,
    /** Largest fragmented sample accepted, bytes. */
    readonly maxSampleBytes: number,
  ) {
    this.#link = link;
  }

  matchWriter(
    key: string,
    w: {
      prefix: Uint8Array;
      entityId: number;
      locators: Locator[];
      reliable: boolean;
      transientLocal: boolean;
    },
  ): void {
    if (this.writers.has(key)) return;
    const proxy: WriterProxy = {
      ...w,
      reliable: w.reliable && this.qos.reliability === 'reliable',
      next: 1,
      synced: false,
      pending: new Map(),
      frags: new Map(),
      lastHbCount: -1,
      ackCount: 0,
      nackFragCount: 0,
      highestSeen: 0,
      highestAtLastHb: -1,
      announced: 0,
      highestAtLastTick: 0,
      tickAsked: false,
    };
    this.writers.set(key, proxy);
    // A pre-emptive ACKNACK (nothing acknowledged, nothing asked) makes the writer heartbeat.
    if (proxy.reliable) this.#sendAckNack(proxy, 1, [], false);
  }

  unmatchWriter(key: string): void {
    this.writers.delete(key);
  }

  onData(key: string, sub: DataSubmessage): void {
    const proxy = this.writers.get(key);
    if (!proxy) return;
    if (sub.writerSN > proxy.highestSeen) proxy.highestSeen = sub.writerSN;
    this.#accept(key, proxy, sub.writerSN, sub.payload, sub.inlineQos);
  }

  onDataFrag(key: string, sub: DataFragSubmessage): void {
    const proxy = this.writers.get(key);
    if (proxy && sub.writerSN > proxy.highestSeen) proxy.highestSeen = sub.writerSN;
    if (!proxy || sub.writerSN < proxy.next || proxy.pending.has(sub.writerSN)) return;
    let asm = proxy.frags.get(sub.writerSN);
    if (!asm) {
      if (sub.sampleSize > this.maxSampleBytes || sub.sampleSize < 4 || proxy.frags.size >= MAX_ASSEMBLIES) {
        this.stats.fragmentsRejected++;
        return;
      }
      const total = Math.ceil(sub.sampleSize / sub.fragmentSize);
      asm = {
        buf: new Uint8Array(sub.sampleSize),
        fragSize: sub.fragmentSize,
        got: new Uint8Array(total),
        remaining: total,
        inlineQos: sub.inlineQos,
      };
      proxy.frags.set(sub.writerSN, asm);
    }
    if (asm.fragSize !== sub.fragmentSize || asm.buf.length !== sub.sampleSize) {
      this.stats.fragmentsRejected++;
      return;
    }
    for (let i = 0; i < sub.fragmentsInSubmessage; i++) {
      const n = sub.fragmentStartingNum + i; // 1-based
      if (n > asm.got.length) break;
      const from = i * asm.fragSize;
      const len = Math.min(asm.fragSize, asm.buf.length - (n - 1) * asm.fragSize);
      if (from + len > sub.fragments.length) break;
      if (asm.got[n - 1]) continue;
      asm.buf.set(sub.fragments.subarray(from, from + len), (n - 1) * asm.fragSize);
      asm.got[n - 1] = 1;
      asm.remaining--;
    }
    if (asm.remaining === 0) {
      proxy.frags.delete(sub.writerSN);
      this.#accept(key, proxy, sub.writerSN, asm.buf, asm.inlineQos);
    }
  }

  #accept(
    key: string,
    proxy: WriterProxy,
    sn: number,
    payload: Uint8Array | undefined,
    inlineQos: Parameter[] | undefined,
  ): void {
    if (!proxy.synced) {
      proxy.synced = true;
      // A volatile reader starts with the first sample it sees from a writer.
      if (this.qos.durability === 'volatile' || !proxy.reliable) proxy.next = sn;
    }
    if (sn < proxy.next) return;
    if (!proxy.reliable) {
      proxy.next = sn + 1;
      this.#deliver(key, proxy, sn, payload, inlineQos);
      return;
    }
    if (sn > proxy.next) {
      if (proxy.pending.size < MAX_PENDING) proxy.pending.set(sn, { payload, inlineQos });
      return;
    }
    proxy.next = sn + 1;
    this.#deliver(key, proxy, sn, payload, inlineQos);
    this.#drain(key, proxy);
  }

  #drain(key: string, proxy: WriterProxy): void {
    for (;;) {
      if (!proxy.pending.has(proxy.next)) return;
      const s = proxy.pending.get(proxy.next);
      proxy.pending.delete(proxy.next);
      const sn = proxy.next++;
      proxy.frags.delete(sn);
      if (s) this.#deliver(key, proxy, sn, s.payload, s.inlineQos);
    }
  }

  #deliver(
    key: string,
    proxy: WriterProxy,
    sn: number,
    payload: Uint8Array | undefined,
    inlineQos: Parameter[] | undefined,
  ): void {
    this.onSample(payload && stripPadding(payload), {
      writerKey: key,
      writerPrefix: proxy.prefix,
      writerEntityId: proxy.entityId,
      sn,
      inlineQos,
    });
  }

  /** Moves `next` up to `sn`, counting what was skipped, and delivers what then follows in order. */
  #skipTo(key: string, proxy: WriterProxy, sn: number): void {
    if (sn <= proxy.next) return;
    for (const k of proxy.pending.keys()) if (k < sn) proxy.pending.delete(k);
    for (const k of proxy.frags.keys()) if (k < sn) proxy.frags.delete(k);
    if (proxy.synced) this.stats.samplesLost += sn - proxy.next;
    proxy.next = sn;
    this.#drain(key, proxy);
  }

  onGap(key: string, gap: GapSubmessage): void {
    const proxy = this.writers.get(key);
    if (!proxy?.reliable) return;
    if (gap.gapStart <= proxy.next && gap.listBase > proxy.next) {
      for (const k of proxy.pending.keys()) if (k < gap.listBase) proxy.pending.delete(k);
      proxy.next = gap.listBase;
    } else if (gap.gapStart > proxy.next && gap.listBase - gap.gapStart <= MAX_SET_BITS) {
      for (let sn = gap.gapStart; sn < gap.listBase; sn++) proxy.pending.set(sn, null);
    }
    for (const sn of gap.listed) if (sn >= proxy.next) proxy.pending.set(sn, null);
    proxy.synced = true;
    this.#drain(key, proxy);
  }

  onHeartbeat(key: string, hb: HeartbeatSubmessage): void {
    const proxy = this.writers.get(key);
    if (!proxy?.reliable || hb.count <= proxy.lastHbCount) return;
    proxy.lastHbCount = hb.count;
    if (hb.lastSN < hb.firstSN - 1) return; // inconsistent: ignore
    if (!proxy.synced) {
      proxy.synced = true;
      // Volatile readers do not want what a transient-local writer kept from before they matched.
      if (this.qos.durability === 'volatile' && proxy.transientLocal) proxy.next = hb.lastSN + 1;
      else proxy.next = Math.max(proxy.next, hb.firstSN);
    }
    if (hb.firstSN > proxy.next) this.#skipTo(key, proxy, hb.firstSN);
    if (hb.lastSN > proxy.announced) proxy.announced = hb.lastSN;
    proxy.tickAsked = false;
    // Samples past the highest one seen may still be on their way (or queued in our socket while
    // we catch up): asking for them again would double the load just when we are behind. Ask
    // for that tail only when nothing new arrived between two heartbeats (it was really lost),
    // or (tick) when nothing arrived for a whole tick.
    const progressed = proxy.highestSeen > 0 && proxy.highestSeen !== proxy.highestAtLastHb;
    proxy.highestAtLastHb = proxy.highestSeen;
    this.#requestMissing(proxy, progressed ? Math.min(hb.lastSN, proxy.highestSeen) : hb.lastSN, !hb.final);
  }

  /**
   * Asks the writer for what is missing up to `upTo` (ACKNACK, NACK_FRAG for partly received
   * samples); an ACKNACK goes out anyway when `always`.
   */
  #requestMissing(proxy: WriterProxy, upTo: number, always: boolean): void {
    const missing: number[] = [];
    const partial: number[] = [];
    const top = Math.min(upTo, proxy.next + MAX_SET_BITS - 1);
    for (let sn = proxy.next; sn <= top; sn++) {
      if (proxy.pending.has(sn)) continue;
      if (proxy.frags.has(sn)) partial.push(sn);
      else missing.push(sn);
    }
    for (const sn of partial) this.#sendNackFrag(proxy, sn);
    if (always || missing.length > 0 || partial.length > 0) {
      this.#sendAckNack(proxy, proxy.next, missing, missing.length === 0);
    }
  }

  /**
   * Periodic work (the participant's tick): a writer that announced samples we still lack, and
   * from which nothing arrived for a whole tick, is asked for them now rather than at its next
   * heartbeat (Cyclone's come about every 100 ms once a burst ends), so the last samples of a
   * burst lost in our socket are repaired within a tick or two.
   */
  tick(): void {
    for (const proxy of this.writers.values()) {
      if (!proxy.reliable) continue;
      const quiet = proxy.highestSeen === proxy.highestAtLastTick;
      proxy.highestAtLastTick = proxy.highestSeen;
      if (!quiet) proxy.tickAsked = false;
      else if (!proxy.tickAsked && proxy.announced >= proxy.next) {
        proxy.tickAsked = true;
        this.#requestMissing(proxy, proxy.announced, false);
      }
    }
  }

  #sendAckNack(proxy: WriterProxy, base: number, missing: number[], final: boolean): void {
    const b = new MessageBuilder(this.#link.guidPrefix, 96).infoDst(proxy.prefix);
    b.acknack(this.entityId, proxy.entityId, base, missing, ++proxy.ackCount, final);
    this.#link.send(b.finish(), proxy.locators);
  }

  #sendNackFrag(proxy: WriterProxy, sn: number): void {
    const asm = proxy.frags.get(sn);
    if (!asm) return;
    const missing: number[] = [];
    for (let i = 0; i < asm.got.length && missing.length < MAX_SET_BITS; i++) {
      if (!asm.got[i]) {
        if (missing.length > 0 && i + 1 - missing[0]! >= MAX_SET_BITS) break;
        missing.push(i + 1);
      }
    }
    if (missing.length === 0) return;
    const b = new MessageBuilder(this.#link.guidPrefix, 96).infoDst(proxy.prefix);
    b.nackFrag(this.entityId, proxy.entityId, sn, missing, ++proxy.nackFragCount);
    this.#link.send(b.finish(), proxy.locators);
  }
}
