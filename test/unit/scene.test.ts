// Scene specs are user input: strict parsing with errors that name the field and the file, and
// fuzzing that proves nothing but a UserError ever escapes. Then the physics a scene rests on: a
// three-block stack that must stand still.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { PhysicsWorld } from '../../sim/core/PhysicsWorld.ts';
import { createBlock } from '../../sim/scene/objects.ts';
import { Scene } from '../../sim/scene/Scene.ts';
import { getScene, parseSceneSpec, type SceneSpec, TABLETOP_SCENE } from '../../sim/scene/SceneSpec.ts';
import { UserError } from '../../src/errors.ts';

const SOURCE = 'scenes/custom.yaml';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to throw');
}

function withChange(change: (spec: Record<string, unknown>) => void): string {
  const spec = structuredClone(TABLETOP_SCENE) as unknown as Record<string, unknown>;
  change(spec);
  return stringify(spec);
}

describe('parseSceneSpec', () => {
  it('round-trips the tabletop scene', () => {
    expect(parseSceneSpec(stringify(TABLETOP_SCENE), SOURCE)).toEqual(TABLETOP_SCENE);
  });

  it('rejects an unknown top-level key, naming the key and the file', () => {
    const err = thrown(() =>
      parseSceneSpec(
        withChange((s) => (s['gravity'] = 9.81)),
        SOURCE,
      ),
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('gravity');
    expect(err.message).toContain(SOURCE);
    expect((err as UserError).source).toBe(SOURCE);
  });

  it('rejects an unknown nested key, naming its path', () => {
    const text = withChange((s) => ((s['block'] as Record<string, unknown>)['colour'] = 'red'));
    const err = thrown(() => parseSceneSpec(text, SOURCE));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('block');
    expect(err.message).toContain('colour');
    expect(err.message).toContain(SOURCE);
  });

  it('rejects a range with min > max, naming the field path', () => {
    const text = withChange((s) => ((s['workspace'] as Record<string, unknown>)['x'] = [0.5, 0.1]));
    const err = thrown(() => parseSceneSpec(text, SOURCE));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('workspace.x');
    expect(err.message).toContain(SOURCE);
  });

  it('rejects an unknown colour, naming the field and the value', () => {
    const text = withChange((s) => ((s['colors'] as { seen: string[] }).seen[0] = 'mauve'));
    const err = thrown(() => parseSceneSpec(text, SOURCE));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('colors.seen.0');
  });

  it('rejects bad YAML, naming the file', () => {
    const err = thrown(() => parseSceneSpec('name: tabletop\nworkspace: {x: [0.3, 0.6]\n  y: ]', SOURCE));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(SOURCE);
    expect(err.message).toContain('invalid YAML');
  });

  it.each([
    ['an empty file', ''],
    ['a scalar', '42'],
    ['a list', '- a\n- b'],
  ])('rejects %s as a spec, naming the file', (_name, text) => {
    const err = thrown(() => parseSceneSpec(text, SOURCE));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(SOURCE);
  });
});

describe('getScene', () => {
  it('returns the built-in tabletop scene', () => {
    expect(getScene('tabletop')).toBe(TABLETOP_SCENE);
  });

  it('rejects an unknown scene, listing the known ones', () => {
    const err = thrown(() => getScene('nope'));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('unknown scene "nope"');
    expect(err.message).toContain('tabletop');
  });
});

describe('parseSceneSpec fuzzing', () => {
  // The yaml library reports some problems (unresolved tags, ambiguous anchors) as Node process
  // warnings rather than errors; keep thousands of them off the test output.
  beforeAll(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  /** Returns the spec, or the UserError; any other error fails the property. */
  function parseOrUserError(text: string): SceneSpec | UserError {
    try {
      return parseSceneSpec(text, SOURCE);
    } catch (err) {
      if (err instanceof UserError) {
        expect(err.message.startsWith(`${SOURCE}: `)).toBe(true);
        return err;
      }
      throw err;
    }
  }

  it('never throws anything but UserError for random text', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'name',
          'workspace',
          ': ',
          '\n',
          '  ',
          '- ',
          '[',
          ']',
          '{',
          '}',
          ',',
          '&a ',
          '*a',
          '!!binary ',
          '!!set ',
          '? ',
          '|',
          '>',
          '"',
          "'",
          '#',
          '0.5',
          '-1',
          '.nan',
          '.inf',
          '1e400',
          '~',
          'null',
          '<<: *a',
          '---',
          '...',
          '%YAML 1.2',
          '\t',
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), (text) => {
        parseOrUserError(text);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('never throws anything but UserError for mutated tabletop specs', () => {
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      paths.push(path);
      if (v !== null && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
      }
    };
    walk(TABLETOP_SCENE, []);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.double(),
      fc.constantFrom([0.5, 0.1], [0, 0], [-1, 1], [1, 2, 3], [], 0, -0.01, 1e9, Number.NaN, Infinity),
    );
    const mutation = fc.record({
      path: fc.constantFrom(...paths),
      kind: fc.constantFrom('set', 'delete', 'add'),
      value,
      key: fc.string({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let spec: unknown = structuredClone(TABLETOP_SCENE);
        for (const m of mutations) {
          if (m.path.length === 0) {
            if (m.kind === 'set') spec = m.value;
            continue;
          }
          let parent: unknown = spec;
          for (const k of m.path.slice(0, -1)) parent = (parent as Record<string, unknown> | null)?.[k];
          if (parent === null || typeof parent !== 'object') continue;
          const obj = parent as Record<string, unknown>;
          const last = m.path[m.path.length - 1]!;
          if (m.kind === 'set') obj[last] = m.value;
          else if (m.kind === 'delete') delete obj[last];
          else obj[m.key] = m.value;
        }
        const result = parseOrUserError(stringify(spec));
        if (!(result instanceof UserError)) {
          // Whatever got through is a valid spec: ranges ordered, colours known.
          expect(result.workspace.x[0]).toBeLessThanOrEqual(result.workspace.x[1]);
          expect(result.colors.seen.length).toBeGreaterThanOrEqual(4);
        }
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it('never throws anything but UserError for byte-level edits of the tabletop YAML', () => {
    const text = stringify(TABLETOP_SCENE);
    const edit = fc.record({
      at: fc.nat({ max: text.length }),
      cut: fc.nat({ max: 6 }),
      insert: fc.string({ maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let t = text;
        for (const e of edits) {
          const at = Math.min(e.at, t.length);
          t = t.slice(0, at) + e.insert + t.slice(at + e.cut);
        }
        parseOrUserError(t);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});

describe('block stack stability', () => {
  it('keeps the top of a three-block stack within 2 mm over 10 s', () => {
    const physics = new PhysicsWorld({ dtSeconds: 1 / 240 });
    const scene = new Scene(physics);
    const size = 0.04;
    const blocks = ['red', 'green', 'blue'].map((color, i) =>
      scene.add(
        createBlock({
          id: `${color}_block`,
          color: color as 'red',
          size,
          mass: TABLETOP_SCENE.block.mass,
          position: [0.45, 0.05, size / 2 + i * size],
          yaw: 0,
        }),
      ),
    );
    const top = blocks[2]!.body!;
    const start = top.position.clone();
    let maxDrift = 0;
    for (let i = 0; i < 240 * 10; i++) {
      physics.step();
      maxDrift = Math.max(maxDrift, top.position.distanceTo(start));
    }
    const drift = top.position.distanceTo(start);
    console.log(
      `stack drift: top block moved ${(drift * 1000).toFixed(3)} mm over 10 s ` +
        `(at most ${(maxDrift * 1000).toFixed(3)} mm on the way), dt 1/240 s`,
    );
    expect(physics.timeSeconds).toBeCloseTo(10, 9);
    expect(drift).toBeLessThan(0.002);
    expect(maxDrift).toBeLessThan(0.002);
    // Still a stack: each block sits one block height above the one below.
    for (let i = 1; i < blocks.length; i++) {
      const dz = blocks[i]!.body!.position.z - blocks[i - 1]!.body!.position.z;
      expect(dz).toBeCloseTo(size, 3);
    }
  });
});
