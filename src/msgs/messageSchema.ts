import type { MessageDefinitionField } from '@foxglove/message-definition';
import { z } from 'zod';
import type { MessageType } from './generated/types.ts';
import { messageDefinition } from './messageDefinition.ts';

/** [min, max] of each integer type; 64-bit ones are bigint. */
export const INTEGER_RANGES = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
} as const;
const BIGINT_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

/** The typed array that @foxglove/rosmsg2-serialization returns for each numeric array type. */
export const TYPED_ARRAY_CTORS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

const cache = new Map<string, z.ZodType>();

/**
 * A zod schema for a message type, built from its definition and cached.
 *
 * - Objects are strict: unknown fields are rejected, and every field is required
 *   (call fillDefaults() first for input that may omit fields, as rosbridge clients do).
 * - Integers must be integers in their type's range (uint8: 0..255, ...); int64/uint64 are bigint.
 * - Floats accept any number, including NaN and ±Infinity: ROS messages carry NaN on purpose
 *   (e.g. JointState.effort for joints without torque sensing), so whether a value is usable is the
 *   receiver's business.
 * - uint8[]/char[]/byte[]: a Uint8Array, or an array of uint8 numbers (turned into a Uint8Array).
 * - Other numeric arrays: a plain array or the matching typed array (Float64Array for float64[],
 *   as decodeCdr returns them).
 * - Fixed-size arrays (`float64[9]`) must have exactly that length; bounded ones (`[<=N]`,
 *   `string<=N`) at most N.
 */
export function messageSchema<T extends string>(type: T): z.ZodType<MessageType<T>> {
  let schema = cache.get(type);
  if (!schema) {
    const def = messageDefinition(type);
    const shape: Record<string, z.ZodType> = {};
    for (const f of def.fields) {
      if (!f.isConstant) shape[f.name] = fieldSchema(f);
    }
    schema = z.strictObject(shape, { error: `expected a ${type} object` });
    cache.set(type, schema);
  }
  return schema as z.ZodType<MessageType<T>>;
}

function check<T>(ok: (v: unknown) => boolean, expected: string): z.ZodType<T> {
  return z.custom<T>(ok, { error: `expected ${expected}` });
}

const TIME_SCHEMA = z.strictObject({
  sec: check<number>(isInt('int32'), 'int32 (integer -2147483648..2147483647)'),
  nanosec: check<number>(isInt('uint32'), 'uint32 (integer 0..4294967295)'),
});

function isInt(type: keyof typeof INTEGER_RANGES): (v: unknown) => boolean {
  const [lo, hi] = INTEGER_RANGES[type];
  return (v) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Schema of one element (or of a scalar field). */
function scalarSchema(f: MessageDefinitionField): z.ZodType {
  if (f.isComplex) return messageSchema(f.type);
  switch (f.type) {
    case 'bool':
      return check<boolean>((v) => typeof v === 'boolean', 'boolean');
    case 'string':
    case 'wstring': {
      const max = f.upperBound;
      return max === undefined
        ? check<string>((v) => typeof v === 'string', 'string')
        : check<string>(
            (v) => typeof v === 'string' && v.length <= max,
            `string of at most ${max} characters`,
          );
    }
    case 'float32':
    case 'float64':
      return check<number>((v) => typeof v === 'number', 'number');
    case 'time':
    case 'duration':
      return TIME_SCHEMA;
    case 'int64':
    case 'uint64': {
      const [lo, hi] = BIGINT_RANGES[f.type];
      return check<bigint>(
        (v) => typeof v === 'bigint' && v >= lo && v <= hi,
        `${f.type} (bigint ${lo}..${hi})`,
      );
    }
    default: {
      if (!(f.type in INTEGER_RANGES)) throw new Error(`unsupported primitive type ${f.type}`);
      const t = f.type as keyof typeof INTEGER_RANGES;
      const [lo, hi] = INTEGER_RANGES[t];
      return check<number>(isInt(t), `${t} (integer ${lo}..${hi})`);
    }
  }
}

function fieldSchema(f: MessageDefinitionField): z.ZodType {
  const elem = scalarSchema(f);
  if (!f.isArray) return elem;
  const plain = z.array(elem, { error: 'expected an array' });
  const typedCtor = f.isComplex ? undefined : TYPED_ARRAY_CTORS[f.type as keyof typeof TYPED_ARRAY_CTORS];
  let schema: z.ZodType<{ length: number }>;
  if (f.type === 'uint8' && !f.isComplex) {
    schema = z.union([z.instanceof(Uint8Array), plain.transform((a) => Uint8Array.from(a as number[]))], {
      error: 'expected Uint8Array or an array of uint8',
    });
  } else if (typedCtor) {
    schema = z.union([z.instanceof(typedCtor as new () => ArrayLike<unknown>), plain], {
      error: `expected ${f.type}[] (an array or ${typedCtor.name})`,
    });
  } else {
    schema = plain;
  }
  const n = f.arrayLength;
  if (n !== undefined) {
    return schema.refine((a) => a.length === n, { error: `expected exactly ${n} elements` });
  }
  const max = f.arrayUpperBound;
  if (max !== undefined) {
    return schema.refine((a) => a.length <= max, { error: `expected at most ${max} elements` });
  }
  return schema;
}
