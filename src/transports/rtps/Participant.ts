/**
 * A DDS-RTPS domain participant over Node's `dgram`: SPDP participant discovery (multicast
 * and unicast peers, lease expiry), SEDP endpoint discovery over the reliable builtin
 * endpoints, QoS matching, and dispatch of received submessages to writers and readers.
 *
 *   const p = await Participant.create({ domainId: 0 });
 *   const w = p.createWriter('rt/chatter', 'std_msgs::msg::dds_::String_', QOS_DEFAULT);
 *   w.write(cdrBytes);
 *
 * Ports follow the spec's formula (9.6.1.1): PB 7400, DG 250, PG 2, d0 0, d1 10, d2 1, d3 11.
 * Multicast traffic is sent with TTL 0 (never routed off this host); turn multicast off and list
 * `peers` to discover by unicast only.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { IncompatibleQosEvent, QosProfile } from '../Transport.ts';
import { checkMatch, qosFromParameters, qosParameters } from './qos.ts';
import { RtpsReader, type SampleHandler } from './RtpsReader.ts';
import { type Change, type ParticipantLink, RtpsWriter } from './RtpsWriter.ts';
import {
  BUILTIN_ENDPOINT,
  type DataSubmessage,
  ENTITY_KIND,
  ENTITYID,
  guidBytes,
  guidKey,
  hex,
  LOCATOR_KIND_UDPV4,
  type Locator,
  type Message,
  MessageBuilder,
  type Parameter,
  PID,
  type PlainDataAt,
  PROTOCOL_VERSION,
  paramValue,
  parseMessage,
  parsePlPayload,
  peekPlainData,
  plPayload,
  readParam,
  splitGuid,
  VENDOR_ID,
} from './wire.ts';

export const SPDP_MULTICAST_ADDRESS = '239.255.0.1';

/** Standard RTPS port numbers for a domain and participant index. */
export function rtpsPorts(domainId: number, participantId: number) {
  const base = 7400 + 250 * domainId;
  return {
    spdpMulticast: base,
    userMulticast: base + 1,
    metaUnicast: base + 10 + 2 * participantId,
    userUnicast: base + 11 + 2 * participantId,
  };
}

export interface ParticipantOptions {
  /** DDS domain id, 0..232 (ROS_DOMAIN_ID). @default 0 */
  domainId?: number;
  /** Join 239.255.0.1 and announce there. Off: discover only through `peers`. @default true */
  multicast?: boolean;
  /** Unicast addresses to announce to (ports of participant indexes 0..maxParticipantIndex). @default [] */
  peers?: string[];
  /** The unicast IPv4 address this participant advertises and sends multicast from. @default '127.0.0.1' */
  address?: string;
  /** How long peers keep us without hearing from us, seconds. @default 10 */
  leaseDurationSeconds?: number;
  /** SPDP announcement period, ms; keep it well under the lease. @default 1000 */
  announcePeriodMs?: number;
  /** Highest participant index probed at each unicast peer. @default 9 */
  maxParticipantIndex?: number;
  /** Payloads larger than this are sent as DATA_FRAG of this size, bytes. @default 16000 */
  fragmentSize?: number;
  /** Largest fragmented sample accepted from a peer, bytes (hostile sampleSize guard). @default 64 MiB */
  maxSampleBytes?: number;
  /** ROS 2 security enclave, announced as USER_DATA `enclave=<enclave>;`. @default '/' */
  enclave?: string;
}

export interface RemoteParticipant {
  key: string;
  prefix: Uint8Array;
  vendorId: number;
  metaLocators: Locator[];
  userLocators: Locator[];
  builtinEndpoints: number;
  leaseMs: number;
  lastSeenMs: number;
  userData: string;
}

export interface RemoteEndpoint {
  key: string;
  participantKey: string;
  prefix: Uint8Array;
  entityId: number;
  isWriter: boolean;
  topic: string;
  type: string;
  qos: QosProfile;
  locators: Locator[];
}

export interface ParticipantStats {
  datagramsReceived: number;
  /** Datagrams dropped as malformed, truncated or hostile. */
  datagramsDropped: number;
  lastDropReason: string;
  datagramsSent: number;
  sendErrors: number;
}

interface LocalEndpointMeta {
  onIncompatibleQos: ((e: IncompatibleQosEvent) => void) | undefined;
  incompatibleCount: number;
  /** SN of this endpoint's SEDP announcement in the builtin writer's history. */
  sedpSN: number;
}

export interface LocalWriter extends RtpsWriter {}
export interface LocalReader extends RtpsReader {}

export class Participant implements ParticipantLink {
  readonly guidPrefix: Uint8Array;
  readonly domainId: number;
  readonly participantId: number;
  readonly fragmentSize: number;
  readonly stats: ParticipantStats = {
    datagramsReceived: 0,
    datagramsDropped: 0,
    lastDropReason: '',
    datagramsSent: 0,
    sendErrors: 0,
  };
  readonly participants = new Map<string, RemoteParticipant>();
  readonly remoteEndpoints = new Map<string, RemoteEndpoint>();
  /** Called when a remote participant or endpoint appears or goes. */
  onGraphChange: (() => void) | undefined;

