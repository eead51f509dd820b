import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { assertFiniteJointValues, checkJointCommand, clampToLimits, limitStep } from './Limits.ts';

const names = ['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint'];
const limits = { lower: [-6.28, -6.28, -3.14], upper: [6.28, 6.28, 3.14] };

describe('joint command limits', () => {
  it("rejects NaN joint commands with the joint's name", () => {
    expect(() => assertFiniteJointValues(names, [0, 0, Number.NaN])).toThrow(UserError);
    expect(() => assertFiniteJointValues(names, [0, 0, Number.NaN])).toThrow(
      'joint "elbow_joint" position NaN',
    );
  });

  it('rejects ±Infinity and names the quantity and the source', () => {
    expect(() =>
      assertFiniteJointValues(names, [Number.POSITIVE_INFINITY, 0, 0], 'velocity', '/cmd'),
    ).toThrow('/cmd: joint "shoulder_pan_joint" velocity Infinity');
    expect(() =>
      checkJointCommand(names, [0, Number.NEGATIVE_INFINITY, 0], limits, new Float64Array(3)),
    ).toThrow('joint "shoulder_lift_joint" position -Infinity');
  });

  it('rejects a command of the wrong length, listing the expected joints', () => {
    expect(() => checkJointCommand(names, [0, 0], limits, new Float64Array(3))).toThrow(
      'expected 3 joint position values (shoulder_pan_joint, shoulder_lift_joint, elbow_joint), got 2',
    );
  });

  it('clamps into the position limits and reports which joints were clamped', () => {
    const out = new Float64Array(3);
    const r = checkJointCommand(names, [7, 0.5, -4], limits, out);
    expect(Array.from(out)).toEqual([6.28, 0.5, -3.14]);
    expect(r).toEqual({ clampedCount: 2, clamped: ['shoulder_pan_joint', 'elbow_joint'] });
    const ok = checkJointCommand(names, [0, 0.5, 1], limits, out);
    expect(ok).toEqual({ clampedCount: 0, clamped: [] });
  });

  it('clampToLimits counts and marks clamped joints, in place', () => {
    const q = Float64Array.from([-7, 1, 3.5]);
    const mask = new Uint8Array(3);
    expect(clampToLimits(q, limits.lower, limits.upper, q, mask)).toBe(2);
    expect(Array.from(q)).toEqual([-6.28, 1, 3.14]);
    expect(Array.from(mask)).toEqual([1, 0, 1]);
  });

  it('limitStep moves at most maxVelocity·dt per joint and counts the limited joints', () => {
    const out = new Float64Array(3);
    const n = limitStep([0, 0, 1], [1, -0.001, 0], [3.14, 3.14, 3.14], 0.01, out);
    expect(n).toBe(2);
    expect(out[0]).toBeCloseTo(0.0314, 15);
    expect(out[1]).toBe(-0.001);
    expect(out[2]).toBeCloseTo(1 - 0.0314, 15);
  });
});
