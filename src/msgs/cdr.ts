import type { MessageDefinitionField } from '@foxglove/message-definition';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { UserError } from '../errors.ts';
import type { MessageType } from './generated/types.ts';
import { messageDefinition, messageDefinitions } from './messageDefinition.ts';
import { INTEGER_RANGES, TYPED_ARRAY_CTORS } from './messageSchema.ts';

/*
 * ROS 2 CDR (XCDR1, little-endian, plain CDR as rmw_fastrtps/cyclonedds write it):
 * a 4-byte encapsulation header 00 01 00 00, then the fields in order, each primitive aligned to
 * its size (time/duration: 4) relative to the end of the header; strings are a uint32 byte count
 * including the NUL terminator, the UTF-8 bytes, and NUL; sequences are a uint32 count then the
 * elements; fixed-size arrays have no count. A message with no fields is one uint8 0.
 *
 * Encoding is done here rather than with @foxglove/rosmsg2-serialization's MessageWriter, whose
 * CdrWriter sizes strings by UTF-16 code units and so truncates non-ASCII text ("héllo→" comes
 * back as "héllo"). Decoding uses its MessageReader, after a bounds pre-pass (checkBounds) that
 * keeps hostile sequence counts from making it allocate gigabytes.
 */

const HEADER_BYTES = 4;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const PRIMITIVE_SIZES: Record<string, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
  time: 8,
  duration: 8,
};

// ---------------------------------------------------------------------------------------------
// Encoding

/** Scratch output, grown as needed and reused: encodeCdr is synchronous, so it is never shared. */
let buf = new Uint8Array(4096);
let view = new DataView(buf.buffer);
let off = 0;
const textEncoder = new TextEncoder();

function reserve(n: number): void {
  if (off + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < off + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, off));
  buf = next;
  view = new DataView(buf.buffer);
}

function align(n: number): void {
  const pad = (off - HEADER_BYTES) % n;
  if (pad === 0) return;
  reserve(n - pad);
  buf.fill(0, off, off + n - pad);
  off += n - pad;
}

/** Thrown inside the encoder and re-thrown as a UserError with the field path. */
class EncodeError extends Error {
  path: (string | number)[] = [];
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v === undefined) return String(v);
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

type Encode = (v: unknown) => void;

function writeInt(type: string, v: number): void {
  switch (type) {
    case 'bool':
    case 'int8':
      view.setInt8(off, v);
      break;
    case 'uint8':
      view.setUint8(off, v);
      break;
    case 'int16':
      view.setInt16(off, v, true);
      break;
    case 'uint16':
      view.setUint16(off, v, true);
      break;
    case 'int32':
      view.setInt32(off, v, true);
      break;
    case 'uint32':
      view.setUint32(off, v, true);
      break;
  }
}

function scalarEncoder(f: MessageDefinitionField): Encode {
  if (f.isComplex) {
    const sub = encoderFor(f.type);
    return (v) => sub(v ?? {});
  }
  const t = f.type;
  const fallback = f.defaultValue;
  switch (t) {
    case 'bool':
      return (v) => {
        const x = v ?? fallback ?? false;
        if (typeof x !== 'boolean') throw new EncodeError(`expected boolean, got ${describe(v)}`);
        reserve(1);
        buf[off++] = x ? 1 : 0;
      };
    case 'float32':
    case 'float64': {
      const size = t === 'float32' ? 4 : 8;
      return (v) => {
        const x = v ?? fallback ?? 0;
        if (typeof x !== 'number') throw new EncodeError(`expected number, got ${describe(v)}`);
        align(size);
        reserve(size);
        if (size === 4) view.setFloat32(off, x, true);
        else view.setFloat64(off, x, true);
        off += size;
      };
    }
    case 'int64':
    case 'uint64':
      return (v) => {
        const x = v ?? fallback ?? 0n;
        let b: bigint;
        if (typeof x === 'bigint') b = x;
        else if (typeof x === 'number' && Number.isSafeInteger(x)) b = BigInt(x);
        else throw new EncodeError(`expected ${t} (bigint), got ${describe(v)}`);
        if (t === 'uint64' ? b < 0n || b >= 2n ** 64n : b < -(2n ** 63n) || b >= 2n ** 63n) {
          throw new EncodeError(`expected ${t}, got ${describe(v)} (out of range)`);
        }
        align(8);
        reserve(8);
        if (t === 'int64') view.setBigInt64(off, b, true);
        else view.setBigUint64(off, b, true);
        off += 8;
      };
    case 'string':
    case 'wstring': {
      if (t === 'wstring') return () => throwUnsupported('wstring');
      const max = f.upperBound;
      return (v) => {
        const x = v ?? fallback ?? '';
        if (typeof x !== 'string') throw new EncodeError(`expected string, got ${describe(v)}`);
        if (max !== undefined && x.length > max) {
          throw new EncodeError(`expected a string of at most ${max} characters, got ${x.length}`);
        }
        writeString(x);
      };
    }
    case 'time':
    case 'duration':
      return (v) => {
        const x = (v ?? { sec: 0, nanosec: 0 }) as { sec?: unknown; nanosec?: unknown };
        const { sec, nanosec } = x;
        if (typeof x !== 'object' || !isIntIn(sec, 'int32') || !isIntIn(nanosec, 'uint32')) {
          throw new EncodeError(`expected {sec: int32, nanosec: uint32}, got ${describe(v)}`);
        }
        align(4);
        reserve(8);
        view.setInt32(off, sec as number, true);
        view.setUint32(off + 4, nanosec as number, true);
        off += 8;
      };
    default: {
      if (!(t in INTEGER_RANGES)) return () => throwUnsupported(t);
      const r = t as keyof typeof INTEGER_RANGES;
      const size = PRIMITIVE_SIZES[t]!;
      const [lo, hi] = INTEGER_RANGES[r];
      return (v) => {
        const x = v ?? fallback ?? 0;
        if (!isIntIn(x, r)) throw new EncodeError(`expected ${t} (integer ${lo}..${hi}), got ${describe(v)}`);
        align(size);
        reserve(size);
        writeInt(t, x as number);
        off += size;
      };
    }
  }
}