  readonly #opts: Required<ParticipantOptions>;
  readonly #sockets: dgram.Socket[];
  readonly #meta: dgram.Socket;
  readonly #user: dgram.Socket;
  readonly #userLocator: Locator;
  readonly #metaLocator: Locator;
  readonly #writers = new Map<number, RtpsWriter>();
  readonly #readers = new Map<number, RtpsReader>();
  readonly #meta_ = new Map<number, LocalEndpointMeta>();
  /** Writer GUID key -> local readers matched with it. */
  readonly #readersByWriter = new Map<string, Set<RtpsReader>>();
  readonly #sedpPubWriter: RtpsWriter;
  readonly #sedpSubWriter: RtpsWriter;
  readonly #sedpPubReader: RtpsReader;
  readonly #sedpSubReader: RtpsReader;
  #nextEntity = 1;
  #spdpSN = 0;
  #lastAnnounceMs = 0;
  #timer: NodeJS.Timeout;
  #destroyed = false;
  readonly #lastPrefix = new Uint8Array(12);
  /** `peekPlainData`'s answer for the datagram being received. */
  readonly #plain: PlainDataAt = { readerId: 0, writerId: 0, writerSN: 0, payloadStart: 0 };
  #lastPrefixHex: string | undefined;
  readonly #guidKeys = new Map<string, Map<number, string>>();
  /** Datagrams handed to the socket whose send callback has not run yet. */
  #inFlight = 0;
  #whenFlushed: (() => void) | undefined;

