/**
 * A stateful RTPS writer (spec 8.4.9): a history cache, one proxy per matched reader, DATA or
 * DATA_FRAG to each, HEARTBEATs while a reliable reader has not acknowledged everything, and
 * resends (or GAPs for what history no longer holds) on ACKNACK and NACK_FRAG.
 *
 * Submessages for a reader are batched for the rest of the event-loop turn and go out as one
 * datagram (up to the fragment size), with a heartbeat piggybacked when one is due: a burst of
 * writes costs a few socket sends instead of one per sample (dgram.send dominated the profile).
 */
import type { QosProfile } from '../Transport.ts';
import type { AckNackSubmessage, Locator, NackFragSubmessage, Parameter } from './wire.ts';
import { MessageBuilder } from './wire.ts';

/** What a writer or reader needs from its participant. */
export interface ParticipantLink {
  readonly guidPrefix: Uint8Array;
  /** Largest payload sent as one DATA; bigger ones go as DATA_FRAG of this many bytes each. */
  readonly fragmentSize: number;
  send(datagram: Uint8Array, locators: readonly Locator[]): void;
}

export interface Change {
  sn: number;
  payload: Uint8Array | undefined;
  inlineQos: Parameter[] | undefined;
}

export interface ReaderProxy {
  prefix: Uint8Array;
  entityId: number;
  locators: Locator[];
  reliable: boolean;
  /** Every SN below this is acknowledged (or not for this reader: before it matched). */
  ackedBelow: number;
  /** The first SN this reader is meant to get. */
  startSN: number;
  lastAckCount: number;
  lastNackFragCount: number;
  /** A heartbeat is owed at the next tick (the reader asked, or just matched). */
  hbDue: boolean;
  lastHbMs: number;
  /** Submessages for this reader written during this event-loop turn, sent as one datagram. */
  batch: MessageBuilder | undefined;
  /** The INFO_TS last put in `batch`, ms (a new one only when the clock moved). */
  batchTsMs: number;
}

/** A sample handed to a reader of the same participant, without the network. */
export type LocalDelivery = (change: Change, writerKey: string) => void;

/** Reliable writers heartbeat a lagging reader this often. */
const HEARTBEAT_PERIOD_MS = 100;
/** A newly matched reliable reader is heartbeated this often until it first acknacks. */
const UNANSWERED_HEARTBEAT_PERIOD_MS = 40;
/** Unacknowledged samples kept beyond the depth at most; past it the oldest is dropped (and counted). */
const UNACKED_LIMIT = 10_000;
/** Fragments sent back to back before yielding to the event loop, so receive buffers can drain. */
const FRAGMENT_BURST = 8;
/**
 * A batch gets a heartbeat piggybacked when the last one to that reader is at least this old:
 * prompt acknowledgements (so history trims) without an ACKNACK per sample at high rates.
 */
const PIGGYBACK_HEARTBEAT_MS = 5;
/** ... or when this many samples to that reader are unacknowledged. */
const BACKLOG_HEARTBEAT_SAMPLES = 256;

