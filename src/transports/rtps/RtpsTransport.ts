/**
 * The graph's transport over our own DDS-RTPS participant: native ROS 2 with nothing from ROS
 * installed. ROS 2 conventions as rmw_cyclonedds applies them:
 * - topic `/chatter` is DDS topic `rt/chatter`; type `std_msgs/msg/String` is
 *   `std_msgs::msg::dds_::String_`;
 * - service `/set_flag` of type `std_srvs/srv/SetBool` is `rq/set_flagRequest`
 *   (`std_srvs::srv::dds_::SetBool_Request_`) and `rr/set_flagReply`
 *   (`..._Response_`); each request and reply carries the request id as 16 bytes in front of
 *   the fields (client id u64, sequence number i64), as rmw_cyclonedds writes it;
 * - payloads are CDR little-endian with the encapsulation header: `kind: 'cdr'`, the graph
 *   encodes and decodes, and validates what arrives (`validation: 'at-receive'`).
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
import { Participant, type ParticipantOptions } from './Participant.ts';
import type { RtpsReader } from './RtpsReader.ts';
import type { RtpsWriter } from './RtpsWriter.ts';

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

export type RtpsTransportOptions = ParticipantOptions;

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
  #destroyed = false;

  private constructor(participant: Participant) {
    this.participant = participant;
  }

  /** Joins the DDS domain (binds sockets, starts discovery). */
  static async create(options: RtpsTransportOptions = {}): Promise<RtpsTransport> {
    return new RtpsTransport(await Participant.create(options));
  }

  #publisherId(writerKey: string): number {
    const id = this.#publisherIds.get(writerKey) ?? this.#publisherIds.size + 1;
    this.#publisherIds.set(writerKey, id);
    return id;
  }

  #track(close: () => void): () => void {
    let closed = false;
    const once = () => {
      if (closed) return;
      closed = true;
      this.#closers.delete(once);
      close();
    };
    this.#closers.add(once);
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
    const close = this.#track(() => this.participant.deleteWriter(w));
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
    const close = this.#track(() => this.participant.deleteReader(r));
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
    const replies = this.participant.createWriter(
      `rr${endpoint.service}Reply`,
      ddsTypeName(endpoint.type, '_Response'),
      QOS_SERVICES,
    );
    const requests = this.participant.createReader(
      `rq${endpoint.service}Request`,
      ddsTypeName(endpoint.type, '_Request'),
      QOS_SERVICES,
      (payload) => {
        const req = payload && splitHeader(payload);
        if (!req) return; // too short to carry a request id: not a request
        void (async () => {
          let response: unknown;
          try {
            response = await handler(req.body, {
              clientId: Number(req.clientId & 0xffffffffn),
              sequenceNumber: Number(req.seq),
            });
          } catch {
            return; // the graph reports handler errors; ROS 2 sends no reply either
          }
          if (!(response instanceof Uint8Array) || this.#destroyed) return;
          replies.write(withHeader(response, req.clientId, req.seq));
        })();
      },
    );
    const close = this.#track(() => {
      this.participant.deleteReader(requests);
      this.participant.deleteWriter(replies);
    });
    return { close };
  }

  createServiceClient(endpoint: ServiceEndpoint): ServiceClientHandle {
    const clientId = randomBytes(8).readBigUInt64LE(0);
    const pending = new Map<bigint, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const requests: RtpsWriter = this.participant.createWriter(
      `rq${endpoint.service}Request`,
      ddsTypeName(endpoint.type, '_Request'),
      QOS_SERVICES,
    );
    const replies = this.participant.createReader(
      `rr${endpoint.service}Reply`,
      ddsTypeName(endpoint.type, '_Response'),
      QOS_SERVICES,
      (payload) => {
        const rep = payload && splitHeader(payload);
        if (!rep || rep.clientId !== clientId) return; // another client's reply
        const p = pending.get(rep.seq);
        if (!p) return;
        pending.delete(rep.seq);
        p.resolve(rep.body);
      },
    );
    const close = this.#track(() => {
      for (const p of pending.values()) p.reject(new Error(`service ${endpoint.service}: client closed`));
      pending.clear();
      this.participant.deleteWriter(requests);
      this.participant.deleteReader(replies);
    });
    return {
      isServiceAvailable: () =>
        requests.readers.size + requests.localReaders.size > 0 &&
        replies.writers.size + this.#localWritersFor(replies) > 0,
      call: (request: unknown, requestId: RequestId) =>
        new Promise((resolve, reject) => {
          if (!(request instanceof Uint8Array)) {
            reject(new TypeError(`rtps: request on ${endpoint.service} needs CDR bytes`));
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
    for (const close of [...this.#closers]) close();
    this.#destroyed = true;
    this.participant.destroy();
  }
}
