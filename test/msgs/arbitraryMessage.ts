import type { MessageDefinitionField } from '@foxglove/message-definition';
import fc from 'fast-check';
import { messageDefinition } from '../../src/msgs/index.ts';

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function scalar(f: MessageDefinitionField): fc.Arbitrary<unknown> {
  if (f.isComplex) return arbitraryMessage(f.type);
  switch (f.type) {
    case 'bool':
      return fc.boolean();
    case 'float32':
      return fc.float();
    case 'float64':
      return fc.double();
    case 'string':
      return fc.string({ unit: 'binary', maxLength: 8 });
    case 'time':
    case 'duration':
      return fc.record({
        sec: fc.integer({ min: -2147483648, max: 2147483647 }),
        nanosec: fc.nat(999_999_999),
      });
    case 'int64':
    case 'uint64':
      // Exact in JSON too: rosbridge sends 64-bit integers as JSON numbers.
      return fc.bigInt({ min: f.type === 'int64' ? -(2n ** 53n) : 0n, max: 2n ** 53n });
    default: {
      const [min, max] = INT_RANGES[f.type]!;
      return fc.integer({ min, max });
    }
  }
}

function field(f: MessageDefinitionField): fc.Arbitrary<unknown> {
  if (!f.isArray) return scalar(f);
  const len =
    f.arrayLength !== undefined ? { minLength: f.arrayLength, maxLength: f.arrayLength } : { maxLength: 3 };
  if (f.type === 'uint8' && !f.isComplex) return fc.uint8Array(len);
  return fc.array(scalar(f), len);
}

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** Any valid message of `type`, with every field set. */
export function arbitraryMessage(type: string): fc.Arbitrary<Record<string, unknown>> {
  let arb = cache.get(type);
  if (!arb) {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of messageDefinition(type).fields) if (!f.isConstant) shape[f.name] = field(f);
    arb = fc.record(shape);
    cache.set(type, arb);
  }
  return arb;
}

/** Typed arrays as plain arrays, for comparing decoded messages with the ones encoded. */
export function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView))
    return Array.from(v as unknown as ArrayLike<unknown>);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
