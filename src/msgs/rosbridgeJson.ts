import type { MessageDefinitionField } from '@foxglove/message-definition';
import { fillDefaults } from './fillDefaults.ts';
import type { MessageType } from './generated/types.ts';
import { messageDefinition } from './messageDefinition.ts';
import { validateMessage } from './validateMessage.ts';

/*
 * rosbridge's JSON form of a message (rosbridge_library/internal/message_conversion.py):
 * uint8[]/char[] are base64 strings; time/duration are {sec, nanosec}; other arrays are plain
 * JSON arrays. JSON has no NaN or Infinity: JSON.stringify turns them into null, so
 * fromRosbridgeJson reads null in a float field as NaN. int64/uint64 become JSON numbers, exact
 * up to 2^53.
 */

/** A message as a JSON-ready value for rosbridge: typed arrays become plain arrays, uint8[] base64. */
export function toRosbridgeJson(type: string, msg: unknown): Record<string, unknown> {
  return toJson(type, msg) as Record<string, unknown>;
}

/**
 * A message from rosbridge JSON: base64 strings or number arrays for uint8[], null for NaN in
 * float fields, numbers for int64; missing fields are filled with ROS defaults (fillDefaults), and
 * the result is validated (validateMessage).
 *
 * @throws UserError naming the bad field, its value and `source`.
 */
export function fromRosbridgeJson<T extends string>(type: T, json: unknown, source?: string): MessageType<T> {
  return validateMessage(type, fillDefaults(type, fromJson(type, json)), source);
}

/**
 * `fromRosbridgeJson` without the validation: converts the rosbridge JSON forms and fills missing
 * fields with ROS defaults, for a caller that validates once itself (the rosbridge client transport
 * hands the result to the graph, which validates it on receipt). Wrong-typed fields are kept as
 * they are; throws only for an unknown `type`.
 */
export function decodeRosbridgeJson(type: string, json: unknown): unknown {
  return fillDefaults(type, fromJson(type, json));
}

function toJson(type: string, msg: unknown): unknown {
  if (msg === null || typeof msg !== 'object') return msg;
  const src = msg as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const fields = messageDefinition(type).fields;
  for (const f of fields) {
    if (f.isConstant || !(f.name in src)) continue;
    out[f.name] = fieldToJson(f, src[f.name]);
  }
  return out;
}

function fieldToJson(f: MessageDefinitionField, v: unknown): unknown {
  if (f.isArray) {
    if (f.type === 'uint8' && !f.isComplex && (v instanceof Uint8Array || Array.isArray(v))) {
      return Buffer.from(v as Uint8Array).toString('base64');
    }
    if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      return Array.from(v as ArrayLike<unknown>, (e) => scalarToJson(f, e));
    }
    return v;
  }
  return scalarToJson(f, v);
}

function scalarToJson(f: MessageDefinitionField, v: unknown): unknown {
  if (f.isComplex) return toJson(f.type, v);
  if (typeof v === 'bigint') return Number(v);
  if ((f.type === 'time' || f.type === 'duration') && v && typeof v === 'object') {
    const t = v as { sec: unknown; nanosec: unknown };
    return { sec: t.sec, nanosec: t.nanosec };
  }
  return v;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fromJson(type: string, json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const src = json as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const f of messageDefinition(type).fields) {
    if (f.isConstant || !(f.name in src)) continue;
    const v = src[f.name];
    if (f.isArray) {
      if (
        f.type === 'uint8' &&
        !f.isComplex &&
        typeof v === 'string' &&
        v.length % 4 === 0 &&
        BASE64.test(v)
      ) {
        out[f.name] = new Uint8Array(Buffer.from(v, 'base64'));
      } else if (Array.isArray(v)) {
        out[f.name] = v.map((e) => scalarFromJson(f, e));
      }
    } else {
      out[f.name] = scalarFromJson(f, v);
    }
  }
  return out;
}

function scalarFromJson(f: MessageDefinitionField, v: unknown): unknown {
  if (f.isComplex) return fromJson(f.type, v);
  if ((f.type === 'float32' || f.type === 'float64') && v === null) return Number.NaN;
  if ((f.type === 'int64' || f.type === 'uint64') && typeof v === 'number' && Number.isInteger(v))
    return BigInt(v);
  return v;
}
