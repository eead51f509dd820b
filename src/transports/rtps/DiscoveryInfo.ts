/**
 * ROS 2's graph information on top of DDS discovery: each participant publishes which ROS nodes
 * it holds, and which readers and writers belong to each node, as
 * `rmw_dds_common/msg/ParticipantEntitiesInfo` on the DDS topic `ros_discovery_info` (no `rt/`
 * prefix; reliable, transient local, keep last 1). `ros2 node list` reads it.
 *
 * The layout is ROS 2 Humble's (rmw_dds_common 1.6): a Gid is `char[24]`, the 16-byte DDS
 * GUID followed by 8 zero bytes, as rmw_cyclonedds and rmw_fastrtps both fill it.
 */
import type { QosProfile } from '../Transport.ts';
import { guidBytes } from './wire.ts';

export const DISCOVERY_INFO_TOPIC = 'ros_discovery_info';
export const DISCOVERY_INFO_TYPE = 'rmw_dds_common::msg::dds_::ParticipantEntitiesInfo_';
export const DISCOVERY_INFO_QOS: QosProfile = {
  reliability: 'reliable',
  durability: 'transient_local',
  history: 'keep_last',
  depth: 1,
};

/** RMW_GID_STORAGE_SIZE in Humble. */
export const GID_BYTES = 24;

export interface NodeEntities {
  /** `/` or `/arm`. */
  namespace: string;
  /** Without the namespace: `simbridge_sim`. */
  name: string;
  /** Entity ids (of this participant) of the node's readers and writers. */
  readers: readonly number[];
  writers: readonly number[];
}

/** A Gid: the GUID of `entityId` in the participant with `prefix`, zero-padded to 24 bytes. */
export function gid(prefix: Uint8Array, entityId: number): Uint8Array {
  const out = new Uint8Array(GID_BYTES);
  out.set(guidBytes(prefix, entityId));
  return out;
}

/** A little-endian CDR writer with alignment relative to the body (after the encapsulation). */
class CdrOut {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #pos = 4;

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  #align4(): void {
    const pad = (4 - ((this.#pos - 4) & 3)) & 3;
    this.#reserve(pad);
    this.#pos += pad; // the buffer is zero-filled
  }
  u32(v: number): void {
    this.#align4();
    this.#reserve(4);
    this.#view.setUint32(this.#pos, v, true);
    this.#pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }
  string(s: string): void {
    const text = new TextEncoder().encode(s);
    this.u32(text.length + 1);
    this.bytes(text);
    this.bytes(new Uint8Array(1));
  }
  finish(): Uint8Array {
    this.#buf[1] = 1; // CDR_LE encapsulation: 00 01 00 00
    return this.#buf.slice(0, this.#pos);
  }
}

/** Serializes a ParticipantEntitiesInfo (CDR little-endian, with the encapsulation header). */
export function encodeParticipantEntitiesInfo(
  prefix: Uint8Array,
  nodes: readonly NodeEntities[],
): Uint8Array {
  const out = new CdrOut();
  out.bytes(gid(prefix, 0x000001c1)); // the participant's own GUID
  out.u32(nodes.length);
  for (const node of nodes) {
    out.string(node.namespace);
    out.string(node.name);
    for (const ids of [node.readers, node.writers]) {
      out.u32(ids.length);
      for (const id of ids) out.bytes(gid(prefix, id));
    }
  }
  return out.finish();
}

/** A decoded ParticipantEntitiesInfo: GIDs as 32 hex digits of GUID (the zero padding dropped). */
export interface ParticipantEntitiesInfo {
  participant: string;
  nodes: { namespace: string; name: string; readers: string[]; writers: string[] }[];
}

/**
 * Parses a ParticipantEntitiesInfo sample from another participant. Returns a reason string
 * when it is truncated or inconsistent (outside input: never throws).
 */
export function decodeParticipantEntitiesInfo(payload: Uint8Array): ParticipantEntitiesInfo | string {
  if (payload.length < 4 || payload[0] !== 0 || payload[1]! > 1) return 'not a plain CDR payload';
  const le = payload[1] === 1;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let pos = 4;
  const need = (n: number, what: string) => {
    if (pos + n > payload.length)
      throw new RangeError(`${what} at offset ${pos} runs past ${payload.length} bytes`);
  };
  const u32 = (what: string) => {
    pos += (4 - ((pos - 4) & 3)) & 3;
    need(4, what);
    const v = view.getUint32(pos, le);
    pos += 4;
    return v;
  };
  const gidHex = (what: string) => {
    need(GID_BYTES, what);
    let s = '';
    for (let i = 0; i < 16; i++) s += payload[pos + i]!.toString(16).padStart(2, '0');
    pos += GID_BYTES;
    return s;
  };
  const string = (what: string) => {
    const n = u32(`${what} length`);
    if (n === 0) throw new RangeError(`${what} has length 0 (no terminating NUL)`);
    need(n, what);
    const s = new TextDecoder().decode(payload.subarray(pos, pos + n - 1));
    pos += n;
    return s;
  };
  try {
    const participant = gidHex('gid');
    const count = u32('node_entities_info_seq length');
    // Each node takes at least 16 bytes: a bound on hostile counts before allocating anything.
    if (count * 16 > payload.length) throw new RangeError(`node count ${count} exceeds the payload`);
    const nodes: ParticipantEntitiesInfo['nodes'] = [];
    for (let i = 0; i < count; i++) {
      const namespace = string(`node ${i} namespace`);
      const name = string(`node ${i} name`);
      const lists: string[][] = [];
      for (const kind of ['reader', 'writer']) {
        const n = u32(`node ${i} ${kind}_gid_seq length`);
        if (n * GID_BYTES > payload.length) throw new RangeError(`${kind} count ${n} exceeds the payload`);
        const ids: string[] = [];
        for (let k = 0; k < n; k++) ids.push(gidHex(`node ${i} ${kind} gid ${k}`));
        lists.push(ids);
      }
      nodes.push({ namespace, name, readers: lists[0]!, writers: lists[1]! });
    }
    return { participant, nodes };
  } catch (err) {
    return `ParticipantEntitiesInfo: ${(err as Error).message}`;
  }
}
