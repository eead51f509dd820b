/**
 * DDS-RTPS 2.x wire format: the message header, the submessages simbridge speaks, parameter
 * lists, and the serialized-payload encapsulation header (OMG DDS-RTPS 2.5, sections 8.3 and 9.4).
 *
 * Parsing never throws on outside input: `parseMessage` returns `{ ok: false, reason }` for a
 * datagram that is not RTPS, is truncated or lies about a length, and the caller drops and
 * counts it. Unknown submessages are skipped, as the spec asks. Everything we write is
 * little-endian; everything we read may be either (the E flag of each submessage).
 */

export const RTPS_MAGIC = 0x52545053; // 'RTPS'
export const HEADER_BYTES = 20;
/** Protocol version we announce (2.1 is what Cyclone 0.10 and Fast DDS 2.9 both accept). */
export const PROTOCOL_VERSION: readonly [number, number] = [2, 1];
/** Vendor id for simbridge: not an OMG-assigned one, so peers apply no vendor quirks. */
export const VENDOR_ID: readonly [number, number] = [0x01, 0x7f];
export const VENDOR_CYCLONE = 0x0110;
export const VENDOR_FASTDDS = 0x010f;

export const SMID = {
  PAD: 0x01,
  ACKNACK: 0x06,
  HEARTBEAT: 0x07,
  GAP: 0x08,
  INFO_TS: 0x09,
  INFO_SRC: 0x0c,
  INFO_DST: 0x0e,
  NACK_FRAG: 0x12,
  HEARTBEAT_FRAG: 0x13,
  DATA: 0x15,
  DATA_FRAG: 0x16,
} as const;

/** Builtin entity ids (spec table 9.2), as big-endian u32. */
export const ENTITYID = {
  UNKNOWN: 0x00000000,
  PARTICIPANT: 0x000001c1,
  SEDP_TOPIC_WRITER: 0x000002c2,
  SEDP_TOPIC_READER: 0x000002c7,
  SEDP_PUBLICATIONS_WRITER: 0x000003c2,
  SEDP_PUBLICATIONS_READER: 0x000003c7,
  SEDP_SUBSCRIPTIONS_WRITER: 0x000004c2,
  SEDP_SUBSCRIPTIONS_READER: 0x000004c7,
  SPDP_WRITER: 0x000100c2,
  SPDP_READER: 0x000100c7,
  P2P_MESSAGE_WRITER: 0x000200c2,
  P2P_MESSAGE_READER: 0x000200c7,
} as const;

/** Entity kinds in the low byte of a user entity id. */
export const ENTITY_KIND = {
  WRITER_NO_KEY: 0x03,
  WRITER_WITH_KEY: 0x02,
  READER_NO_KEY: 0x04,
  READER_WITH_KEY: 0x07,
} as const;

/** Bits of PID_BUILTIN_ENDPOINT_SET. */
export const BUILTIN_ENDPOINT = {
  PARTICIPANT_ANNOUNCER: 1 << 0,
  PARTICIPANT_DETECTOR: 1 << 1,
  PUBLICATION_ANNOUNCER: 1 << 2,
  PUBLICATION_DETECTOR: 1 << 3,
  SUBSCRIPTION_ANNOUNCER: 1 << 4,
  SUBSCRIPTION_DETECTOR: 1 << 5,
  PARTICIPANT_MESSAGE_WRITER: 1 << 10,
  PARTICIPANT_MESSAGE_READER: 1 << 11,
} as const;

export const PID = {
  PAD: 0x0000,
  SENTINEL: 0x0001,
  PARTICIPANT_LEASE_DURATION: 0x0002,
  TOPIC_NAME: 0x0005,
  TYPE_NAME: 0x0007,
  DOMAIN_ID: 0x000f,
  RELIABILITY: 0x001a,
  LIVELINESS: 0x001b,
  DURABILITY: 0x001d,
  PROTOCOL_VERSION: 0x0015,
  VENDORID: 0x0016,
  USER_DATA: 0x002c,
  UNICAST_LOCATOR: 0x002f,
  MULTICAST_LOCATOR: 0x0030,
  DEFAULT_UNICAST_LOCATOR: 0x0031,
  METATRAFFIC_UNICAST_LOCATOR: 0x0032,
  METATRAFFIC_MULTICAST_LOCATOR: 0x0033,
  HISTORY: 0x0040,
  DEFAULT_MULTICAST_LOCATOR: 0x0048,
  PARTICIPANT_GUID: 0x0050,
  BUILTIN_ENDPOINT_SET: 0x0058,
  ENDPOINT_GUID: 0x005a,
  KEY_HASH: 0x0070,
  STATUS_INFO: 0x0071,
  /** Fast DDS: the request this reply answers (rmw_fastrtps services). */
  FASTDDS_RELATED_SAMPLE_IDENTITY: 0x800f,
} as const;