function throwUnsupported(t: string): never {
  throw new EncodeError(`${t} fields are not supported`);
}

function isIntIn(v: unknown, t: keyof typeof INTEGER_RANGES): boolean {
  const [lo, hi] = INTEGER_RANGES[t];
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

function writeString(s: string): void {
  align(4);
  reserve(4 + s.length * 3 + 1);
  const { written } = textEncoder.encodeInto(s, buf.subarray(off + 4, off + 4 + s.length * 3));
  view.setUint32(off, written + 1, true);
  off += 4 + written;
  buf[off++] = 0;
}

function arrayEncoder(f: MessageDefinitionField): Encode {
  const elem = scalarEncoder({ ...f, isArray: false, defaultValue: undefined });
  const fixed = f.arrayLength;
  const max = f.arrayUpperBound;
  const ctor = f.isComplex ? undefined : TYPED_ARRAY_CTORS[f.type as keyof typeof TYPED_ARRAY_CTORS];
  const size = PRIMITIVE_SIZES[f.type] ?? 1;
  // Raw copies are only right for types whose elements have no per-element check left to do.
  const rawCopy = ctor !== undefined && HOST_LITTLE_ENDIAN;
  return (v) => {
    let x = v ?? f.defaultValue;
    if (x === undefined) x = fixed === undefined ? [] : Array.from({ length: fixed }, () => undefined);
    const isView = ArrayBuffer.isView(x) && !(x instanceof DataView);
    if (!Array.isArray(x) && !isView) throw new EncodeError(`expected an array, got ${describe(v)}`);
    const arr = x as ArrayLike<unknown>;
    if (fixed !== undefined && arr.length !== fixed) {
      throw new EncodeError(`expected exactly ${fixed} elements, got ${arr.length}`);
    }
    if (max !== undefined && arr.length > max) {
      throw new EncodeError(`expected at most ${max} elements, got ${arr.length}`);
    }
    if (fixed === undefined) {
      align(4);
      reserve(4);
      view.setUint32(off, arr.length, true);
      off += 4;
    }
    if (rawCopy && ctor && x instanceof ctor && arr.length > 0) {
      const ta = x as ArrayBufferView;
      align(size);
      reserve(ta.byteLength);
      buf.set(new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength), off);
      off += ta.byteLength;
      return;
    }
    for (let i = 0; i < arr.length; i++) {
      try {
        elem(arr[i]);
      } catch (err) {
        if (err instanceof EncodeError) err.path.unshift(i);
        throw err;
      }
    }
  };
}

const encoders = new Map<string, Encode>();

function encoderFor(type: string): Encode {
  let enc = encoders.get(type);
  if (enc) return enc;
  const fields = messageDefinition(type).fields.filter((f) => !f.isConstant);
  if (fields.length === 0) {
    // rosidl adds `uint8 structure_needs_at_least_one_member` to empty messages.
    enc = () => {
      reserve(1);
      buf[off++] = 0;
    };
  } else {
    const parts = fields.map((f) => ({ name: f.name, enc: f.isArray ? arrayEncoder(f) : scalarEncoder(f) }));
    enc = (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new EncodeError(`expected a ${type} object, got ${describe(v)}`);
      }
      const obj = v as Record<string, unknown>;
      for (const p of parts) {
        try {
          p.enc(obj[p.name]);
        } catch (err) {
          if (err instanceof EncodeError) err.path.unshift(p.name);
          throw err;
        }
      }
    };
  }
  encoders.set(type, enc);
  return enc;
}