export class RtpsWriter {
  readonly readers = new Map<string, ReaderProxy>();
  readonly localReaders = new Map<string, LocalDelivery>();
  /** Samples dropped from a full keep_all history before every reader acknowledged them. */
  dropped = 0;
  #sn = 0;
  readonly #history = new Map<number, Change>();
  #hbCount = 0;
  readonly #fragQueue: {
    change: Change;
    proxy: ReaderProxy;
    fragmentNumbers: number[];
    next: number;
    initial: boolean;
  }[] = [];
  readonly #link: ParticipantLink;
  readonly #key: string;
  /** The SN write() is handing to the readers right now, 0 otherwise. */
  #writing = 0;
  /** Proxies with a batch to send at the end of this turn. */
  readonly #dirty: ReaderProxy[] = [];
  readonly #flush = () => {
    for (const proxy of this.#dirty.splice(0)) this.#flushBatch(proxy);
  };

  constructor(
    link: ParticipantLink,
    readonly entityId: number,
    readonly topic: string,
    readonly type: string,
    readonly qos: QosProfile,
    key: string,
    /** Builtin keyed writers (SEDP) keep one change per instance instead of a depth. */
    readonly keyed = false,
  ) {
    this.#link = link;
    this.#key = key;
  }

  get lastSN(): number {
    return this.#sn;
  }

  get firstSN(): number {
    for (const sn of this.#history.keys()) return sn;
    return this.#sn + 1;
  }

  /** Writes a sample: stored, sent to every matched reader. Returns its sequence number. */
  write(payload: Uint8Array | undefined, inlineQos?: Parameter[]): number {
    const change: Change = { sn: ++this.#sn, payload, inlineQos };
    this.#history.set(change.sn, change);
    this.#trim();
    for (const deliver of this.localReaders.values()) deliver(change, this.#key);
    // While it is being batched, this change is not announced: a batch that fills up meanwhile
    // goes out with a heartbeat, and the change is not in it yet.
    this.#writing = change.sn;
    for (const proxy of this.readers.values()) this.#sendChange(change, proxy, true);
    this.#writing = 0;
    return change.sn;
  }

  /** Removes a change from history (a keyed writer replacing or disposing an instance). */
  forget(sn: number): void {
    this.#history.delete(sn);
  }

  /** Changes a transient-local late joiner gets, oldest first. */
  history(): Change[] {
    return this.#retained();
  }

  /**
   * Drops samples beyond the history depth, but (as Cyclone's writer history does) keeps those a
   * reliable reader has not yet acknowledged, up to a hard cap: a burst longer than the depth
   * still arrives whole. keep_all keeps everything unacknowledged, up to the same cap.
   */
  #trim(): void {
    if (this.keyed) return;
    const depth = this.qos.history === 'keep_all' ? 0 : Math.max(1, this.qos.depth);
    let minAcked = this.#sn + 1;
    for (const p of this.readers.values()) if (p.reliable) minAcked = Math.min(minAcked, p.ackedBelow);
    while (this.#history.size > depth) {
      const oldest = this.#history.keys().next().value as number;
      if (oldest >= minAcked) {
        if (this.#history.size <= UNACKED_LIMIT) return;
        this.dropped++;
      }
      this.#history.delete(oldest);
    }
  }

  /** The last `depth` changes: what a transient-local late joiner gets. */
  #retained(): Change[] {
    const all = [...this.#history.values()];
    return this.keyed || this.qos.history === 'keep_all' ? all : all.slice(-Math.max(1, this.qos.depth));
  }

  matchReader(
    key: string,
    proxy: Omit<
      ReaderProxy,
      | 'ackedBelow'
      | 'startSN'
      | 'lastAckCount'
      | 'lastNackFragCount'
      | 'hbDue'
      | 'lastHbMs'
      | 'batch'
      | 'batchTsMs'
    >,
    transientLocal: boolean,
  ): void {
    if (this.readers.has(key)) return;
    const startSN = transientLocal ? 1 : this.#sn + 1;
    const full: ReaderProxy = {
      ...proxy,
      ackedBelow: startSN,
      startSN,
      lastAckCount: -1,
      lastNackFragCount: -1,
      hbDue: true,
      lastHbMs: 0,
      batch: undefined,
      batchTsMs: 0,
    };
    this.readers.set(key, full);
    if (transientLocal) {
      const retained = this.#retained();
      full.startSN = full.ackedBelow = retained[0]?.sn ?? this.#sn + 1;
      for (const change of retained) this.#sendChange(change, full, false);
    }
    if (full.reliable) this.#sendHeartbeat(full, Date.now());
  }

  unmatchReader(key: string): void {
    if (this.readers.delete(key)) this.#trim();
  }

  /**
   * Samples written that the slowest reliable reader has not acknowledged yet. A publisher that
   * floods can wait while this is high, as a DDS writer blocks on a full history
   * (max_blocking_time): past the history's hard cap the oldest unacknowledged sample is dropped.
   */
  get unacknowledged(): number {
    let minAcked = this.#sn + 1;
    for (const p of this.readers.values()) if (p.reliable) minAcked = Math.min(minAcked, p.ackedBelow);
    return this.#sn + 1 - minAcked;
  }

  /** True when every reliable reader has acknowledged everything written so far. */
  allAcknowledged(): boolean {
    for (const p of this.readers.values()) if (p.reliable && p.ackedBelow <= this.#sn) return false;
    return true;
  }

  #sendChange(change: Change, proxy: ReaderProxy, withTimestamp: boolean): void {
    if (change.sn < proxy.startSN) return;
    const size = change.payload?.length ?? 0;
    const fragSize = this.#link.fragmentSize;
    if (size <= fragSize && this.#fragQueue.length > 0) {
      // Behind a fragmented sample still going out: keep the order.
      this.#fragQueue.push({ change, proxy, fragmentNumbers: [], next: 0, initial: true });
      return;
    }
    if (size <= fragSize) {
      const b = this.#batchFor(proxy, 64 + size + (change.inlineQos ? 64 : 0));
      if (withTimestamp) {
        const now = Date.now();
        if (now !== proxy.batchTsMs) {
          b.infoTs(now);
          proxy.batchTsMs = now;
        }
      }
      b.data(proxy.entityId, this.entityId, change.sn, change.payload, change.inlineQos);
      return;
    }
    // Fragments go out in their own datagrams: what is batched for this reader goes first.
    this.#flushBatch(proxy);
    const total = Math.ceil(size / fragSize);
    this.#sendFragments(
      change,
      proxy,
      Array.from({ length: total }, (_, i) => i + 1),
      withTimestamp,
    );
  }

  /**
   * The builder of `proxy`'s batch, with room for `bytes` more: a batch that would outgrow one
   * datagram (the fragment size) is sent first. Batches are sent at the end of the current
   * event-loop turn (a microtask), so a burst of writes costs a few sends, not one per sample,
   * and a lone write waits for nothing.
   */
  #batchFor(proxy: ReaderProxy, bytes: number): MessageBuilder {
    if (proxy.batch && proxy.batch.length + bytes > this.#link.fragmentSize) this.#flushBatch(proxy);
    if (!proxy.batch) {
      proxy.batch = new MessageBuilder(
        this.#link.guidPrefix,
        Math.min(this.#link.fragmentSize, 4 * bytes + 64),
      );
      proxy.batch.infoDst(proxy.prefix);
      proxy.batchTsMs = 0;
      if (this.#dirty.length === 0) queueMicrotask(this.#flush);
      this.#dirty.push(proxy);
    }
    return proxy.batch;
  }

  #flushBatch(proxy: ReaderProxy): void {
    const b = proxy.batch;
    if (!b) return;
    proxy.batch = undefined;
    if (proxy.reliable && proxy.ackedBelow <= this.#sn) {
      const now = Date.now();
      // Sooner when much is unacknowledged, so a flood's history (and its writer's wait) stays short.
      const backlog = this.#sn - proxy.ackedBelow >= BACKLOG_HEARTBEAT_SAMPLES;
      if (backlog || now - proxy.lastHbMs >= PIGGYBACK_HEARTBEAT_MS) this.#appendHeartbeat(b, proxy, now);
    }
    this.#link.send(b.finish(), proxy.locators);
  }

  /**
   * Queues the listed (1-based) fragments of a change. Fragmented samples go out one after the
   * other, never interleaved, a burst per event-loop turn: a receiver reassembles one sample at a
   * time in bounded buffers (Cyclone's is 1 MiB by default), and its socket buffer can drain.
   */
  #sendFragments(change: Change, proxy: ReaderProxy, fragmentNumbers: number[], initial: boolean): void {
    this.#fragQueue.push({ change, proxy, fragmentNumbers, next: 0, initial });
    if (this.#fragQueue.length === 1) this.#drainFragments();
  }

  #drainFragments(): void {
    const fragSize = this.#link.fragmentSize;
    let budget = FRAGMENT_BURST;
    while (budget > 0 && this.#fragQueue.length > 0) {
      const job = this.#fragQueue[0]!;
      const { change, proxy, fragmentNumbers } = job;
      const payload = change.payload!;
      if (!this.readers.has(guidOf(proxy))) job.next = fragmentNumbers.length; // unmatched meanwhile
      if (fragmentNumbers.length === 0) {
        this.#fragQueue.shift();
        if (this.readers.has(guidOf(proxy))) this.#sendChange(change, proxy, true);
        budget--;
        continue;
      }
      for (; budget > 0 && job.next < fragmentNumbers.length; budget--, job.next++) {
        const n = fragmentNumbers[job.next]!;
        const bytes = payload.subarray((n - 1) * fragSize, Math.min(payload.length, n * fragSize));
        const b = new MessageBuilder(this.#link.guidPrefix, 96 + bytes.length).infoDst(proxy.prefix);
        b.dataFrag(
          proxy.entityId,
          this.entityId,
          change.sn,
          n,
          fragSize,
          payload.length,
          bytes,
          change.inlineQos,
        );
        if (job.next === fragmentNumbers.length - 1 && proxy.reliable) {
          const first = Math.max(this.firstSN, proxy.startSN);
          b.heartbeat(
            proxy.entityId,
            this.entityId,
            first,
            this.#announcedSN(change.sn),
            ++this.#hbCount,
            true,
          );
        }
        this.#link.send(b.finish(), proxy.locators);
      }
      if (job.next >= fragmentNumbers.length) this.#fragQueue.shift();
    }
    if (this.#fragQueue.length > 0) setImmediate(() => this.#drainFragments());
  }

  /**
   * The last SN a heartbeat may announce: none still waiting in the send queue. A reader told of
   * a sample before it was sent may take it as one it missed (Cyclone's volatile readers skip
   * everything up to the first heartbeat they see).
   */
  #announcedSN(atLeast = 0): number {
    let last = this.#sn;
    for (const job of this.#fragQueue) {
      if (job.initial && job.change.sn > atLeast) last = Math.min(last, job.change.sn - 1);
    }
    return last;
  }

  #sendHeartbeat(proxy: ReaderProxy, nowMs: number): void {
    this.#appendHeartbeat(this.#batchFor(proxy, 32), proxy, nowMs);
  }

  #appendHeartbeat(b: MessageBuilder, proxy: ReaderProxy, nowMs: number): void {
    proxy.hbDue = false;
    proxy.lastHbMs = nowMs;
    const last = this.#writing > 0 ? Math.min(this.#announcedSN(), this.#writing - 1) : this.#announcedSN();
    b.heartbeat(
      proxy.entityId,
      this.entityId,
      Math.min(Math.max(this.firstSN, proxy.startSN), last + 1),
      last,
      ++this.#hbCount,
    );
  }

  onAckNack(readerKey: string, an: AckNackSubmessage): void {
    const proxy = this.readers.get(readerKey);
    if (!proxy || an.count <= proxy.lastAckCount) return;
    proxy.lastAckCount = an.count;
    if (an.base > proxy.ackedBelow) {
      proxy.ackedBelow = Math.min(an.base, this.#sn + 1);
      this.#trim();
    }
    const gaps: number[] = [];
    for (const sn of an.missing) {
      if (sn > this.#sn) break;
      const change = this.#history.get(sn);
      if (change && sn >= proxy.startSN) this.#sendChange(change, proxy, false);
      else gaps.push(sn);
    }
    if (gaps.length > 0) {
      this.#batchFor(proxy, 64).gap(proxy.entityId, this.entityId, gaps[0]!, gaps[0]! + 1, gaps.slice(1));
    }
    if (an.missing.length > 0 || (!an.final && proxy.ackedBelow <= this.#sn)) proxy.hbDue = true;
  }

  onNackFrag(readerKey: string, nf: NackFragSubmessage): void {
    const proxy = this.readers.get(readerKey);
    if (!proxy || nf.count <= proxy.lastNackFragCount) return;
    proxy.lastNackFragCount = nf.count;
    const change = this.#history.get(nf.writerSN);
    if (!change?.payload) return;
    const total = Math.ceil(change.payload.length / this.#link.fragmentSize);
    const wanted = nf.missing.filter((n) => n >= 1 && n <= total);
    if (wanted.length > 0) this.#sendFragments(change, proxy, wanted, false);
  }

  /** Periodic work: heartbeats to reliable readers that owe an acknowledgement. */
  tick(nowMs: number): void {
    for (const proxy of this.readers.values()) {
      if (!proxy.reliable) continue;
      const lagging = proxy.ackedBelow <= this.#sn;
      // Until the reader first answers, it may not know us yet and have dropped our heartbeat.
      const unanswered = proxy.lastAckCount < 0 && nowMs - proxy.lastHbMs >= UNANSWERED_HEARTBEAT_PERIOD_MS;
      if (proxy.hbDue || unanswered || (lagging && nowMs - proxy.lastHbMs >= HEARTBEAT_PERIOD_MS)) {
        this.#sendHeartbeat(proxy, nowMs);
      }
    }
  }
}

function guidOf(proxy: ReaderProxy): string {
  let s = '';
  for (const b of proxy.prefix) s += b.toString(16).padStart(2, '0');
  return s + (proxy.entityId >>> 0).toString(16).padStart(8, '0');
}
