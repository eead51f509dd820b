import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Track } from './Track.ts';

describe('Track', () => {
  it('interpolates linearly between the two samples around the time', () => {
    const t = new Track(2);
    t.push(0, [0, 10]);
    t.push(100, [1, 20]);
    expect(Array.from(t.sample(25, new Float64Array(2))!)).toEqual([0.25, 12.5]);
  });

  it('holds the newest sample after it and the oldest before it (no extrapolation)', () => {
    const t = new Track(1);
    t.push(10, [1]);
    t.push(20, [2]);
    expect(t.sample(50, [0])).toEqual([2]);
    expect(t.sample(0, [0])).toEqual([1]);
  });

  it('is empty until the first sample, and after clear()', () => {
    const t = new Track(3);
    expect(t.sample(0, [0, 0, 0])).toBeUndefined();
    t.push(0, [1, 2, 3]);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.sample(0, [0, 0, 0])).toBeUndefined();
  });

  it('keeps only the newest samples up to its capacity', () => {
    const t = new Track(1, { capacity: 3 });
    for (let i = 0; i < 10; i++) t.push(i * 10, [i]);
    expect(t.size).toBe(3);
    expect(t.sample(0, [0])).toEqual([7]); // the oldest kept
    expect(t.sample(85, [0])).toEqual([8.5]);
  });

  it('starts over when time jumps back (a sim reset)', () => {
    const t = new Track(1);
    t.push(100, [5]);
    t.push(50, [1]);
    expect(t.size).toBe(1);
    expect(t.sample(100, [0])).toEqual([1]);
  });

  it('interpolates a quaternion along the shorter arc and keeps it unit length', () => {
    const t = new Track(7, { quaternionAt: 3 });
    const s = Math.SQRT1_2;
    t.push(0, [0, 0, 0, 0, 0, 0, 1]);
    // 90° about z, written with w < 0: the same rotation as (0, 0, s, s) on the far side.
    t.push(10, [1, 0, 0, 0, 0, -s, -s]);
    const out = t.sample(5, new Float64Array(7))!;
    expect(out[0]).toBeCloseTo(0.5, 12);
    const angle = 2 * Math.acos(Math.abs(out[6]!));
    expect(angle).toBeCloseTo(Math.PI / 4, 2);
    expect(Math.hypot(out[3]!, out[4]!, out[5]!, out[6]!)).toBeCloseTo(1, 12);
  });

  it('always samples within the range of the two samples around it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), {
          minLength: 2,
          maxLength: 20,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, u) => {
          const t = new Track(1, { capacity: 32 });
          let time = 0;
          const samples: Array<[number, number]> = [];
          for (const [dt, v] of steps) {
            time += dt;
            t.push(time, [v]);
            samples.push([time, v]);
          }
          const k = Math.floor(u * (samples.length - 1));
          const [ta, va] = samples[k]!;
          const [tb, vb] = samples[Math.min(k + 1, samples.length - 1)]!;
          const at = ta + (tb - ta) * u;
          const v = t.sample(at, [0])![0]!;
          expect(v).toBeGreaterThanOrEqual(Math.min(va, vb) - 1e-9);
          expect(v).toBeLessThanOrEqual(Math.max(va, vb) + 1e-9);
        },
      ),
    );
  });
});