/** Serialized payload encapsulation identifiers (the first two bytes, big-endian). */
export const ENCAPSULATION = {
  CDR_BE: 0x0000,
  CDR_LE: 0x0001,
  PL_CDR_BE: 0x0002,
  PL_CDR_LE: 0x0003,
} as const;

export const LOCATOR_KIND_UDPV4 = 1;
/** SequenceNumberSet / FragmentNumberSet: at most 256 bits (spec 9.4.2.6). */
export const MAX_SET_BITS = 256;

export interface Locator {
  kind: number;
  port: number;
  /** Dotted IPv4 for UDPv4 locators; '' for other kinds. */
  address: string;
}

export interface Header {
  version: [number, number];
  vendorId: number;
  guidPrefix: Uint8Array;
}

interface EntityPair {
  readerId: number;
  writerId: number;
}

export interface DataSubmessage extends EntityPair {
  kind: 'data';
  writerSN: number;
  inlineQos: Parameter[] | undefined;
  /** Serialized payload with its encapsulation header, or undefined (a key-only/dispose DATA). */
  payload: Uint8Array | undefined;
  keyFlag: boolean;
}

export interface DataFragSubmessage extends EntityPair {
  kind: 'dataFrag';
  writerSN: number;
  inlineQos: Parameter[] | undefined;
  /** 1-based number of the first fragment in `fragments`. */
  fragmentStartingNum: number;
  fragmentsInSubmessage: number;
  fragmentSize: number;
  sampleSize: number;
  fragments: Uint8Array;
}

export interface HeartbeatSubmessage extends EntityPair {
  kind: 'heartbeat';
  firstSN: number;
  lastSN: number;
  count: number;
  final: boolean;
  liveliness: boolean;
}

export interface AckNackSubmessage extends EntityPair {
  kind: 'acknack';
  /** Every SN below `base` is acknowledged. */
  base: number;
  /** SNs at or above `base` that the reader asks to be resent. */
  missing: number[];
  count: number;
  final: boolean;
}

export interface GapSubmessage extends EntityPair {
  kind: 'gap';
  gapStart: number;
  /** Base of gapList: every SN in [gapStart, listBase) is irrelevant, plus those in `listed`. */
  listBase: number;
  listed: number[];
}

export interface NackFragSubmessage extends EntityPair {
  kind: 'nackFrag';
  writerSN: number;
  /** 1-based fragment numbers the reader lacks. */
  missing: number[];
  count: number;
}

export interface HeartbeatFragSubmessage extends EntityPair {
  kind: 'heartbeatFrag';
  writerSN: number;
  lastFragmentNum: number;
  count: number;
}

export interface InfoTsSubmessage {
  kind: 'infoTs';
  /** Undefined when the I flag invalidates the timestamp. */
  seconds: number | undefined;
  fraction: number;
}

export interface InfoDstSubmessage {
  kind: 'infoDst';
  guidPrefix: Uint8Array;
}

export interface InfoSrcSubmessage {
  kind: 'infoSrc';
  guidPrefix: Uint8Array;
  vendorId: number;
}

export type Submessage =
  | DataSubmessage
  | DataFragSubmessage
  | HeartbeatSubmessage
  | AckNackSubmessage
  | GapSubmessage
  | NackFragSubmessage
  | HeartbeatFragSubmessage
  | InfoTsSubmessage
  | InfoDstSubmessage
  | InfoSrcSubmessage;

export interface Message {
  header: Header;
  submessages: Submessage[];
}

export type ParseResult = { ok: true; message: Message } | { ok: false; reason: string };

export interface Parameter {
  pid: number;
  value: Uint8Array;
}

class WireError extends Error {}

function fail(reason: string): never {
  throw new WireError(reason);
}

/**
 * A bounds-checked little/big-endian reader over one byte range. It reads bytes by index (no
 * DataView: making one per datagram cost more than the reads), and `parseMessage` re-aims one
 * reader at each submessage of a datagram (`reset`), so parsing allocates no reader per submessage.
 */
