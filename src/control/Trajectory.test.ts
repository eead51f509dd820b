import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/Rng.ts';
import { UserError } from '../errors.ts';
import { planTrajectory } from './Trajectory.ts';

const limits = { velocity: [2.175, 2.175, 2.61], acceleration: [15, 7.5, 10] };

describe('planTrajectory', () => {
  it('never exceeds velocity or acceleration limits (analytic and finite-difference checks)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 50; trial++) {
      const waypoints = Array.from({ length: rng.int(2, 6) }, () =>
        [0, 0, 0].map(() => rng.uniform(-2.5, 2.5)),
      );
      const traj = planTrajectory(waypoints, limits, { velocityScaling: rng.uniform(0.1, 1) });
      const dt = 1e-3;
      const p = new Float64Array(3);
      const v = new Float64Array(3);
      const a = new Float64Array(3);
      const prev = new Float64Array(3);
      const prevV = new Float64Array(3);
      // Worst ratio of |value| to its limit over the whole trajectory (expect() per sample is slow).
      let worstV = 0;
      let worstA = 0;
      let worstFdV = 0;
      let worstFdA = 0;
      for (let t = 0, k = 0; t <= traj.duration + dt; t += dt, k++) {
        traj.sample(t, p, v, a);
        for (let j = 0; j < 3; j++) {
          worstV = Math.max(worstV, Math.abs(v[j]!) / limits.velocity[j]!);
          worstA = Math.max(worstA, Math.abs(a[j]!) / limits.acceleration[j]!);
          if (k > 0) {
            // Finite differences: the sampled positions and velocities agree with the limits too.
            worstFdV = Math.max(worstFdV, Math.abs(p[j]! - prev[j]!) / dt / limits.velocity[j]!);
            worstFdA = Math.max(worstFdA, Math.abs(v[j]! - prevV[j]!) / dt / limits.acceleration[j]!);
          }
        }
        prev.set(p);
        prevV.set(v);
      }
      expect(worstV).toBeLessThanOrEqual(1 + 1e-12);
      expect(worstA).toBeLessThanOrEqual(1 + 1e-12);
      expect(worstFdV).toBeLessThanOrEqual(1 + 1e-9);
      expect(worstFdA).toBeLessThanOrEqual(1 + 1e-9);
      // The tightest joint actually reaches its acceleration limit (the profile is not over-conservative).
      expect(worstA).toBeGreaterThan(1 - 1e-9);
    }
  });

  it('saturates the tightest joint: a single-joint move takes the minimum trapezoid time', () => {
    // 2 rad at 2.175 rad/s and 15 rad/s²: ta = 0.145 s, total = 2/2.175 + 0.145 s.
    const traj = planTrajectory(
      [
        [0, 0, 0],
        [2, 0, 0],
      ],
      limits,
    );
    expect(traj.duration).toBeCloseTo(2 / 2.175 + 2.175 / 15, 12);
    // Short move: triangular profile, 2·sqrt(d/a).
    const short = planTrajectory(
      [
        [0, 0, 0],
        [0, 0.1, 0],
      ],
      limits,
    );
    expect(short.duration).toBeCloseTo(2 * Math.sqrt(0.1 / 7.5), 12);
  });

  it('hits the waypoints exactly, at rest, at non-decreasing times', () => {
    const waypoints = [
      [0.1, -0.2, 0.3],
      [1.1, 0.4, -0.7],
      [1.1, 0.4, -0.7],
      [-0.5, 0.2, 0.9],
    ];
    const traj = planTrajectory(waypoints, limits);
    const p = new Float64Array(3);
    const v = new Float64Array(3);
    expect(traj.waypointTimes[0]).toBe(0);
    expect(traj.waypointTimes[3]).toBe(traj.duration);
    for (let k = 1; k < 4; k++)
      expect(traj.waypointTimes[k]!).toBeGreaterThanOrEqual(traj.waypointTimes[k - 1]!);
    traj.sample(0, p, v);
    expect(Array.from(p)).toEqual(waypoints[0]);
    traj.sample(traj.duration, p, v);
    expect(Array.from(p)).toEqual(waypoints[3]);
    expect(Array.from(v)).toEqual([0, 0, 0]);
    traj.sample(traj.duration + 5, p, v);
    expect(Array.from(p)).toEqual(waypoints[3]);
    for (let k = 1; k < 3; k++) {
      traj.sample(traj.waypointTimes[k]!, p, v);
      for (let j = 0; j < 3; j++) {
        expect(p[j]).toBeCloseTo(waypoints[k]![j]!, 12);
        expect(v[j]).toBeCloseTo(0, 12);
      }
    }
    traj.sample(-1, p);
    expect(Array.from(p)).toEqual(waypoints[0]);
  });

  it('moves all joints together along the straight line between waypoints', () => {
    const traj = planTrajectory(
      [
        [0, 0, 0],
        [1, -2, 0.5],
      ],
      limits,
    );
    const p = new Float64Array(3);
    for (const f of [0.1, 0.37, 0.5, 0.8]) {
      traj.sample(f * traj.duration, p);
      const s = p[0]!;
      expect(p[1]).toBeCloseTo(-2 * s, 12);
      expect(p[2]).toBeCloseTo(0.5 * s, 12);
    }
  });

  it('handles zero-length segments and a single waypoint: no time, no NaN', () => {
    const same = planTrajectory(
      [
        [0.3, 0.3, 0.3],
        [0.3, 0.3, 0.3],
        [0.3, 0.3, 0.3],
      ],
      limits,
    );
    expect(same.duration).toBe(0);
    const p = new Float64Array(3);
    const v = new Float64Array(3);
    const a = new Float64Array(3);
    same.sample(0, p, v, a);
    expect(Array.from(p)).toEqual([0.3, 0.3, 0.3]);
    expect(Array.from(v)).toEqual([0, 0, 0]);
    const one = planTrajectory([[1, 2, 3]], limits);
    one.sample(0.5, p, v, a);
    expect(one.duration).toBe(0);
    expect(Array.from(p)).toEqual([1, 2, 3]);
    const withRepeat = planTrajectory(
      [
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
      ],
      limits,
    );
    expect(withRepeat.waypointTimes[1]).toBe(0);
    for (let t = 0; t <= withRepeat.duration; t += 0.01) {
      withRepeat.sample(t, p, v, a);
      for (const x of [...p, ...v, ...a]) expect(Number.isFinite(x)).toBe(true);
    }
  });

  it('rejects ragged waypoints, non-finite values and non-positive limits with a UserError', () => {
    expect(() => planTrajectory([], limits)).toThrow(UserError);
    expect(() =>
      planTrajectory(
        [
          [0, 0, 0],
          [0, 0],
        ],
        limits,
      ),
    ).toThrow(/waypoint 1 has 2 values, expected 3/);
    expect(() => planTrajectory([[0, Number.NaN, 0]], limits)).toThrow(/waypoint 0 joint 1 value NaN/);
    expect(() => planTrajectory([[0, 0, 0]], { velocity: [1, 0, 1], acceleration: [1, 1, 1] })).toThrow(
      /joint 1 velocity limit 0/,
    );
    expect(() => planTrajectory([[0, 0, 0]], limits, { velocityScaling: 1.5 })).toThrow(/velocityScaling/);
  });
});
