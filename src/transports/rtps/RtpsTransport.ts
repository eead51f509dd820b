/**
 * The graph's transport over our own DDS-RTPS participant: native ROS 2 with nothing from ROS
 * installed. ROS 2 conventions as rmw_cyclonedds applies them:
 * - topic `/chatter` is DDS topic `rt/chatter`; type `std_msgs/msg/String` is
 *   `std_msgs::msg::dds_::String_`;
 * - service `/set_flag` of type `std_srvs/srv/SetBool` is `rq/set_flagRequest`
 *   (`std_srvs::srv::dds_::SetBool_Request_`) and `rr/set_flagReply`
 *   (`..._Response_`). The request id travels in one of two ways, as the two rmws of ROS 2
 *   Humble do it (they do not interoperate with each other, so each call picks one):
 *   - rmw_cyclonedds: 16 bytes in front of the fields (client id u64, sequence number i64);
 *   - rmw_fastrtps: the fields alone; a request names the client's reply reader, and a reply
 *     the request it answers (writer GUID + sequence number), in inline QoS
 *     PID_RELATED_SAMPLE_IDENTITY (0x800f).
 *   A server answers each request in the convention it came in; a client uses rmw_fastrtps's
 *   when the matched server is a Fast DDS participant, else rmw_cyclonedds's;
 * - payloads are CDR little-endian with the encapsulation header: `kind: 'cdr'`, the graph
 *   encodes and decodes, and validates what arrives (`validation: 'at-receive'`);
 * - each graph node appears to ROS 2 as its own node (`ros2 node list`): announced with its
 *   namespace and the GUIDs of its own readers and writers on `ros_discovery_info`
 *   (DiscoveryInfo.ts), as rmw does. Endpoints made on the transport directly (no graph node)
 *   belong to the node `nodeName`, which is announced while it has endpoints or no graph node
 *   exists.
 */
import { randomBytes } from 'node:crypto';
import type {
  IncompatibleQosEvent,
  MessageInfo,
  NameAndTypes,
  PublisherHandle,
  RequestId,
  ServiceClientHandle,
  ServiceEndpoint,
  ServiceHandle,
  ServiceHandler,
  SubscriptionHandle,
  TopicEndpoint,
  Transport,
} from '../Transport.ts';
import { replyLatch } from '../Transport.ts';
import {
  DISCOVERY_INFO_QOS,
  DISCOVERY_INFO_TOPIC,
  DISCOVERY_INFO_TYPE,
  decodeParticipantEntitiesInfo,
  encodeParticipantEntitiesInfo,
  type ParticipantEntitiesInfo,
} from './DiscoveryInfo.ts';
import { Participant, type ParticipantOptions } from './Participant.ts';
import type { RtpsReader, SampleInfo } from './RtpsReader.ts';
import type { RtpsWriter } from './RtpsWriter.ts';
import { guidBytes, hex, type Parameter, PID, VENDOR_FASTDDS } from './wire.ts';

/** `std_msgs/msg/String` -> `std_msgs::msg::dds_::String_`; `suffix` for service halves. */
export function ddsTypeName(rosType: string, suffix = ''): string {
  const parts = rosType.split('/');
  if (parts.length !== 3) throw new Error(`rtps: type ${JSON.stringify(rosType)} is not <pkg>/<kind>/<Name>`);
  return `${parts[0]}::${parts[1]}::dds_::${parts[2]}${suffix}_`;
}

/** `std_msgs::msg::dds_::String_` -> `std_msgs/msg/String` (undefined if not a ROS 2 type name). */
export function rosTypeName(ddsType: string): string | undefined {
  const m = /^([^:]+)::([^:]+)::dds_::(.+)_$/.exec(ddsType);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : undefined;
}

/** rmw_cyclonedds request header: client id (u64) and sequence number (i64), after the encapsulation. */
const REQUEST_HEADER_BYTES = 16;
/** How long a reply waits for the caller's reply reader to match before it is written anyway. */
const REPLY_MATCH_WAIT_MS = 1000;
const QOS_SERVICES = {
  reliability: 'reliable',
  durability: 'volatile',
  history: 'keep_last',
  depth: 10,
} as const;