/**
 * Serializes a message to ROS 2 CDR (little-endian, with the 00 01 00 00 header).
 * Missing fields are written as their ROS defaults; extra fields are ignored (validate untrusted
 * input with validateMessage() first). Numeric arrays may be plain arrays or typed arrays.
 *
 * @throws UserError naming the field path and value if a field has the wrong type or is out of
 *   range, e.g. `position.1: expected number, got "x"`.
 */
export function encodeCdr<T extends string>(type: T, msg: MessageType<T>, source?: string): Uint8Array {
  const enc = encoderFor(type);
  off = 0;
  reserve(HEADER_BYTES);
  buf[0] = 0;
  buf[1] = 1; // CDR_LE
  buf[2] = 0;
  buf[3] = 0;
  off = HEADER_BYTES;
  try {
    enc(msg);
  } catch (err) {
    if (err instanceof EncodeError) {
      const path = err.path.length ? `${err.path.join('.')}: ` : '';
      throw new UserError(`cannot encode ${type}: ${path}${err.message}`, { source });
    }
    throw err;
  }
  return buf.slice(0, off);
}

// ---------------------------------------------------------------------------------------------
// Decoding

const readers = new Map<string, MessageReader>();

/**
 * Walks the bytes as `type` without building values, and fails if any string or sequence claims
 * more bytes than are left. After it passes, MessageReader allocates at most a few times the
 * input's size.
 */
function checkBounds(type: string, bytes: Uint8Array, littleEndian: boolean): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = HEADER_BYTES;
  const end = bytes.byteLength;
  const need = (n: number, what: string) => {
    if (pos + n > end) {
      throw new Error(`${what} at byte ${pos} needs ${n} bytes, only ${Math.max(0, end - pos)} left`);
    }
  };
  const alignTo = (n: number) => {
    const pad = (pos - HEADER_BYTES) % n;
    if (pad) pos += n - pad;
  };
  const u32 = (what: string) => {
    alignTo(4);
    need(4, what);
    const n = dv.getUint32(pos, littleEndian);
    pos += 4;
    return n;
  };
  const walk = (t: string) => {
    const fields = messageDefinition(t).fields.filter((f) => !f.isConstant);
    if (fields.length === 0) {
      need(1, t);
      pos += 1;
      return;
    }
    for (const f of fields) {
      const count = f.isArray ? (f.arrayLength ?? u32(`length of ${f.name}`)) : 1;
      if (f.isComplex) {
        need(count, f.name); // every element takes at least one byte
        for (let i = 0; i < count; i++) walk(f.type);
      } else if (f.type === 'string') {
        need(count * 4, f.name);
        for (let i = 0; i < count; i++) {
          const len = u32(f.name);
          need(len, f.name);
          pos += len;
        }
      } else {
        const size = PRIMITIVE_SIZES[f.type];
        if (size === undefined) throw new Error(`${f.type} fields are not supported`);
        if (count === 0) continue;
        alignTo(f.type === 'time' || f.type === 'duration' ? 4 : size);
        need(count * size, f.name);
        pos += count * size;
      }
    }
  };
  walk(type);
}

/**
 * Deserializes ROS 2 CDR bytes (plain CDR, either byte order) into a message.
 * Numeric arrays come back as typed arrays (Float64Array for float64[], Uint8Array for uint8[]);
 * they may be views into `bytes`, so copy them if `bytes` will be reused. Trailing bytes
 * (padding) are ignored, as CDR allows.
 *
 * @throws UserError if the type is unknown or the bytes are not a valid encoding of it; never
 *   anything else, whatever the bytes.
 */
export function decodeCdr<T extends string>(type: T, bytes: Uint8Array, source?: string): MessageType<T> {
  let reader = readers.get(type);
  if (!reader) {
    reader = new MessageReader(messageDefinitions(type));
    readers.set(type, reader);
  }
  try {
    if (bytes.byteLength < HEADER_BYTES)
      throw new Error(`${bytes.byteLength} bytes is shorter than the CDR header`);
    if (bytes[0] !== 0 || (bytes[1] !== 0 && bytes[1] !== 1)) {
      const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new Error(
        `unsupported encapsulation header ${hex} (expected plain CDR: 00 01 00 00 or 00 00 00 00)`,
      );
    }
    checkBounds(type, bytes, bytes[1] === 1);
    return reader.readMessage(bytes) as MessageType<T>;
  } catch (err) {
    throw new UserError(`cannot decode ${type} from CDR: ${(err as Error).message}`, { source, cause: err });
  }
}