class Reader {
  bytes: Uint8Array;
  pos: number;
  end: number;
  le = true;
  constructor(bytes: Uint8Array, start: number, end: number) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }
  reset(start: number, end: number, le: boolean): void {
    this.pos = start;
    this.end = end;
    this.le = le;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end)
      fail(`${what}: needs ${n} bytes at offset ${this.pos}, has ${this.end - this.pos}`);
  }
  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return this.le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
  }
  u32(what: string): number {
    this.need(4, what);
    const p = this.pos;
    this.pos = p + 4;
    return this.le ? u32le(this.bytes, p) : u32be(this.bytes, p);
  }
  i32(what: string): number {
    return this.u32(what) | 0;
  }
  /** Entity ids are byte arrays on the wire: always big-endian, whatever the E flag. */
  entityId(what: string): number {
    this.need(4, what);
    const p = this.pos;
    this.pos = p + 4;
    return u32be(this.bytes, p);
  }
  sn(what: string): number {
    const high = this.i32(what);
    const low = this.u32(what);
    return high * 0x1_0000_0000 + low;
  }
  bytesOf(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function u32be(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Reads a SequenceNumberSet or FragmentNumberSet bitmap: the numbers whose bit is set. */
function readBitmap(r: Reader, base: number, what: string): number[] {
  const numBits = r.u32(`${what} numBits`);
  if (numBits > MAX_SET_BITS) fail(`${what} numBits ${numBits} exceeds ${MAX_SET_BITS}`);
  const out: number[] = [];
  const words = (numBits + 31) >>> 5;
  for (let w = 0; w < words; w++) {
    const word = r.u32(`${what} bitmap`);
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) {
      const i = w * 32 + b;
      if (i < numBits && (word >>> (31 - b)) & 1) out.push(base + i);
    }
  }
  return out;
}

/** Parses a parameter list from `r.pos` up to PID_SENTINEL; fails when there is none. */
function readParameterList(r: Reader, what: string): Parameter[] {
  const out: Parameter[] = [];
  for (;;) {
    const pid = r.u16(`${what} parameter id`);
    const length = r.u16(`${what} parameter length`);
    if (pid === PID.SENTINEL) return out;
    const value = r.bytesOf(length, `${what} parameter 0x${pid.toString(16)}`);
    if (pid !== PID.PAD) out.push({ pid, value });
  }
}

/**
 * Parses a parameter list (PL_CDR) payload body, starting right after the 4-byte
 * encapsulation header. Returns undefined when it is malformed.
 */
export function parseParameterList(bytes: Uint8Array, littleEndian: boolean): Parameter[] | undefined {
  const r = new Reader(bytes, 0, bytes.length);
  r.le = littleEndian;
  try {
    return readParameterList(r, 'parameter list');
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

function parseSubmessage(r: Reader, id: number, flags: number): Submessage | undefined {
  switch (id) {
    case SMID.DATA: {
      r.u16('DATA extraFlags');
      const octetsToInlineQos = r.u16('DATA octetsToInlineQos');
      const start = r.pos;
      const readerId = r.entityId('DATA readerId');
      const writerId = r.entityId('DATA writerId');
      const writerSN = r.sn('DATA writerSN');
      r.pos = start + octetsToInlineQos;
      if (r.pos > r.end) fail(`DATA octetsToInlineQos ${octetsToInlineQos} runs past the submessage`);
      const inlineQos = flags & 0x02 ? readParameterList(r, 'DATA inlineQos') : undefined;
      const hasPayload = (flags & 0x0c) !== 0; // D or K
      const payload = hasPayload ? r.bytesOf(r.end - r.pos, 'DATA payload') : undefined;
      if (payload && payload.length < 4) fail(`DATA payload of ${payload.length} bytes has no encapsulation`);
      return {
        kind: 'data',
        readerId,
        writerId,
        writerSN,
        inlineQos,
        payload,
        keyFlag: (flags & 0x08) !== 0,
      };
    }
    case SMID.DATA_FRAG: {
      r.u16('DATA_FRAG extraFlags');
      const octetsToInlineQos = r.u16('DATA_FRAG octetsToInlineQos');
      const start = r.pos;
      const readerId = r.entityId('DATA_FRAG readerId');
      const writerId = r.entityId('DATA_FRAG writerId');
      const writerSN = r.sn('DATA_FRAG writerSN');
      const fragmentStartingNum = r.u32('DATA_FRAG fragmentStartingNum');
      const fragmentsInSubmessage = r.u16('DATA_FRAG fragmentsInSubmessage');
      const fragmentSize = r.u16('DATA_FRAG fragmentSize');
      const sampleSize = r.u32('DATA_FRAG sampleSize');
      if (fragmentStartingNum < 1) fail('DATA_FRAG fragmentStartingNum 0');
      if (fragmentSize === 0) fail('DATA_FRAG fragmentSize 0');
      r.pos = start + octetsToInlineQos;
      if (r.pos > r.end) fail(`DATA_FRAG octetsToInlineQos ${octetsToInlineQos} runs past the submessage`);
      const inlineQos = flags & 0x02 ? readParameterList(r, 'DATA_FRAG inlineQos') : undefined;
      const fragments = r.bytesOf(r.end - r.pos, 'DATA_FRAG fragments');
      return {
        kind: 'dataFrag',
        readerId,
        writerId,
        writerSN,
        inlineQos,
        fragmentStartingNum,
        fragmentsInSubmessage,
        fragmentSize,
        sampleSize,
        fragments,
      };
    }
    case SMID.HEARTBEAT: {
      const readerId = r.entityId('HEARTBEAT readerId');
      const writerId = r.entityId('HEARTBEAT writerId');
      const firstSN = r.sn('HEARTBEAT firstSN');
      const lastSN = r.sn('HEARTBEAT lastSN');
      const count = r.u32('HEARTBEAT count');
      return {
        kind: 'heartbeat',
        readerId,
        writerId,
        firstSN,
        lastSN,
        count,
        final: (flags & 0x02) !== 0,
        liveliness: (flags & 0x04) !== 0,
      };
    }
    case SMID.ACKNACK: {
      const readerId = r.entityId('ACKNACK readerId');
      const writerId = r.entityId('ACKNACK writerId');
      const base = r.sn('ACKNACK readerSNState base');
      const missing = readBitmap(r, base, 'ACKNACK readerSNState');
      const count = r.u32('ACKNACK count');
      return { kind: 'acknack', readerId, writerId, base, missing, count, final: (flags & 0x02) !== 0 };
    }
    case SMID.GAP: {
      const readerId = r.entityId('GAP readerId');
      const writerId = r.entityId('GAP writerId');
      const gapStart = r.sn('GAP gapStart');
      const listBase = r.sn('GAP gapList base');
      const listed = readBitmap(r, listBase, 'GAP gapList');
      return { kind: 'gap', readerId, writerId, gapStart, listBase, listed };
    }
    case SMID.NACK_FRAG: {
      const readerId = r.entityId('NACK_FRAG readerId');
      const writerId = r.entityId('NACK_FRAG writerId');
      const writerSN = r.sn('NACK_FRAG writerSN');
      const base = r.u32('NACK_FRAG fragmentNumberState base');
      const missing = readBitmap(r, base, 'NACK_FRAG fragmentNumberState');
      const count = r.u32('NACK_FRAG count');
      return { kind: 'nackFrag', readerId, writerId, writerSN, missing, count };
    }
    case SMID.HEARTBEAT_FRAG: {
      const readerId = r.entityId('HEARTBEAT_FRAG readerId');
      const writerId = r.entityId('HEARTBEAT_FRAG writerId');
      const writerSN = r.sn('HEARTBEAT_FRAG writerSN');
      const lastFragmentNum = r.u32('HEARTBEAT_FRAG lastFragmentNum');
      const count = r.u32('HEARTBEAT_FRAG count');
      return { kind: 'heartbeatFrag', readerId, writerId, writerSN, lastFragmentNum, count };
    }
    case SMID.INFO_TS: {
      if (flags & 0x02) return { kind: 'infoTs', seconds: undefined, fraction: 0 };
      const seconds = r.i32('INFO_TS seconds');
      const fraction = r.u32('INFO_TS fraction');
      return { kind: 'infoTs', seconds, fraction };
    }
    case SMID.INFO_DST:
      return { kind: 'infoDst', guidPrefix: r.bytesOf(12, 'INFO_DST guidPrefix') };
    case SMID.INFO_SRC: {
      r.u32('INFO_SRC unused');
      r.u16('INFO_SRC version');
      r.le = false;
      const vendorId = r.u16('INFO_SRC vendorId');
      return { kind: 'infoSrc', vendorId, guidPrefix: r.bytesOf(12, 'INFO_SRC guidPrefix') };
    }
    default:
      return undefined; // PAD, INFO_REPLY, vendor-specific: skipped
  }
}

/** Where `peekPlainData` found the DATA of a datagram; filled in place (no allocation). */
export interface PlainDataAt {
  readerId: number;
  writerId: number;
  writerSN: number;
  /** The serialized payload (encapsulation header included) is `[payloadStart, datagram end)`. */
  payloadStart: number;
}

/**
 * Recognises the datagram a writer sends for each sample of a stream: the RTPS header, an
 * optional INFO_TS, then one little-endian DATA with a payload and no inline QoS that ends the
 * datagram. For it, fills `at` and returns true without building a Message (the receive hot
 * path: Cyclone DDS sends one such datagram per sample); for any other datagram returns false,
 * and the caller parses it with `parseMessage`. What it accepts, `parseMessage` parses to the
 * same DATA (fuzzed in rtpsWire.test.ts). Never throws.
 */
export function peekPlainData(bytes: Uint8Array, at: PlainDataAt): boolean {
  const n = bytes.length;
  if (n < HEADER_BYTES + 28 || u32be(bytes, 0) !== RTPS_MAGIC || bytes[4] !== 2) return false;
  let pos = HEADER_BYTES;
  if (bytes[pos] === SMID.INFO_TS) {
    const f = bytes[pos + 1]!;
    const octets =
      f & 0x01 ? bytes[pos + 2]! | (bytes[pos + 3]! << 8) : (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    // INFO_TS carries 8 bytes, or none with the I (invalidate) flag.
    if (octets !== (f & 0x02 ? 0 : 8)) return false;
    pos += 4 + octets;
  }
  // DATA, flags E (little-endian) and D (data) only: no inline QoS, no key.
  if (pos + 28 > n || bytes[pos] !== SMID.DATA || (bytes[pos + 1]! & 0x0f) !== 0x05) return false;
  const octets = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
  if (octets !== 0 && pos + 4 + octets !== n) return false; // not the last submessage
  if ((bytes[pos + 6]! | (bytes[pos + 7]! << 8)) !== 16) return false; // octetsToInlineQos
  at.readerId = u32be(bytes, pos + 8);
  at.writerId = u32be(bytes, pos + 12);
  at.writerSN = (u32le(bytes, pos + 16) | 0) * 0x1_0000_0000 + u32le(bytes, pos + 20);
  at.payloadStart = pos + 24;
  return n - at.payloadStart >= 4;
}

/** Parses one RTPS datagram. Never throws. */
export function parseMessage(datagram: Uint8Array): ParseResult {
  // A plain Uint8Array view: subarray() on a Node Buffer is several times slower, and it is
  // called for every prefix, payload and parameter below.
  const bytes =
    datagram.constructor === Uint8Array
      ? datagram
      : new Uint8Array(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  try {
    if (bytes.length < HEADER_BYTES)
      fail(`datagram of ${bytes.length} bytes is shorter than the RTPS header`);
    if (u32be(bytes, 0) !== RTPS_MAGIC) fail('datagram does not start with "RTPS"');
    const header: Header = {
      version: [bytes[4]!, bytes[5]!],
      vendorId: (bytes[6]! << 8) | bytes[7]!,
      guidPrefix: bytes.subarray(8, 20),
    };
    if (header.version[0] !== 2) fail(`unsupported RTPS major version ${header.version[0]}`);
    const submessages: Submessage[] = [];
    const r = new Reader(bytes, 0, 0);
    let pos = HEADER_BYTES;
    while (pos < bytes.length) {
      if (pos + 4 > bytes.length) fail(`submessage header truncated at offset ${pos}`);
      const id = bytes[pos]!;
      const flags = bytes[pos + 1]!;
      const le = (flags & 0x01) !== 0;
      const octets = le ? bytes[pos + 2]! | (bytes[pos + 3]! << 8) : (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
      const bodyStart = pos + 4;
      // 0 means "to the end of the message", except for PAD and INFO_TS (spec 9.4.5.1.3).
      const bodyEnd =
        octets === 0 && id !== SMID.PAD && id !== SMID.INFO_TS ? bytes.length : bodyStart + octets;
      if (bodyEnd > bytes.length) {
        fail(
          `submessage 0x${id.toString(16)} at offset ${pos} claims ${octets} bytes, has ${bytes.length - bodyStart}`,
        );
      }
      r.reset(bodyStart, bodyEnd, le);
      const sub = parseSubmessage(r, id, flags);
      if (sub) submessages.push(sub);
      pos = bodyEnd;
    }
    return { ok: true, message: { header, submessages } };
  } catch (err) {
    if (err instanceof WireError) return { ok: false, reason: err.message };
    return { ok: false, reason: `unexpected parser error: ${(err as Error).message}` };
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Builds one RTPS datagram, little-endian, in a growable buffer. */
export class MessageBuilder {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;
  #subStart = -1;

  constructor(guidPrefix: Uint8Array, initialBytes = 512) {
    this.#buf = new Uint8Array(Math.max(initialBytes, 64));
    this.#view = new DataView(this.#buf.buffer);
    this.#u32be(RTPS_MAGIC);
    this.#u8(PROTOCOL_VERSION[0]);
    this.#u8(PROTOCOL_VERSION[1]);
    this.#u8(VENDOR_ID[0]);
    this.#u8(VENDOR_ID[1]);
    this.#bytes(guidPrefix);
  }

  get length(): number {
    return this.#pos;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }
  #u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.#pos++] = v;
  }
  #u16(v: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.#pos, v, true);
    this.#pos += 2;
  }
  #u32(v: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, v >>> 0, true);
    this.#pos += 4;
  }
  #u32be(v: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, v >>> 0, false);
    this.#pos += 4;
  }
  #sn(v: number): void {
    this.#reserve(8);
    this.#view.setInt32(this.#pos, Math.floor(v / 0x1_0000_0000), true);
    this.#view.setUint32(this.#pos + 4, v >>> 0, true);
    this.#pos += 8;
  }
  #bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }
  #begin(id: number, flags: number): void {
    this.#u8(id);
    this.#u8(flags | 0x01); // E: little-endian
    this.#subStart = this.#pos;
    this.#u16(0);
  }
  #end(): void {
    const len = this.#pos - this.#subStart - 2;
    this.#view.setUint16(this.#subStart, len, true);
  }
  #bitmap(base: number, members: readonly number[]): void {
    let numBits = 0;
    for (const m of members)
      if (m >= base && m - base < MAX_SET_BITS) numBits = Math.max(numBits, m - base + 1);
    const words = new Uint32Array((numBits + 31) >>> 5);
    for (const m of members) {
      const i = m - base;
      if (i >= 0 && i < numBits) words[i >>> 5]! |= 1 << (31 - (i & 31));
    }
    this.#u32(numBits);
    for (const w of words) this.#u32(w);
  }
  #params(params: readonly Parameter[]): void {
    for (const p of params) {
      const padded = (p.value.length + 3) & ~3;
      this.#u16(p.pid);
      this.#u16(padded);
      this.#bytes(p.value);
      for (let i = p.value.length; i < padded; i++) this.#u8(0);
    }
    this.#u16(PID.SENTINEL);
    this.#u16(0);
  }

  infoDst(guidPrefix: Uint8Array): this {
    this.#begin(SMID.INFO_DST, 0);
    this.#bytes(guidPrefix);
    this.#end();
    return this;
  }

  /** INFO_TS with the given time in milliseconds since the epoch. */
  infoTs(epochMs: number): this {
    this.#begin(SMID.INFO_TS, 0);
    const seconds = Math.floor(epochMs / 1000);
    this.#u32(seconds);
    this.#u32(Math.floor(((epochMs - seconds * 1000) / 1000) * 0x1_0000_0000));
    this.#end();
    return this;
  }

  data(
    readerId: number,
    writerId: number,
    writerSN: number,
    payload: Uint8Array | undefined,
    inlineQos?: readonly Parameter[],
  ): this {
    this.#begin(SMID.DATA, (inlineQos ? 0x02 : 0) | (payload ? 0x04 : 0));
    this.#u16(0);
    this.#u16(16);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(writerSN);
    if (inlineQos) this.#params(inlineQos);
    if (payload) {
      const at = this.#pos;
      this.#bytes(payload);
      // Submessages stay 4-byte aligned (spec 9.4.1); the padding is declared in the low two
      // bits of the encapsulation options (DDS-XTypes 7.6.3.1.2) so readers can strip it.
      const pad = (4 - (payload.length & 3)) & 3;
      for (let i = 0; i < pad; i++) this.#u8(0);
      if (pad && payload.length >= 4 && payload[0] === 0 && payload[1]! <= 1) {
        this.#buf[at + 3] = (this.#buf[at + 3]! & ~3) | pad;
      }
    }
    this.#end();
    return this;
  }

  dataFrag(
    readerId: number,
    writerId: number,
    writerSN: number,
    fragmentStartingNum: number,
    fragmentSize: number,
    sampleSize: number,
    fragments: Uint8Array,
    inlineQos?: readonly Parameter[],
  ): this {
    this.#begin(SMID.DATA_FRAG, inlineQos ? 0x02 : 0);
    this.#u16(0);
    this.#u16(28);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(writerSN);
    this.#u32(fragmentStartingNum);
    this.#u16(Math.ceil(fragments.length / fragmentSize));
    this.#u16(fragmentSize);
    this.#u32(sampleSize);
    if (inlineQos) this.#params(inlineQos);
    this.#bytes(fragments);
    while ((this.#pos - this.#subStart - 2) & 3) this.#u8(0);
    this.#end();
    return this;
  }

  heartbeat(
    readerId: number,
    writerId: number,
    firstSN: number,
    lastSN: number,
    count: number,
    final = false,
  ): this {
    this.#begin(SMID.HEARTBEAT, final ? 0x02 : 0);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(firstSN);
    this.#sn(lastSN);
    this.#u32(count);
    this.#end();
    return this;
  }

  /** ACKNACK: everything below `base` received; `missing` (each ≥ base, < base+256) requested. */
  acknack(
    readerId: number,
    writerId: number,
    base: number,
    missing: readonly number[],
    count: number,
    final = false,
  ): this {
    this.#begin(SMID.ACKNACK, final ? 0x02 : 0);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(base);
    this.#bitmap(base, missing);
    this.#u32(count);
    this.#end();
    return this;
  }

  gap(
    readerId: number,
    writerId: number,
    gapStart: number,
    listBase: number,
    listed: readonly number[] = [],
  ): this {
    this.#begin(SMID.GAP, 0);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(gapStart);
    this.#sn(listBase);
    this.#bitmap(listBase, listed);
    this.#end();
    return this;
  }

  nackFrag(
    readerId: number,
    writerId: number,
    writerSN: number,
    missing: readonly number[],
    count: number,
  ): this {
    this.#begin(SMID.NACK_FRAG, 0);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(writerSN);
    const base = missing.length ? Math.min(...missing) : 1;
    this.#u32(base);
    this.#bitmap(base, missing);
    this.#u32(count);
    this.#end();
    return this;
  }

  heartbeatFrag(
    readerId: number,
    writerId: number,
    writerSN: number,
    lastFragmentNum: number,
    count: number,
  ): this {
    this.#begin(SMID.HEARTBEAT_FRAG, 0);
    this.#u32be(readerId);
    this.#u32be(writerId);
    this.#sn(writerSN);
    this.#u32(lastFragmentNum);
    this.#u32(count);
    this.#end();
    return this;
  }

  /** The datagram so far (a view: copy it before building more into this builder). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}

// ---------------------------------------------------------------------------------------------
// Parameter values

/** Little-endian parameter-value builder helpers. */
export const paramValue = {
  u32(v: number): Uint8Array {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  },
  u32pair(a: number, b: number): Uint8Array {
    const out = new Uint8Array(8);
    const v = new DataView(out.buffer);
    v.setUint32(0, a >>> 0, true);
    v.setUint32(4, b >>> 0, true);
    return out;
  },
  /** A DDS Duration_t in seconds (seconds, 2^-32 fraction). */
  duration(seconds: number): Uint8Array {
    if (!Number.isFinite(seconds)) return paramValue.u32pair(0x7fffffff, 0xffffffff);
    const s = Math.floor(seconds);
    return paramValue.u32pair(s, Math.floor((seconds - s) * 0x1_0000_0000));
  },
  string(s: string): Uint8Array {
    const text = new TextEncoder().encode(s);
    const out = new Uint8Array(4 + text.length + 1);
    new DataView(out.buffer).setUint32(0, text.length + 1, true);
    out.set(text, 4);
    return out;
  },
  octets(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(4 + bytes.length);
    new DataView(out.buffer).setUint32(0, bytes.length, true);
    out.set(bytes, 4);
    return out;
  },
  locator(loc: Locator): Uint8Array {
    const out = new Uint8Array(24);
    const v = new DataView(out.buffer);
    v.setInt32(0, loc.kind, true);
    v.setUint32(4, loc.port, true);
    const parts = loc.address.split('.').map(Number);
    for (let i = 0; i < 4; i++) out[20 + i] = parts[i] ?? 0;
    return out;
  },
};

/** Reads typed values out of parameter bytes; each returns undefined if too short. */
export const readParam = {
  u32(b: Uint8Array, le: boolean): number | undefined {
    if (b.length < 4) return undefined;
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, le);
  },
  i32At(b: Uint8Array, offset: number, le: boolean): number | undefined {
    if (b.length < offset + 4) return undefined;
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(offset, le);
  },
  /** Duration_t in seconds (Infinity for DURATION_INFINITE). */
  duration(b: Uint8Array, le: boolean, offset = 0): number | undefined {
    if (b.length < offset + 8) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const s = v.getInt32(offset, le);
    const f = v.getUint32(offset + 4, le);
    if (s === 0x7fffffff) return Number.POSITIVE_INFINITY;
    return s + f / 0x1_0000_0000;
  },
  string(b: Uint8Array, le: boolean): string | undefined {
    if (b.length < 4) return undefined;
    const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, le);
    if (n === 0 || 4 + n > b.length) return undefined;
    return new TextDecoder().decode(b.subarray(4, 4 + n - 1));
  },
  octets(b: Uint8Array, le: boolean): Uint8Array | undefined {
    if (b.length < 4) return undefined;
    const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, le);
    if (4 + n > b.length) return undefined;
    return b.subarray(4, 4 + n);
  },
  locator(b: Uint8Array, le: boolean): Locator | undefined {
    if (b.length < 24) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const kind = v.getInt32(0, le);
    const port = v.getUint32(4, le);
    const address = kind === LOCATOR_KIND_UDPV4 ? `${b[20]}.${b[21]}.${b[22]}.${b[23]}` : '';
    return { kind, port, address };
  },
};