function withHeader(cdr: Uint8Array, clientId: bigint, seq: bigint): Uint8Array {
  const out = new Uint8Array(cdr.length + REQUEST_HEADER_BYTES);
  out.set(cdr.subarray(0, 4));
  const v = new DataView(out.buffer);
  v.setBigUint64(4, clientId, true);
  v.setBigInt64(12, seq, true);
  out.set(cdr.subarray(4), 4 + REQUEST_HEADER_BYTES);
  return out;
}

function splitHeader(payload: Uint8Array): { clientId: bigint; seq: bigint; body: Uint8Array } | undefined {
  if (payload.length < 4 + REQUEST_HEADER_BYTES) return undefined;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const body = new Uint8Array(payload.length - REQUEST_HEADER_BYTES);
  body.set(payload.subarray(0, 4));
  body.set(payload.subarray(4 + REQUEST_HEADER_BYTES), 4);
  return { clientId: v.getBigUint64(4, true), seq: v.getBigInt64(12, true), body };
}

/** A sample identity (writer GUID + sequence number) as PID_RELATED_SAMPLE_IDENTITY carries it. */
interface SampleIdentity {
  guid: Uint8Array;
  sn: number;
}

/** rmw_fastrtps's "no sequence number": SequenceNumber_t::unknown(), high -1, low 0. */
const SN_UNKNOWN = -0x1_0000_0000;

function identityParam(id: SampleIdentity): Parameter {
  const value = new Uint8Array(24);
  value.set(id.guid.subarray(0, 16));
  const v = new DataView(value.buffer);
  v.setInt32(16, Math.floor(id.sn / 0x1_0000_0000), true);
  v.setUint32(20, id.sn >>> 0, true);
  return { pid: PID.FASTDDS_RELATED_SAMPLE_IDENTITY, value };
}

/** The related sample identity in a sample's inline QoS (written little-endian by us and Fast DDS on x86). */
function relatedIdentity(inlineQos: readonly Parameter[] | undefined): SampleIdentity | undefined {
  const p = inlineQos?.find((q) => q.pid === PID.FASTDDS_RELATED_SAMPLE_IDENTITY);
  if (!p || p.value.length < 24) return undefined;
  const v = new DataView(p.value.buffer, p.value.byteOffset, 24);
  return { guid: p.value.subarray(0, 16), sn: v.getInt32(16, true) * 0x1_0000_0000 + v.getUint32(20, true) };
}

