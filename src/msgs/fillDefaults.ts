import type { MessageDefinitionField } from '@foxglove/message-definition';
import type { MessageType } from './generated/types.ts';
import { messageDefinition } from './messageDefinition.ts';
import { TYPED_ARRAY_CTORS } from './messageSchema.ts';

/**
 * Returns a copy of `partial` with every missing field set to its ROS default, at every depth:
 * the field's default from the .msg file if it has one (geometry_msgs/Quaternion has w = 1),
 * else 0, 0n, false, "", {sec:0,nanosec:0}, an empty array, or for fixed-size arrays that many
 * default elements. rosbridge clients may omit fields and expect exactly this.
 *
 * Fields that are present are kept as they are, even if they have the wrong type: validate the
 * result with validateMessage(). Values that are not objects are returned unchanged.
 */
export function fillDefaults<T extends string>(type: T, partial: unknown): MessageType<T> {
  return fill(type, partial) as MessageType<T>;
}

/** A new message of `type` with every field at its ROS default. */
export function defaultMessage<T extends string>(type: T): MessageType<T> {
  return fill(type, {}) as MessageType<T>;
}

function fill(type: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    return value;
  }
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...src };
  for (const f of messageDefinition(type).fields) {
    if (f.isConstant) continue;
    const v = src[f.name];
    if (v === undefined) {
      out[f.name] = defaultField(f);
    } else if (f.isComplex) {
      out[f.name] =
        f.isArray && Array.isArray(v) ? v.map((e) => fill(f.type, e)) : f.isArray ? v : fill(f.type, v);
    }
  }
  return out;
}

function defaultField(f: MessageDefinitionField): unknown {
  if (f.isArray) {
    const n = f.arrayLength ?? 0;
    if (Array.isArray(f.defaultValue)) {
      const d = f.defaultValue as unknown[];
      return f.type === 'uint8' ? Uint8Array.from(d as number[]) : [...d];
    }
    if (f.type === 'uint8') return new Uint8Array(n);
    if (!f.isComplex && f.type in TYPED_ARRAY_CTORS && !f.type.endsWith('int64')) return new Array(n).fill(0);
    return Array.from({ length: n }, () => defaultScalar(f));
  }
  return defaultScalar(f);
}

function defaultScalar(f: MessageDefinitionField): unknown {
  if (f.isComplex) return fill(f.type, {});
  if (!f.isArray && f.defaultValue !== undefined) return f.defaultValue;
  switch (f.type) {
    case 'bool':
      return false;
    case 'string':
    case 'wstring':
      return '';
    case 'time':
    case 'duration':
      return { sec: 0, nanosec: 0 };
    case 'int64':
    case 'uint64':
      return 0n;
    default:
      return 0;
  }
}