/** Wraps a parameter list as a PL_CDR_LE serialized payload. */
export function plPayload(params: readonly Parameter[]): Uint8Array {
  let size = 4 + 4;
  for (const p of params) size += 4 + ((p.value.length + 3) & ~3);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint16(0, ENCAPSULATION.PL_CDR_LE, false);
  let pos = 4;
  for (const p of params) {
    const padded = (p.value.length + 3) & ~3;
    v.setUint16(pos, p.pid, true);
    v.setUint16(pos + 2, padded, true);
    out.set(p.value, pos + 4);
    pos += 4 + padded;
  }
  v.setUint16(pos, PID.SENTINEL, true);
  return out;
}

/**
 * The payload without the padding its encapsulation options declare (plain CDR only: parameter
 * lists end at their sentinel anyway).
 */
export function stripPadding(payload: Uint8Array): Uint8Array {
  if (payload.length < 8 || payload[0] !== 0 || payload[1]! > 1) return payload;
  const pad = payload[3]! & 3;
  return pad ? payload.subarray(0, payload.length - pad) : payload;
}

/** Reads the encapsulation of a serialized payload; undefined when too short. */
export function encapsulationOf(payload: Uint8Array): number | undefined {
  if (payload.length < 4) return undefined;
  return (payload[0]! << 8) | payload[1]!;
}

