/**
 * One graph message on its way to rosbridge subscribers, encoded lazily and at most once per
 * encoding: the JSON text, the CBOR frame and the CBOR-raw frame are each built the first time a
 * client's queue flushes it and then shared by every client. A message that every client drops
 * is never encoded, so a stalled client costs no serialisation.
 */

import type { MessageDefinitionField } from '@foxglove/message-definition';
import { encode as cborEncode } from 'cbor-x';
import type { Time } from '../../../graph/types.ts';
import { encodeCdr } from '../../../msgs/cdr.ts';
import { messageDefinition } from '../../../msgs/messageDefinition.ts';
import { toRosbridgeJson } from '../../../msgs/rosbridgeJson.ts';

export type Frame = string | Uint8Array;

export class OutgoingMessage {
  readonly topic: string;
  readonly type: string;
  readonly msg: unknown;
  /** Graph time when the bridge received it (cbor-raw's `secs`/`nsecs`). */
  readonly received: Time;
  #json: string | undefined;
  #cbor: Uint8Array | undefined;
  #cborRaw: Uint8Array | undefined;
  #fragments: Map<number, string[]> | undefined;

  constructor(topic: string, type: string, msg: unknown, received: Time) {
    this.topic = topic;
    this.type = type;
    this.msg = msg;
    this.received = received;
  }

  /** `{"op":"publish","topic":...,"msg":...}` in rosbridge JSON conventions. */
  json(): string {
    this.#json ??= JSON.stringify({
      op: 'publish',
      topic: this.topic,
      msg: toRosbridgeJson(this.type, this.msg),
    });
    return this.#json;
  }

  /** The same publish op as CBOR, numeric arrays as RFC 8746 typed arrays, uint8[] as bytes. */
  cbor(): Uint8Array {
    this.#cbor ??= cborEncode({ op: 'publish', topic: this.topic, msg: toCborValue(this.type, this.msg) });
    return this.#cbor;
  }

  /** The publish op as CBOR whose `msg` is `{bytes: <CDR>, secs, nsecs}`. */
  cborRaw(): Uint8Array {
    this.#cborRaw ??= cborEncode({
      op: 'publish',
      topic: this.topic,
      msg: {
        bytes: encodeCdr(this.type, this.msg as never),
        secs: this.received.sec,
        nsecs: this.received.nanosec,
      },
    });
    return this.#cborRaw;
  }

  /**
   * The JSON text split into `fragment` ops of at most `size` characters of data each, all with
   * `id`; undefined when the whole message fits.
   */
  fragments(size: number, id: string): string[] | undefined {
    const text = this.json();
    if (text.length <= size) return undefined;
    this.#fragments ??= new Map();
    let out = this.#fragments.get(size);
    if (!out) {
      out = fragmentText(text, size, id);
      this.#fragments.set(size, out);
    }
    return out;
  }
}

/** Splits `text` into rosbridge `fragment` ops (data slices of at most `size` characters). */
export function fragmentText(text: string, size: number, id: string): string[] {
  const total = Math.ceil(text.length / size);
  const out: string[] = [];
  for (let num = 0; num < total; num++) {
    out.push(
      JSON.stringify({ op: 'fragment', id, data: text.slice(num * size, (num + 1) * size), num, total }),
    );
  }
  return out;
}

const TYPED: Record<string, (new (values: ArrayLike<number>) => ArrayLike<number>) | undefined> = {
  float64: Float64Array,
  float32: Float32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
  byte: Uint8Array,
  char: Uint8Array,
};

/**
 * A message as rosbridge's CBOR encoding carries it (rosbridge_library cbor_conversion): numeric
 * arrays become typed arrays (tagged, little-endian), uint8[] a byte string, int64 a number when
 * it is exact, time `{sec, nanosec}`.
 */
export function toCborValue(type: string, msg: unknown): unknown {
  if (msg === null || typeof msg !== 'object') return msg;
  const src = msg as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of messageDefinition(type).fields) {
    if (f.isConstant || !(f.name in src)) continue;
    out[f.name] = fieldToCbor(f, src[f.name]);
  }
  return out;
}

function fieldToCbor(f: MessageDefinitionField, v: unknown): unknown {
  if (!f.isArray) return scalarToCbor(f, v);
  const Typed = f.isComplex ? undefined : TYPED[f.type];
  if (Typed && (Array.isArray(v) || ArrayBuffer.isView(v))) {
    return v instanceof Typed ? v : new Typed(v as ArrayLike<number>);
  }
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    return Array.from(v as ArrayLike<unknown>, (e) => scalarToCbor(f, e));
  }
  return v;
}

function scalarToCbor(f: MessageDefinitionField, v: unknown): unknown {
  if (f.isComplex) return toCborValue(f.type, v);
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(v);
  }
  return v;
}