  private constructor(
    opts: Required<ParticipantOptions>,
    participantId: number,
    meta: dgram.Socket,
    user: dgram.Socket,
    multicastSockets: dgram.Socket[],
  ) {
    this.#opts = opts;
    this.domainId = opts.domainId;
    this.participantId = participantId;
    this.fragmentSize = opts.fragmentSize;
    this.guidPrefix = new Uint8Array(12);
    this.guidPrefix.set(VENDOR_ID, 0);
    this.guidPrefix.set(randomBytes(10), 2);
    this.#meta = meta;
    this.#user = user;
    this.#sockets = [meta, user, ...multicastSockets];
    const ports = rtpsPorts(opts.domainId, participantId);
    this.#metaLocator = { kind: LOCATOR_KIND_UDPV4, port: ports.metaUnicast, address: opts.address };
    this.#userLocator = { kind: LOCATOR_KIND_UDPV4, port: ports.userUnicast, address: opts.address };
    for (const s of this.#sockets) s.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo.address));

    const builtinQos: QosProfile = {
      reliability: 'reliable',
      durability: 'transient_local',
      history: 'keep_last',
      depth: 1,
    };
    const mk = (id: number, topic: string) =>
      new RtpsWriter(this, id, topic, '', builtinQos, guidKey(this.guidPrefix, id), true);
    this.#sedpPubWriter = mk(ENTITYID.SEDP_PUBLICATIONS_WRITER, 'DCPSPublication');
    this.#sedpSubWriter = mk(ENTITYID.SEDP_SUBSCRIPTIONS_WRITER, 'DCPSSubscription');
    const mkr = (id: number, topic: string) =>
      new RtpsReader(
        this,
        id,
        topic,
        '',
        builtinQos,
        (p, info) => this.#onSedp(p, info.inlineQos, topic === 'DCPSPublication'),
        1 << 20,
      );
    this.#sedpPubReader = mkr(ENTITYID.SEDP_PUBLICATIONS_READER, 'DCPSPublication');
    this.#sedpSubReader = mkr(ENTITYID.SEDP_SUBSCRIPTIONS_READER, 'DCPSSubscription');
    for (const w of [this.#sedpPubWriter, this.#sedpSubWriter]) this.#writers.set(w.entityId, w);
    for (const r of [this.#sedpPubReader, this.#sedpSubReader]) this.#readers.set(r.entityId, r);

    this.#timer = setInterval(() => this.#tick(), 20);
    this.#announce();
  }

  /** Binds the sockets (choosing the first free participant index) and starts announcing. */
  static async create(options: ParticipantOptions = {}): Promise<Participant> {
    const opts: Required<ParticipantOptions> = {
      domainId: options.domainId ?? 0,
      multicast: options.multicast ?? true,
      peers: options.peers ?? [],
      address: options.address ?? '127.0.0.1',
      leaseDurationSeconds: options.leaseDurationSeconds ?? 10,
      announcePeriodMs: options.announcePeriodMs ?? 1000,
      maxParticipantIndex: options.maxParticipantIndex ?? 9,
      fragmentSize: options.fragmentSize ?? 16000,
      maxSampleBytes: options.maxSampleBytes ?? 64 * 1024 * 1024,
      enclave: options.enclave ?? '/',
    };
    if (!Number.isInteger(opts.domainId) || opts.domainId < 0 || opts.domainId > 232) {
      throw new RangeError(`rtps: domainId must be an integer 0..232 (got ${opts.domainId})`);
    }
    if (opts.fragmentSize < 256 || opts.fragmentSize > 65000) {
      throw new RangeError(`rtps: fragmentSize must be 256..65000 bytes (got ${opts.fragmentSize})`);
    }
    for (let id = 0; id <= 119; id++) {
      const ports = rtpsPorts(opts.domainId, id);
      const meta = await bindUdp(ports.metaUnicast);
      if (!meta) continue;
      const user = await bindUdp(ports.userUnicast);
      if (!user) {
        meta.close();
        continue;
      }
      const mcast: dgram.Socket[] = [];
      try {
        if (opts.multicast) {
          for (const port of [ports.spdpMulticast, ports.userMulticast]) {
            const s = await bindUdp(port, true);
            if (!s) throw new Error(`rtps: cannot bind multicast port ${port}`);
            mcast.push(s);
            try {
              s.addMembership(SPDP_MULTICAST_ADDRESS, opts.address);
            } catch (err) {
              throw new Error(
                `rtps: cannot join ${SPDP_MULTICAST_ADDRESS} on ${opts.address} (${(err as Error).message}): ` +
                  'the address must be the IPv4 address of an interface of this host',
              );
            }
          }
          meta.setMulticastInterface(opts.address);
          meta.setMulticastTTL(0);
          meta.setMulticastLoopback(true);
        }
      } catch (err) {
        // Bound sockets would keep the process alive after the error.
        for (const s of [meta, user, ...mcast]) s.close();
        throw err;
      }
      return new Participant(opts, id, meta, user, mcast);
    }
    throw new Error(
      `rtps: no free participant index in domain ${opts.domainId} (ports ${rtpsPorts(opts.domainId, 0).metaUnicast}..)`,
    );
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Our participant GUID as a key (24 hex digits + 000001c1). */
  get key(): string {
    return guidKey(this.guidPrefix, ENTITYID.PARTICIPANT);
  }

  send(datagram: Uint8Array, locators: readonly Locator[]): void {
    if (this.#destroyed) return;
    for (const loc of locators) {
      if (loc.kind !== LOCATOR_KIND_UDPV4) continue;
      this.stats.datagramsSent++;
      this.#inFlight++;
      this.#user.send(datagram, loc.port, loc.address, this.#onSent);
    }
  }

  readonly #onSent = (err: Error | null): void => {
    if (err) this.stats.sendErrors++;
    if (--this.#inFlight === 0) this.#whenFlushed?.();
  };

  // -------------------------------------------------------------------------------------------
  // Local endpoints

  createWriter(
    topic: string,
    type: string,
    qos: QosProfile,
    onIncompatibleQos?: (e: IncompatibleQosEvent) => void,
  ): RtpsWriter {
    const id = ((this.#nextEntity++ << 8) | ENTITY_KIND.WRITER_NO_KEY) >>> 0;
    const w = new RtpsWriter(this, id, topic, type, qos, guidKey(this.guidPrefix, id));
    this.#writers.set(id, w);
    this.#meta_.set(id, { onIncompatibleQos, incompatibleCount: 0, sedpSN: 0 });
    this.#announceEndpoint(w, true);
    for (const r of this.#readers.values())
      if (r.topic === topic && !isBuiltin(r.entityId)) this.#matchLocal(w, r);
    for (const ep of this.remoteEndpoints.values())
      if (!ep.isWriter && ep.topic === topic) this.#matchRemoteReader(w, ep);
    return w;
  }

  createReader(
    topic: string,
    type: string,
    qos: QosProfile,
    onSample: SampleHandler,
    onIncompatibleQos?: (e: IncompatibleQosEvent) => void,
  ): RtpsReader {
    const id = ((this.#nextEntity++ << 8) | ENTITY_KIND.READER_NO_KEY) >>> 0;
    const r = new RtpsReader(this, id, topic, type, qos, onSample, this.#opts.maxSampleBytes);
    this.#readers.set(id, r);
    this.#meta_.set(id, { onIncompatibleQos, incompatibleCount: 0, sedpSN: 0 });
    this.#announceEndpoint(r, false);
    for (const w of this.#writers.values())
      if (w.topic === topic && !isBuiltin(w.entityId)) this.#matchLocal(w, r);
    for (const ep of this.remoteEndpoints.values())
      if (ep.isWriter && ep.topic === topic) this.#matchRemoteWriter(r, ep);
    return r;
  }

  deleteWriter(w: RtpsWriter): void {
    if (!this.#writers.delete(w.entityId)) return;
    this.#disposeEndpoint(w.entityId, true);
    for (const r of this.#readers.values()) r.unmatchWriter(guidKey(this.guidPrefix, w.entityId));
  }

  deleteReader(r: RtpsReader): void {
    if (!this.#readers.delete(r.entityId)) return;
    this.#disposeEndpoint(r.entityId, false);
    for (const w of this.#writers.values()) w.localReaders.delete(guidKey(this.guidPrefix, r.entityId));
    for (const set of this.#readersByWriter.values()) set.delete(r);
  }

  /** Local user writers and readers. */
  localEndpoints(): { writers: RtpsWriter[]; readers: RtpsReader[] } {
    return {
      writers: [...this.#writers.values()].filter((w) => !isBuiltin(w.entityId)),
      readers: [...this.#readers.values()].filter((r) => !isBuiltin(r.entityId)),
    };
  }

  #reportIncompatible(
    entityId: number,
    topic: string,
    reason: string,
    policy: IncompatibleQosEvent['lastPolicyKind'],
  ): void {
    const meta = this.#meta_.get(entityId);
    if (!meta) return;
    meta.incompatibleCount++;
    meta.onIncompatibleQos?.({ topic, totalCount: meta.incompatibleCount, lastPolicyKind: policy, reason });
  }

  #matchLocal(w: RtpsWriter, r: RtpsReader): void {
    const bad = checkMatch(w, r);
    if (bad) {
      this.#reportIncompatible(w.entityId, w.topic, bad.reason, bad.policy);
      this.#reportIncompatible(r.entityId, r.topic, bad.reason, bad.policy);
      return;
    }
    const writerKey = guidKey(this.guidPrefix, w.entityId);
    const info = { writerPrefix: this.guidPrefix, writerEntityId: w.entityId, inlineQos: undefined };
    w.localReaders.set(guidKey(this.guidPrefix, r.entityId), (change: Change) =>
      r.onSample(change.payload, { ...info, writerKey, sn: change.sn, inlineQos: change.inlineQos }),
    );
    if (w.qos.durability === 'transient_local' && r.qos.durability === 'transient_local') {
      const replay = w.history();
      queueMicrotask(() => {
        if (!this.#readers.has(r.entityId)) return;
        for (const c of replay)
          r.onSample(c.payload, { ...info, writerKey, sn: c.sn, inlineQos: c.inlineQos });
      });
    }
  }

  #matchRemoteReader(w: RtpsWriter, ep: RemoteEndpoint): void {
    const bad = checkMatch(w, ep);
    if (bad) {
      this.#reportIncompatible(w.entityId, w.topic, bad.reason, bad.policy);
      return;
    }
    w.matchReader(
      ep.key,
      {
        prefix: ep.prefix,
        entityId: ep.entityId,
        locators: ep.locators,
        reliable: ep.qos.reliability === 'reliable',
      },
      w.qos.durability === 'transient_local' && ep.qos.durability === 'transient_local',
    );
  }

  #matchRemoteWriter(r: RtpsReader, ep: RemoteEndpoint): void {
    const bad = checkMatch(ep, r);
    if (bad) {
      this.#reportIncompatible(r.entityId, r.topic, bad.reason, bad.policy);
      return;
    }
    this.#linkReader(r, ep.key, {
      prefix: ep.prefix,
      entityId: ep.entityId,
      locators: ep.locators,
      reliable: ep.qos.reliability === 'reliable',
      transientLocal: ep.qos.durability === 'transient_local',
    });
  }

  #linkReader(r: RtpsReader, writerKey: string, w: Parameters<RtpsReader['matchWriter']>[1]): void {
    const set = this.#readersByWriter.get(writerKey) ?? new Set<RtpsReader>();
    this.#readersByWriter.set(writerKey, set);
    set.add(r);
    r.matchWriter(writerKey, w);
  }

  // -------------------------------------------------------------------------------------------
  // Discovery: what we announce

  #spdpPayload(): Uint8Array {
    const le = true;
    void le;
    const ports = rtpsPorts(this.domainId, this.participantId);
    const params: Parameter[] = [
      { pid: PID.PROTOCOL_VERSION, value: Uint8Array.from([PROTOCOL_VERSION[0], PROTOCOL_VERSION[1], 0, 0]) },
      { pid: PID.VENDORID, value: Uint8Array.from([VENDOR_ID[0], VENDOR_ID[1], 0, 0]) },
      { pid: PID.PARTICIPANT_GUID, value: guidBytes(this.guidPrefix, ENTITYID.PARTICIPANT) },
      {
        pid: PID.BUILTIN_ENDPOINT_SET,
        value: paramValue.u32(
          BUILTIN_ENDPOINT.PARTICIPANT_ANNOUNCER |
            BUILTIN_ENDPOINT.PARTICIPANT_DETECTOR |
            BUILTIN_ENDPOINT.PUBLICATION_ANNOUNCER |
            BUILTIN_ENDPOINT.PUBLICATION_DETECTOR |
            BUILTIN_ENDPOINT.SUBSCRIPTION_ANNOUNCER |
            BUILTIN_ENDPOINT.SUBSCRIPTION_DETECTOR,
        ),
      },
      { pid: PID.DOMAIN_ID, value: paramValue.u32(this.domainId) },
      { pid: PID.METATRAFFIC_UNICAST_LOCATOR, value: paramValue.locator(this.#metaLocator) },
      { pid: PID.DEFAULT_UNICAST_LOCATOR, value: paramValue.locator(this.#userLocator) },
      { pid: PID.PARTICIPANT_LEASE_DURATION, value: paramValue.duration(this.#opts.leaseDurationSeconds) },
      {
        pid: PID.USER_DATA,
        value: paramValue.octets(new TextEncoder().encode(`enclave=${this.#opts.enclave};`)),
      },
    ];
    if (this.#opts.multicast) {
      params.push({
        pid: PID.METATRAFFIC_MULTICAST_LOCATOR,
        value: paramValue.locator({
          kind: LOCATOR_KIND_UDPV4,
          port: ports.spdpMulticast,
          address: SPDP_MULTICAST_ADDRESS,
        }),
      });
    }
    return plPayload(params);
  }

  #spdpDatagram(dst?: Uint8Array): Uint8Array {
    const b = new MessageBuilder(this.guidPrefix, 512);
    if (dst) b.infoDst(dst);
    b.infoTs(Date.now());
    b.data(ENTITYID.SPDP_READER, ENTITYID.SPDP_WRITER, ++this.#spdpSN, this.#spdpPayload(), [
      { pid: PID.KEY_HASH, value: guidBytes(this.guidPrefix, ENTITYID.PARTICIPANT) },
    ]);
    return b.finish();
  }

  #announce(): void {
    this.#lastAnnounceMs = Date.now();
    const dgramBytes = this.#spdpDatagram();
    const targets: Locator[] = [];
    if (this.#opts.multicast) {
      targets.push({
        kind: LOCATOR_KIND_UDPV4,
        port: rtpsPorts(this.domainId, 0).spdpMulticast,
        address: SPDP_MULTICAST_ADDRESS,
      });
    }
    for (const peer of this.#opts.peers) {
      for (let i = 0; i <= this.#opts.maxParticipantIndex; i++) {
        const port = rtpsPorts(this.domainId, i).metaUnicast;
        if (i === this.participantId && (peer === this.#opts.address || peer === '127.0.0.1')) continue;
        targets.push({ kind: LOCATOR_KIND_UDPV4, port, address: peer });
      }
    }
    for (const loc of targets) {
      this.stats.datagramsSent++;
      this.#meta.send(dgramBytes, loc.port, loc.address, (err) => {
        if (err) this.stats.sendErrors++;
      });
    }
  }

  #endpointParams(e: RtpsWriter | RtpsReader): Parameter[] {
    return [
      { pid: PID.ENDPOINT_GUID, value: guidBytes(this.guidPrefix, e.entityId) },
      { pid: PID.PARTICIPANT_GUID, value: guidBytes(this.guidPrefix, ENTITYID.PARTICIPANT) },
      { pid: PID.TOPIC_NAME, value: paramValue.string(e.topic) },
      { pid: PID.TYPE_NAME, value: paramValue.string(e.type) },
      { pid: PID.PROTOCOL_VERSION, value: Uint8Array.from([PROTOCOL_VERSION[0], PROTOCOL_VERSION[1], 0, 0]) },
      { pid: PID.VENDORID, value: Uint8Array.from([VENDOR_ID[0], VENDOR_ID[1], 0, 0]) },
      { pid: PID.UNICAST_LOCATOR, value: paramValue.locator(this.#userLocator) },
      ...qosParameters(e.qos),
    ];
  }

  #announceEndpoint(e: RtpsWriter | RtpsReader, isWriter: boolean): void {
    const sedp = isWriter ? this.#sedpPubWriter : this.#sedpSubWriter;
    const meta = this.#meta_.get(e.entityId)!;
    meta.sedpSN = sedp.write(plPayload(this.#endpointParams(e)), [
      { pid: PID.KEY_HASH, value: guidBytes(this.guidPrefix, e.entityId) },
    ]);
  }

  #disposeEndpoint(entityId: number, isWriter: boolean): void {
    const sedp = isWriter ? this.#sedpPubWriter : this.#sedpSubWriter;
    const meta = this.#meta_.get(entityId);
    if (meta) sedp.forget(meta.sedpSN);
    this.#meta_.delete(entityId);
    const sn = sedp.write(undefined, [
      { pid: PID.KEY_HASH, value: guidBytes(this.guidPrefix, entityId) },
      { pid: PID.STATUS_INFO, value: Uint8Array.from([0, 0, 0, 3]) }, // disposed | unregistered
    ]);
    // The dispose itself need not be replayed to late joiners that never saw the endpoint.
    setTimeout(() => sedp.forget(sn), 5000).unref();
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  #onDatagram(bytes: Buffer, fromAddress: string): void {
    if (this.#destroyed) return;
    this.stats.datagramsReceived++;
    if (peekPlainData(bytes, this.#plain) && this.#onPlainData(bytes)) return;
    const parsed = parseMessage(bytes);
    if (!parsed.ok) {
      this.#drop(parsed.reason, fromAddress);
      return;
    }
    try {
      this.#process(parsed.message, fromAddress);
    } catch (err) {
      this.#drop(`processing failed: ${(err as Error).message}`, fromAddress);
    }
  }

  /**
   * The receive hot path: one DATA from the writer of the last datagram's participant (found by
   * `peekPlainData`), delivered without parsing a Message. False when the datagram needs the
   * general path (another sender, a builtin writer): it is then parsed as any other.
   */
  #onPlainData(bytes: Buffer): boolean {
    const at = this.#plain;
    if (this.#lastPrefixHex === undefined || at.writerId === ENTITYID.SPDP_WRITER) return false;
    const last = this.#lastPrefix;
    for (let i = 0; i < 12; i++) if (bytes[8 + i] !== last[i]) return false;
    const srcHex = this.#lastPrefixHex;
    const known = this.participants.get(srcHex);
    if (known) known.lastSeenMs = Date.now();
    const sub: DataSubmessage = {
      kind: 'data',
      readerId: at.readerId,
      writerId: at.writerId,
      writerSN: at.writerSN,
      inlineQos: undefined,
      // A plain Uint8Array view: subarray() on a Node Buffer is several times slower.
      payload: new Uint8Array(
        bytes.buffer,
        bytes.byteOffset + at.payloadStart,
        bytes.length - at.payloadStart,
      ),
      keyFlag: false,
    };
    const key = this.#guidKeyOf(srcHex, sub.writerId);
    const one = this.#readerFor(key, sub.readerId);
    if (one) one.onData(key, sub);
    else if (one === undefined) for (const r of this.#readersByWriter.get(key) ?? NONE) r.onData(key, sub);
    return true;
  }

  #drop(reason: string, fromAddress: string): void {
    this.stats.datagramsDropped++;
    this.stats.lastDropReason = `${reason} (from ${fromAddress})`;
  }

  /** The hex key of a GUID prefix; the last one is remembered (datagrams come in runs from one peer). */
  #prefixHex(src: Uint8Array): string {
    if (this.#lastPrefixHex !== undefined && equalBytes(src, this.#lastPrefix)) return this.#lastPrefixHex;
    this.#lastPrefix.set(src);
    this.#lastPrefixHex = hex(src);
    return this.#lastPrefixHex;
  }

  /** guidKey(prefix, entityId) from the prefix's hex, from a cache: no string building per submessage. */
  #guidKeyOf(prefixHex: string, entityId: number): string {
    let byEntity = this.#guidKeys.get(prefixHex);
    if (!byEntity) {
      if (this.#guidKeys.size >= 1024) this.#guidKeys.clear(); // bound it against prefix churn
      byEntity = new Map();
      this.#guidKeys.set(prefixHex, byEntity);
    }
    let key = byEntity.get(entityId);
    if (key === undefined) {
      if (byEntity.size >= 4096) byEntity.clear();
      key = prefixHex + (entityId >>> 0).toString(16).padStart(8, '0');
      byEntity.set(entityId, key);
    }
    return key;
  }

  #process(msg: Message, fromAddress: string): void {
    const src = msg.header.guidPrefix;
    if (equalBytes(src, this.guidPrefix)) return; // our own multicast, looped back
    const srcHex = this.#prefixHex(src);
    const known = this.participants.get(srcHex);
    if (known) known.lastSeenMs = Date.now();
    let forUs = true;
    for (const sub of msg.submessages) {
      if (sub.kind === 'infoDst') {
        forUs = isZero(sub.guidPrefix) || equalBytes(sub.guidPrefix, this.guidPrefix);
        continue;
      }
      if (!forUs) continue;
      switch (sub.kind) {
        case 'data': {
          if (sub.writerId === ENTITYID.SPDP_WRITER) {
            this.#onSpdp(src, sub.payload, sub.inlineQos, fromAddress);
            break;
          }
          const key = this.#guidKeyOf(srcHex, sub.writerId);
          const one = this.#readerFor(key, sub.readerId);
          if (one) one.onData(key, sub);
          else if (one === undefined)
            for (const r of this.#readersByWriter.get(key) ?? NONE) r.onData(key, sub);
          break;
        }
        case 'dataFrag': {
          const key = this.#guidKeyOf(srcHex, sub.writerId);
          const one = this.#readerFor(key, sub.readerId);
          if (one) one.onDataFrag(key, sub);
          else if (one === undefined)
            for (const r of this.#readersByWriter.get(key) ?? NONE) r.onDataFrag(key, sub);
          break;
        }
        case 'heartbeat': {
          const key = this.#guidKeyOf(srcHex, sub.writerId);
          const one = this.#readerFor(key, sub.readerId);
          if (one) one.onHeartbeat(key, sub);
          else if (one === undefined)
            for (const r of this.#readersByWriter.get(key) ?? NONE) r.onHeartbeat(key, sub);
          break;
        }
        case 'gap': {
          const key = this.#guidKeyOf(srcHex, sub.writerId);
          const one = this.#readerFor(key, sub.readerId);
          if (one) one.onGap(key, sub);
          else if (one === undefined)
            for (const r of this.#readersByWriter.get(key) ?? NONE) r.onGap(key, sub);
          break;
        }
        case 'acknack':
          this.#writers.get(sub.writerId)?.onAckNack(this.#guidKeyOf(srcHex, sub.readerId), sub);
          break;
        case 'nackFrag':
          this.#writers.get(sub.writerId)?.onNackFrag(this.#guidKeyOf(srcHex, sub.readerId), sub);
          break;
        default:
          break; // INFO_TS, INFO_SRC, HEARTBEAT_FRAG: nothing to do
      }
    }
  }

  /**
   * The one local reader a submessage addresses (matched with that writer), null when it
   * addresses one that is not, undefined when it addresses every matched reader (readerId 0).
   */
  #readerFor(writerKey: string, readerId: number): RtpsReader | null | undefined {
    if (readerId === ENTITYID.UNKNOWN) return undefined;
    const r = this.#readers.get(readerId);
    return r && this.#readersByWriter.get(writerKey)?.has(r) ? r : null;
  }

  #onSpdp(
    src: Uint8Array,
    payload: Uint8Array | undefined,
    inlineQos: Parameter[] | undefined,
    fromAddress: string,
  ): void {
    const srcHex = hex(src);
    const status = inlineQos?.find((p) => p.pid === PID.STATUS_INFO);
    if (status && status.value.length >= 4 && status.value[3]! & 0x03) {
      this.#removeParticipant(srcHex);
      return;
    }
    if (!payload) return;
    const pl = parsePlPayload(payload);
    if (!pl) {
      this.#drop('SPDP payload is not a parameter list', fromAddress);
      return;
    }
    const { params, le } = pl;
    const loc = (pid: number) =>
      params
        .filter((p) => p.pid === pid)
        .map((p) => readParam.locator(p.value, le))
        .filter((l): l is Locator => l !== undefined && l.kind === LOCATOR_KIND_UDPV4)
        .map((l) => (l.address === '0.0.0.0' ? { ...l, address: fromAddress } : l));
    const get = (pid: number) => params.find((p) => p.pid === pid)?.value;
    const domain = get(PID.DOMAIN_ID);
    if (domain && readParam.u32(domain, le) !== this.domainId) return;
    const guid = get(PID.PARTICIPANT_GUID);
    const prefix = guid ? splitGuid(guid)?.prefix : undefined;
    if (prefix && !equalBytes(prefix, src)) return; // relayed announcements are not supported
    const vendor = get(PID.VENDORID);
    const lease = get(PID.PARTICIPANT_LEASE_DURATION);
    const leaseSeconds = lease ? (readParam.duration(lease, le) ?? 100) : 100;
    const builtin = get(PID.BUILTIN_ENDPOINT_SET);
    const userData = get(PID.USER_DATA);
    const metaLocators = loc(PID.METATRAFFIC_UNICAST_LOCATOR);
    const userLocators = loc(PID.DEFAULT_UNICAST_LOCATOR);
    if (metaLocators.length === 0 || userLocators.length === 0) {
      this.#drop('SPDP announcement without unicast locators', fromAddress);
      return;
    }
    const existing = this.participants.get(srcHex);
    const rp: RemoteParticipant = {
      key: srcHex,
      prefix: src.slice(),
      vendorId: vendor && vendor.length >= 2 ? (vendor[0]! << 8) | vendor[1]! : 0,
      metaLocators: pickLocators(metaLocators),
      userLocators: pickLocators(userLocators),
      builtinEndpoints: builtin ? (readParam.u32(builtin, le) ?? 0) : 0,
      leaseMs: Math.min(leaseSeconds, 3600) * 1000,
      lastSeenMs: Date.now(),
      userData: userData ? new TextDecoder().decode(readParam.octets(userData, le) ?? new Uint8Array()) : '',
    };
    this.participants.set(srcHex, rp);
    if (existing) return;
    this.#addParticipant(rp);
  }

  #addParticipant(rp: RemoteParticipant): void {
    const B = BUILTIN_ENDPOINT;
    const builtinReader = (id: number) => ({
      prefix: rp.prefix,
      entityId: id,
      locators: rp.metaLocators,
      reliable: true,
    });
    if (rp.builtinEndpoints & B.PUBLICATION_DETECTOR) {
      this.#sedpPubWriter.matchReader(
        guidKey(rp.prefix, ENTITYID.SEDP_PUBLICATIONS_READER),
        builtinReader(ENTITYID.SEDP_PUBLICATIONS_READER),
        true,
      );
    }
    if (rp.builtinEndpoints & B.SUBSCRIPTION_DETECTOR) {
      this.#sedpSubWriter.matchReader(
        guidKey(rp.prefix, ENTITYID.SEDP_SUBSCRIPTIONS_READER),
        builtinReader(ENTITYID.SEDP_SUBSCRIPTIONS_READER),
        true,
      );
    }
    const builtinWriter = (id: number) => ({
      prefix: rp.prefix,
      entityId: id,
      locators: rp.metaLocators,
      reliable: true,
      transientLocal: true,
    });
    if (rp.builtinEndpoints & B.PUBLICATION_ANNOUNCER) {
      this.#linkReader(
        this.#sedpPubReader,
        guidKey(rp.prefix, ENTITYID.SEDP_PUBLICATIONS_WRITER),
        builtinWriter(ENTITYID.SEDP_PUBLICATIONS_WRITER),
      );
    }
    if (rp.builtinEndpoints & B.SUBSCRIPTION_ANNOUNCER) {
      this.#linkReader(
        this.#sedpSubReader,
        guidKey(rp.prefix, ENTITYID.SEDP_SUBSCRIPTIONS_WRITER),
        builtinWriter(ENTITYID.SEDP_SUBSCRIPTIONS_WRITER),
      );
    }
    // Answer at once, by unicast, so the newcomer need not wait for our next period.
    this.send(this.#spdpDatagram(rp.prefix), rp.metaLocators);
    this.onGraphChange?.();
  }

  #removeParticipant(key: string): void {
    const rp = this.participants.get(key);
    if (!rp) return;
    this.participants.delete(key);
    for (const ep of [...this.remoteEndpoints.values()])
      if (ep.participantKey === key) this.#removeRemoteEndpoint(ep.key);
    for (const id of [ENTITYID.SEDP_PUBLICATIONS_READER, ENTITYID.SEDP_SUBSCRIPTIONS_READER]) {
      this.#sedpPubWriter.unmatchReader(guidKey(rp.prefix, id));
      this.#sedpSubWriter.unmatchReader(guidKey(rp.prefix, id));
    }
    for (const id of [ENTITYID.SEDP_PUBLICATIONS_WRITER, ENTITYID.SEDP_SUBSCRIPTIONS_WRITER]) {
      const wk = guidKey(rp.prefix, id);
      for (const r of this.#readersByWriter.get(wk) ?? []) r.unmatchWriter(wk);
      this.#readersByWriter.delete(wk);
    }
    this.onGraphChange?.();
  }

  #onSedp(payload: Uint8Array | undefined, inlineQos: Parameter[] | undefined, isWriter: boolean): void {
    const status = inlineQos?.find((p) => p.pid === PID.STATUS_INFO);
    const keyHash = inlineQos?.find((p) => p.pid === PID.KEY_HASH)?.value;
    if (status && status.value.length >= 4 && status.value[3]! & 0x03) {
      if (keyHash && keyHash.length === 16) this.#removeRemoteEndpoint(hex(keyHash));
      else if (payload) {
        const pl = parsePlPayload(payload);
        const g = pl?.params.find((p) => p.pid === PID.ENDPOINT_GUID)?.value;
        if (g && g.length === 16) this.#removeRemoteEndpoint(hex(g));
      }
      return;
    }
    if (!payload) return;
    const pl = parsePlPayload(payload);
    if (!pl) {
      this.#drop('SEDP payload is not a parameter list', 'SEDP');
      return;
    }
    const { params, le } = pl;
    const get = (pid: number) => params.find((p) => p.pid === pid)?.value;
    const guid = get(PID.ENDPOINT_GUID) ?? keyHash;
    const topicBytes = get(PID.TOPIC_NAME);
    const typeBytes = get(PID.TYPE_NAME);
    if (!guid || guid.length < 16 || !topicBytes || !typeBytes) {
      this.#drop('SEDP endpoint without GUID, topic or type', 'SEDP');
      return;
    }
    const split = splitGuid(guid)!;
    const participantKey = hex(split.prefix);
    const rp = this.participants.get(participantKey);
    if (!rp) return; // endpoint of a participant we have not discovered (or that has gone)
    const topic = readParam.string(topicBytes, le);
    const type = readParam.string(typeBytes, le);
    if (topic === undefined || type === undefined) {
      this.#drop('SEDP topic or type name is not a string', 'SEDP');
      return;
    }
    const unicast = params
      .filter((p) => p.pid === PID.UNICAST_LOCATOR)
      .map((p) => readParam.locator(p.value, le))
      .filter((l): l is Locator => l !== undefined && l.kind === LOCATOR_KIND_UDPV4);
    const key = guidKey(split.prefix, split.entityId);
    if (this.remoteEndpoints.has(key)) return; // QoS changes of a known endpoint are not modelled
    const ep: RemoteEndpoint = {
      key,
      participantKey,
      prefix: split.prefix,
      entityId: split.entityId,
      isWriter,
      topic,
      type,
      qos: qosFromParameters(params, le, isWriter),
      locators: unicast.length > 0 ? pickLocators(unicast) : rp.userLocators,
    };
    this.remoteEndpoints.set(key, ep);
    if (isWriter) {
      for (const r of this.#readers.values())
        if (r.topic === topic && !isBuiltin(r.entityId)) this.#matchRemoteWriter(r, ep);
    } else {
      for (const w of this.#writers.values())
        if (w.topic === topic && !isBuiltin(w.entityId)) this.#matchRemoteReader(w, ep);
    }
    this.onGraphChange?.();
  }

  #removeRemoteEndpoint(key: string): void {
    const ep = this.remoteEndpoints.get(key);
    if (!ep) return;
    this.remoteEndpoints.delete(key);
    if (ep.isWriter) {
      for (const r of this.#readersByWriter.get(key) ?? []) r.unmatchWriter(key);
      this.#readersByWriter.delete(key);
    } else {
      for (const w of this.#writers.values()) w.unmatchReader(key);
    }
    this.onGraphChange?.();
  }

  // -------------------------------------------------------------------------------------------

  #tick(): void {
    const now = Date.now();
    if (now - this.#lastAnnounceMs >= this.#opts.announcePeriodMs) this.#announce();
    for (const rp of [...this.participants.values()]) {
      if (now - rp.lastSeenMs > rp.leaseMs) this.#removeParticipant(rp.key);
    }
    for (const w of this.#writers.values()) w.tick(now);
    for (const r of this.#readers.values()) r.tick();
  }

  /** Announces our departure (SPDP dispose), closes the sockets. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    const b = new MessageBuilder(this.guidPrefix, 128).data(
      ENTITYID.SPDP_READER,
      ENTITYID.SPDP_WRITER,
      ++this.#spdpSN,
      undefined,
      [
        { pid: PID.KEY_HASH, value: guidBytes(this.guidPrefix, ENTITYID.PARTICIPANT) },
        { pid: PID.STATUS_INFO, value: Uint8Array.from([0, 0, 0, 3]) },
      ],
    );
    const bye = b.finish();
    for (const rp of this.participants.values()) this.send(bye, rp.metaLocators);
    this.#destroyed = true;
    clearInterval(this.#timer);
    // Closing a socket drops what it has not sent yet: the endpoint disposes and the goodbye
    // above would be lost, and peers would keep us until our lease ran out.
    const close = () => {
      this.#whenFlushed = undefined;
      clearTimeout(fallback);
      for (const s of this.#sockets) {
        try {
          s.close();
        } catch {
          // already closed
        }
      }
    };
    const fallback = setTimeout(close, 500);
    fallback.unref();
    if (this.#inFlight === 0) close();
    else this.#whenFlushed = close;
  }
}

function isBuiltin(entityId: number): boolean {
  return (entityId & 0xc0) === 0xc0;
}

const NONE: readonly RtpsReader[] = [];

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One locator per remote endpoint: loopback first (we only ever run on one host here), else the first. */
function pickLocators(locs: Locator[]): Locator[] {
  const lo = locs.find((l) => l.address.startsWith('127.'));
  return [lo ?? locs[0]!];
}

function bindUdp(port: number, reuse = false): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: reuse });
    const onError = () => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind(port, () => {
      s.off('error', onError);
      s.on('error', () => {
        // Send errors are counted at send(); socket-level errors after bind are not fatal.
      });
      try {
        s.setRecvBufferSize(4 * 1024 * 1024);
        s.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // capped by net.core.[rw]mem_max: fine
      }
      resolve(s);
    });
  });
}