/** Parses a PL_CDR_LE / PL_CDR_BE payload into parameters (undefined when malformed or not PL). */
export function parsePlPayload(payload: Uint8Array): { params: Parameter[]; le: boolean } | undefined {
  const enc = encapsulationOf(payload);
  if (enc !== ENCAPSULATION.PL_CDR_LE && enc !== ENCAPSULATION.PL_CDR_BE) return undefined;
  const le = enc === ENCAPSULATION.PL_CDR_LE;
  const params = parseParameterList(payload.subarray(4), le);
  return params ? { params, le } : undefined;
}

// ---------------------------------------------------------------------------------------------
// GUIDs

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A map key for a GUID: 24 hex digits of prefix, then 8 of entity id. */
export function guidKey(prefix: Uint8Array, entityId: number): string {
  return hex(prefix) + (entityId >>> 0).toString(16).padStart(8, '0');
}

export function guidBytes(prefix: Uint8Array, entityId: number): Uint8Array {
  const out = new Uint8Array(16);
  out.set(prefix, 0);
  new DataView(out.buffer).setUint32(12, entityId >>> 0, false);
  return out;
}

export function splitGuid(bytes: Uint8Array): { prefix: Uint8Array; entityId: number } | undefined {
  if (bytes.length < 16) return undefined;
  return {
    prefix: bytes.slice(0, 12),
    entityId: new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12, false),
  };
}

export function isWriterEntity(entityId: number): boolean {
  const kind = entityId & 0x3f;
  return kind === 0x02 || kind === 0x03;
}
