import type { MessageDefinitionField } from '@foxglove/message-definition';
import { messageDefinition } from './messageDefinition.ts';
import { INTEGER_RANGES, TYPED_ARRAY_CTORS } from './messageSchema.ts';

/** True if the value is a valid message as it stands; never throws for plain data, never allocates. */
export type MessageCheck = (value: unknown) => boolean;

const cache = new Map<string, MessageCheck>();

/**
 * A fast accept test for a message type, compiled once from its definition into a tree of
 * closures: the hot-path half of validateMessage() (a 7-joint JointState in well under 1 us,
 * against ~10 us for the zod schema).
 *
 * It is conservative: it accepts only values that messageSchema(type) accepts *and* returns
 * unchanged, so validateMessage() may return the value itself when it passes. Anything it
 * refuses goes to the zod schema, which decides and writes the error message. So a `false`
 * here is "not sure", never the verdict. In particular it refuses, and leaves to zod:
 * - uint8[]/byte[]/char[] given as a plain array (zod turns it into a Uint8Array);
 * - objects with inherited enumerable keys, typed arrays given for messages, and other oddities.
 *
 * Same rules as messageSchema(): strict objects (no unknown or missing fields), integers in
 * range, int64/uint64 as bigint, any number for floats (NaN included), numeric arrays as plain
 * arrays (each element checked) or the matching typed array, exact/bounded lengths.
 * Test: test/msgs/messageCheck.test.ts checks it against the zod schema for every type.
 */
export function messageCheck(type: string): MessageCheck {
  let check = cache.get(type);
  if (!check) {
    check = compileMessage(type);
    cache.set(type, check);
  }
  return check;
}

function compileMessage(type: string): MessageCheck {
  const fields = messageDefinition(type).fields.filter((f) => !f.isConstant);
  return compileObject(
    fields.map((f) => f.name),
    fields.map(compileField),
  );
}

/** A strict object: exactly the keys `names` (own, enumerable), each passing its check. */
function compileObject(names: readonly string[], checks: readonly MessageCheck[]): MessageCheck {
  const n = names.length;
  const known = new Set(names);
  return (v) => {
    // zod takes a typed array for an empty message type and returns {}: leave that to zod.
    if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      if (!checks[i]!(o[names[i]!])) return false;
    }
    // Every field passed (so none is undefined); now no key beyond them. for-in also lists
    // inherited enumerable keys, so an object with those goes to zod.
    let count = 0;
    for (const key in o) {
      if (!known.has(key) || !Object.hasOwn(o, key)) return false;
      count++;
    }
    return count === n;
  };
}

const TIME_CHECK = compileObject(['sec', 'nanosec'], [intCheck('int32'), intCheck('uint32')]);

function intCheck(type: keyof typeof INTEGER_RANGES): MessageCheck {
  const [lo, hi] = INTEGER_RANGES[type];
  return (v) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

const isBool: MessageCheck = (v) => typeof v === 'boolean';
const isString: MessageCheck = (v) => typeof v === 'string';
const isNumber: MessageCheck = (v) => typeof v === 'number';

function scalarCheck(f: MessageDefinitionField): MessageCheck {
  if (f.isComplex) {
    // Resolved lazily: nested types compile on first use, and share the cache.
    let inner: MessageCheck | undefined;
    return (v) => {
      if (inner === undefined) inner = messageCheck(f.type);
      return inner(v);
    };
  }
  switch (f.type) {
    case 'bool':
      return isBool;
    case 'string':
    case 'wstring': {
      const max = f.upperBound;
      return max === undefined ? isString : (v) => typeof v === 'string' && v.length <= max;
    }
    case 'float32':
    case 'float64':
      return isNumber;
    case 'time':
    case 'duration':
      return TIME_CHECK;
    case 'int64':
      return (v) => typeof v === 'bigint' && v >= -(2n ** 63n) && v <= 2n ** 63n - 1n;
    case 'uint64':
      return (v) => typeof v === 'bigint' && v >= 0n && v <= 2n ** 64n - 1n;
    default: {
      if (!(f.type in INTEGER_RANGES)) throw new Error(`unsupported primitive type ${f.type}`);
      return intCheck(f.type as keyof typeof INTEGER_RANGES);
    }
  }
}

function compileField(f: MessageDefinitionField): MessageCheck {
  const elem = scalarCheck(f);
  if (!f.isArray) return elem;
  const exact = f.arrayLength;
  const max = f.arrayUpperBound ?? Number.POSITIVE_INFINITY;
  const lengthOk = exact !== undefined ? (len: number) => len === exact : (len: number) => len <= max;
  if (f.type === 'uint8' && !f.isComplex) {
    // A plain array of uint8 is valid too, but zod converts it: leave it to zod.
    return (v) => v instanceof Uint8Array && lengthOk(v.length);
  }
  const typedCtor = f.isComplex ? undefined : TYPED_ARRAY_CTORS[f.type as keyof typeof TYPED_ARRAY_CTORS];
  return (v) => {
    if (typedCtor !== undefined && v instanceof typedCtor) return lengthOk(v.length);
    if (!Array.isArray(v) || !lengthOk(v.length)) return false;
    for (let i = 0; i < v.length; i++) {
      if (!elem(v[i])) return false;
    }
    return true;
  };
}