/** A 32-bit client id for RequestId from a GUID (the graph only compares them). */
function clientIdOf(guid: Uint8Array): number {
  let h = 2166136261;
  for (const b of guid) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

export interface RtpsTransportOptions extends ParticipantOptions {
  /**
   * The ROS node that owns endpoints made on the transport directly, outside any graph node
   * (announced on `ros_discovery_info` while it has endpoints, or while no graph node exists).
   * @default 'simbridge'
   */
  nodeName?: string;
  /** That node's namespace. @default '/' */
  nodeNamespace?: string;
}

/** A ROS node as announced on ros_discovery_info: its entity ids in this participant. */
interface NodeRecord {
  name: string;
  namespace: string;
  readers: Set<number>;
  writers: Set<number>;
  /** Created as a graph node (addNode), so announced even without endpoints. */
  declared: boolean;
}

/** `/arm/policy` -> namespace `/arm`, name `policy`; `/sim` -> `/`, `sim`. */
export function splitNodeName(fullyQualifiedName: string): { name: string; namespace: string } {
  const slash = fullyQualifiedName.lastIndexOf('/');
  return {
    name: fullyQualifiedName.slice(slash + 1),
    namespace: slash <= 0 ? '/' : fullyQualifiedName.slice(0, slash),
  };
}

/** Incompatible-QoS events name the ROS topic (`/chatter`), not the DDS one (`rt/chatter`). */
function rosTopicEvents(endpoint: TopicEndpoint): ((e: IncompatibleQosEvent) => void) | undefined {
  const cb = endpoint.onIncompatibleQos;
  return cb && ((e) => cb({ ...e, topic: endpoint.topic }));
}

export class RtpsTransport implements Transport {
  readonly kind = 'cdr' as const;
  readonly validation = 'at-receive' as const;
  readonly participant: Participant;
  /** Small stable ids for writer GUIDs, for MessageInfo.publisherId. */
  readonly #publisherIds = new Map<string, number>();
  readonly #closers = new Set<() => void>();
  /** Fully qualified name of the node that owns endpoints made outside any graph node. */
  readonly #defaultNode: string;
  /** This participant's ROS nodes, by fully qualified name, in creation order. */
  readonly #nodes = new Map<string, NodeRecord>();
  readonly #discoveryWriter: RtpsWriter;
  /** ros_discovery_info of other participants, by participant GUID prefix (24 hex digits). */
  readonly #remoteNodes = new Map<string, ParticipantEntitiesInfo>();
  #discoveryDue = false;
  #destroyed = false;

  private constructor(participant: Participant, options: RtpsTransportOptions) {
    this.participant = participant;
    const ns = options.nodeNamespace ?? '/';
    this.#defaultNode = `${ns === '/' ? '' : ns}/${options.nodeName ?? 'simbridge'}`;
    this.#discoveryWriter = participant.createWriter(
      DISCOVERY_INFO_TOPIC,
      DISCOVERY_INFO_TYPE,
      DISCOVERY_INFO_QOS,
    );
    // Other participants' nodes (the reader lives as long as the participant).
    participant.createReader(
      DISCOVERY_INFO_TOPIC,
      DISCOVERY_INFO_TYPE,
      { ...DISCOVERY_INFO_QOS, depth: 100 },
      (payload, info) => {
        if (!payload) return;
        const decoded = decodeParticipantEntitiesInfo(payload);
        if (typeof decoded === 'string') return; // malformed: not ours to fix; the graph goes without it
        this.#remoteNodes.set(hex(info.writerPrefix), decoded);
      },
    );
    this.#publishDiscoveryInfo();
  }

  /** Joins the DDS domain (binds sockets, starts discovery). */
  static async create(options: RtpsTransportOptions = {}): Promise<RtpsTransport> {
    return new RtpsTransport(await Participant.create(options), options);
  }

  /**
   * ROS nodes on the domain, this transport's own first (`ros2 node list`): from
   * ros_discovery_info, for participants still alive.
   */
  nodeNames(): { name: string; namespace: string }[] {
    const out = this.#announcedNodes().map(({ name, namespace }) => ({ name, namespace }));
    for (const [prefix, info] of this.#remoteNodes) {
      if (!this.participant.participants.has(prefix)) {
        this.#remoteNodes.delete(prefix); // that participant has gone
        continue;
      }
      for (const n of info.nodes) out.push({ name: n.name, namespace: n.namespace });
    }
    return out;
  }

  /** Re-announces this transport's node and its endpoints, once per event-loop turn of changes. */
  #discoveryChanged(): void {
    if (this.#discoveryDue || this.#destroyed) return;
    this.#discoveryDue = true;
    setImmediate(() => {
      this.#discoveryDue = false;
      if (!this.#destroyed) this.#publishDiscoveryInfo();
    });
  }

  /** A graph node was created: it is announced (even before it has endpoints). */
  addNode(fullyQualifiedName: string): void {
    this.#nodeRecord(fullyQualifiedName).declared = true;
    this.#discoveryChanged();
  }

  /** A graph node was destroyed: it is no longer announced once its endpoints are closed too. */
  removeNode(fullyQualifiedName: string): void {
    const record = this.#nodes.get(fullyQualifiedName);
    if (!record) return;
    record.declared = false;
    this.#dropIfEmpty(fullyQualifiedName, record);
    this.#discoveryChanged();
  }

  #nodeRecord(fullyQualifiedName: string | undefined): NodeRecord {
    const key = fullyQualifiedName ?? this.#defaultNode;
    let record = this.#nodes.get(key);
    if (!record) {
      record = { ...splitNodeName(key), readers: new Set(), writers: new Set(), declared: false };
      this.#nodes.set(key, record);
    }
    return record;
  }

  #dropIfEmpty(key: string, record: NodeRecord): void {
    if (!record.declared && record.readers.size === 0 && record.writers.size === 0) this.#nodes.delete(key);
  }

  /** The nodes ros_discovery_info lists: every graph node, and the default one when it has endpoints or is alone. */
  #announcedNodes(): NodeRecord[] {
    const nodes = [...this.#nodes.values()];
    if (nodes.length > 0) return nodes;
    return [{ ...splitNodeName(this.#defaultNode), readers: new Set(), writers: new Set(), declared: false }];
  }

  #publishDiscoveryInfo(): void {
    this.#discoveryWriter.write(
      encodeParticipantEntitiesInfo(
        this.participant.guidPrefix,
        this.#announcedNodes().map((n) => ({
          name: n.name,
          namespace: n.namespace,
          readers: [...n.readers],
          writers: [...n.writers],
        })),
      ),
    );
  }

  #publisherId(writerKey: string): number {
    const id = this.#publisherIds.get(writerKey) ?? this.#publisherIds.size + 1;
    this.#publisherIds.set(writerKey, id);
    return id;
  }

  /**
   * Registers an endpoint's readers and writers with the node that owns it and its close, and
   * announces the node's new set of endpoints (and again on close).
   */
  #track(
    node: string | undefined,
    entities: { readers?: readonly RtpsReader[]; writers?: readonly RtpsWriter[] },
    close: () => void,
  ): () => void {
    const key = node ?? this.#defaultNode;
    const record = this.#nodeRecord(key);
    for (const r of entities.readers ?? []) record.readers.add(r.entityId);
    for (const w of entities.writers ?? []) record.writers.add(w.entityId);
    let closed = false;
    const once = () => {
      if (closed) return;
      closed = true;
      this.#closers.delete(once);
      close();
      const now = this.#nodes.get(key);
      if (now) {
        for (const r of entities.readers ?? []) now.readers.delete(r.entityId);
        for (const w of entities.writers ?? []) now.writers.delete(w.entityId);
        this.#dropIfEmpty(key, now);
      }
      this.#discoveryChanged();
    };
    this.#closers.add(once);
    this.#discoveryChanged();
    return once;
  }

  #localWritersFor(r: RtpsReader): number {
    const key = `${this.participant.key.slice(0, 24)}${r.entityId.toString(16).padStart(8, '0')}`;
    let n = 0;
    for (const w of this.participant.localEndpoints().writers) if (w.localReaders.has(key)) n++;
    return n;
  }

  advertise(endpoint: TopicEndpoint): PublisherHandle {
    const w = this.participant.createWriter(
      `rt${endpoint.topic}`,
      ddsTypeName(endpoint.type),
      endpoint.qos,
      rosTopicEvents(endpoint),
    );
    const close = this.#track(endpoint.node, { writers: [w] }, () => this.participant.deleteWriter(w));
    return {
      publish: (msg: unknown) => {
        if (!(msg instanceof Uint8Array))
          throw new TypeError(`rtps: publish on ${endpoint.topic} needs CDR bytes`);
        w.write(msg);
      },
      get subscriptionCount() {
        return w.readers.size + w.localReaders.size;
      },
      close,
    };
  }

  subscribe(
    endpoint: TopicEndpoint,
    onMessage: (msg: unknown, info: MessageInfo) => void,
  ): SubscriptionHandle {
    const r = this.participant.createReader(
      `rt${endpoint.topic}`,
      ddsTypeName(endpoint.type),
      endpoint.qos,
      (payload, info) => {
        if (!payload) return; // dispose / unregister: no sample
        onMessage(payload, { publisherId: this.#publisherId(info.writerKey), sequenceNumber: info.sn });
      },
      rosTopicEvents(endpoint),
    );
    const close = this.#track(endpoint.node, { readers: [r] }, () => this.participant.deleteReader(r));
    const count = () => r.writers.size + this.#localWritersFor(r);
    return {
      get publisherCount() {
        return count();
      },
      lost: 0,
      close,
    };
  }

  advertiseService(endpoint: ServiceEndpoint, handler: ServiceHandler): ServiceHandle {
    let closed = false;
    const replies = this.participant.createWriter(
      `rr${endpoint.service}Reply`,
      ddsTypeName(endpoint.type, '_Response'),
      QOS_SERVICES,
    );
    const requests = this.participant.createReader(
      `rq${endpoint.service}Request`,
      ddsTypeName(endpoint.type, '_Request'),
      QOS_SERVICES,
      (payload, info) => {
        if (!payload) return;
        const answer = (body: Uint8Array, id: RequestId, reply: (response: Uint8Array) => void) => {
          const { replied, settle } = replyLatch();
          void (async () => {
            let response: unknown;
            try {
              response = await handler(body, id, replied);
            } catch {
              return; // the graph reports handler errors; ROS 2 sends no reply either
            }
            if (!(response instanceof Uint8Array) || this.#destroyed) return;
            // Discovery is not symmetric: the caller's reply reader may not have matched our
            // reply writer yet, and a reply written now would reach no one. Wait for it (bounded),
            // as rmw_cyclonedds's check_for_response_reader does (for 100 ms) where it is enabled.
            const caller = hex(info.writerPrefix);
            const local = caller === hex(this.participant.guidPrefix);
            const matched = () => local || [...replies.readers.keys()].some((k) => k.startsWith(caller));
            for (let waited = 0; !matched() && waited < REPLY_MATCH_WAIT_MS; waited += 5) {
              await new Promise((r) => setTimeout(r, 5));
            }
            if (!this.#destroyed && !closed) reply(response);
          })().finally(settle);
        };
        if (this.#fastrtpsRequest(info)) {
          // rmw_fastrtps: the reply names this request by its writer GUID and sequence number.
          const request = { guid: guidBytes(info.writerPrefix, info.writerEntityId), sn: info.sn };
          answer(payload, { clientId: clientIdOf(request.guid), sequenceNumber: info.sn }, (response) =>
            replies.write(response, [identityParam(request)]),
          );
          return;
        }
        const req = splitHeader(payload);
        if (!req) return; // too short to carry a request id: not a request
        answer(
          req.body,
          { clientId: Number(req.clientId & 0xffffffffn), sequenceNumber: Number(req.seq) },
          (response) => replies.write(withHeader(response, req.clientId, req.seq)),
        );
      },
    );
    const close = this.#track(endpoint.node, { readers: [requests], writers: [replies] }, () => {
      closed = true;
      this.participant.deleteReader(requests);
      this.participant.deleteWriter(replies);
    });
    return { close };
  }

  /** Whether a request came in rmw_fastrtps's convention (identity in inline QoS, no header). */
  #fastrtpsRequest(info: SampleInfo): boolean {
    if (relatedIdentity(info.inlineQos)) return true;
    return this.participant.participants.get(hex(info.writerPrefix))?.vendorId === VENDOR_FASTDDS;
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    const clientId = randomBytes(8).readBigUInt64LE(0);
    type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
    // rmw_cyclonedds calls, by the graph's sequence number; rmw_fastrtps calls, by our writer's SN.
    const pending = new Map<bigint, Pending>();
    const pendingBySN = new Map<number, Pending>();
    const requests: RtpsWriter = this.participant.createWriter(
      `rq${endpoint.service}Request`,
      ddsTypeName(endpoint.type, '_Request'),
      QOS_SERVICES,
    );
    const replies = this.participant.createReader(
      `rr${endpoint.service}Reply`,
      ddsTypeName(endpoint.type, '_Response'),
      QOS_SERVICES,
      (payload, info) => {
        if (!payload) return;
        const related = relatedIdentity(info.inlineQos);
        if (related) {
          if (!equalBytes(related.guid, requestsGuid)) return; // another client's reply
          const p = pendingBySN.get(related.sn);
          if (!p) return;
          pendingBySN.delete(related.sn);
          p.resolve(payload);
          return;
        }
        const rep = splitHeader(payload);
        if (!rep || rep.clientId !== clientId) return; // another client's reply
        const p = pending.get(rep.seq);
        if (!p) return;
        pending.delete(rep.seq);
        p.resolve(rep.body);
      },
    );
    const requestsGuid = guidBytes(this.participant.guidPrefix, requests.entityId);
    const repliesGuid = guidBytes(this.participant.guidPrefix, replies.entityId);
    /** The matched server speaks rmw_fastrtps's convention: its participant is Fast DDS. */
    const serverIsFastdds = () => {
      for (const key of requests.readers.keys())
        if (this.participant.participants.get(key.slice(0, 24))?.vendorId === VENDOR_FASTDDS) return true;
      return false;
    };
    const close = this.#track(endpoint.node, { readers: [replies], writers: [requests] }, () => {
      for (const p of [...pending.values(), ...pendingBySN.values()])
        p.reject(new Error(`service ${endpoint.service}: client closed`));
      pending.clear();
      pendingBySN.clear();
      this.participant.deleteWriter(requests);
      this.participant.deleteReader(replies);
    });
    return {
      // A server counts once its request reader has acknowledged our request writer: until it
      // has discovered us it would drop a request (a volatile reader skips what came before).
      isServiceAvailable: () =>
        (requests.localReaders.size > 0 || [...requests.readers.values()].some((r) => r.lastAckCount >= 0)) &&
        replies.writers.size + this.#localWritersFor(replies) > 0,
      call: (request: unknown, requestId: RequestId) =>
        new Promise((resolve, reject) => {
          if (!(request instanceof Uint8Array)) {
            reject(new TypeError(`rtps: request on ${endpoint.service} needs CDR bytes`));
            return;
          }
          if (serverIsFastdds()) {
            // The SN this write will get; set before writing, as a local server may answer at once.
            const sn = requests.lastSN + 1;
            pendingBySN.set(sn, { resolve, reject });
            requests.write(request, [identityParam({ guid: repliesGuid, sn: SN_UNKNOWN })]);
            return;
          }
          const seq = BigInt(requestId.sequenceNumber);
          pending.set(seq, { resolve, reject });
          requests.write(withHeader(request, clientId, seq));
        }),
      close,
    };
  }

  #collect(filter: (topic: string) => string | undefined, suffix: RegExp | undefined): NameAndTypes[] {
    const byName = new Map<string, Set<string>>();
    const add = (topic: string, type: string) => {
      const name = filter(topic);
      const ros = rosTypeName(suffix ? type.replace(suffix, '_') : type);
      if (name === undefined || ros === undefined) return;
      const set = byName.get(name) ?? new Set<string>();
      byName.set(name, set);
      set.add(ros);
    };
    const local = this.participant.localEndpoints();
    for (const e of [...local.writers, ...local.readers]) add(e.topic, e.type);
    for (const e of this.participant.remoteEndpoints.values()) add(e.topic, e.type);
    return [...byName.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, types]) => ({ name, types: [...types].sort() }));
  }

  getTopicNamesAndTypes(): NameAndTypes[] {
    return this.#collect((t) => (t.startsWith('rt/') ? t.slice(2) : undefined), undefined);
  }

  getServiceNamesAndTypes(): NameAndTypes[] {
    return this.#collect(
      (t) => (t.startsWith('rq/') && t.endsWith('Request') ? t.slice(2, -'Request'.length) : undefined),
      /_Request_$/,
    );
  }

  /** Closes every endpoint and leaves the domain. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const close of [...this.#closers]) close();
    this.participant.destroy();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
