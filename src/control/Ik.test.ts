import { Matrix4 } from 'three';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/Rng.ts';
import { loadRobot } from '../../sim/robot/RobotConfig.ts';
import { solveIk } from './Ik.ts';

describe('solveIk', () => {
  for (const id of ['ur5e', 'panda']) {
    it(`${id}: reaches 1,000 random reachable poses from home within 1 mm and 0.01 rad, within limits`, () => {
      const { chain, config } = loadRobot(id);
      const rng = new Rng(2024);
      const qTrue = new Float64Array(chain.dof);
      const target = new Matrix4();
      const reached = new Matrix4();
      const rest = chain.dof > 6 ? config.home : undefined;
      let success = 0;
      let iterations = 0;
      let restarts = 0;
      let worstP = 0;
      let worstR = 0;
      const failures: string[] = [];
      const t0 = performance.now();
      for (let k = 0; k < 1000; k++) {
        for (let i = 0; i < chain.dof; i++) qTrue[i] = rng.uniform(chain.lower[i]!, chain.upper[i]!);
        chain.fk(qTrue, target);
        const r = solveIk(chain, target, { seed: config.home, rest, restarts: 50, rng: rng.fork('ik') });
        iterations += r.iterations;
        restarts += r.restartsUsed;
        // Check independently of the solver's own error report.
        chain.fk(r.q, reached);
        const dp = Math.hypot(
          reached.elements[12]! - target.elements[12]!,
          reached.elements[13]! - target.elements[13]!,
          reached.elements[14]! - target.elements[14]!,
        );
        const rel = reached.clone().invert().multiply(target);
        const trace = rel.elements[0]! + rel.elements[5]! + rel.elements[10]!;
        const dr = Math.acos(Math.min(1, Math.max(-1, (trace - 1) / 2)));
        worstP = Math.max(worstP, dp);
        worstR = Math.max(worstR, dr);
        if (dp <= 1e-3 && dr <= 0.01 && chain.withinLimits(r.q)) success++;
        else failures.push(`#${k}: ${dp.toExponential(2)} m, ${dr.toExponential(2)} rad`);
      }
      const ms = performance.now() - t0;
      console.log(
        `IK ${id}: ${success}/1000 within 1 mm / 0.01 rad; mean iterations ${(iterations / 1000).toFixed(1)}, ` +
          `mean restarts ${(restarts / 1000).toFixed(2)}, ${(ms / 1000).toFixed(2)} ms/solve, ` +
          `worst ${(worstP * 1000).toFixed(3)} mm / ${worstR.toExponential(2)} rad`,
      );
      expect(failures).toEqual([]);
      expect(success).toBe(1000);
    });
  }

  it('keeps the result within joint limits for an unreachable target and reports it as not converged', () => {
    const { chain, config } = loadRobot('panda');
    const far = new Matrix4().makeTranslation(2, 0, 0.5);
    const r = solveIk(chain, far, { seed: config.home, restarts: 3 });
    expect(r.converged).toBe(false);
    expect(r.positionError).toBeGreaterThan(0.5);
    expect(chain.withinLimits(r.q)).toBe(true);
  });

  it('pulls a 7-DoF arm toward the rest posture in the null space without disturbing the tcp', () => {
    const { chain, config } = loadRobot('panda');
    const home = Float64Array.from(config.home);
    const target = chain.fk(home, new Matrix4());
    // Start from an elbow-swivelled posture that reaches the same pose.
    const swivel = Float64Array.from(home);
    swivel[0]! += 0.5;
    swivel[2]! -= 0.5;
    const seed = solveIk(chain, target, { seed: swivel }).q;
    const distance = (q: Float64Array) => Math.hypot(...Array.from(q, (v, i) => v - home[i]!));
    // The pull acts while iterating, so ask for a pose 1.4 cm away from the seed's.
    const nudged = target.clone().multiply(new Matrix4().makeTranslation(0.01, 0.01, 0));
    const pulled = solveIk(chain, nudged, { seed, rest: home, restGain: 0.2 });
    const free = solveIk(chain, nudged, { seed });
    expect(pulled.converged && free.converged).toBe(true);
    expect(distance(pulled.q)).toBeLessThan(distance(free.q));
    expect(distance(pulled.q)).toBeLessThan(0.6 * distance(seed));
  });

  it('is harmless on a 6-DoF arm: rest does not stop convergence', () => {
    const { chain, config } = loadRobot('ur5e');
    const q = Float64Array.from(config.home, (v, i) => v + 0.2 * (i % 2 ? 1 : -1));
    const target = chain.fk(q, new Matrix4());
    const r = solveIk(chain, target, { seed: config.home, rest: config.home });
    expect(r.converged).toBe(true);
  });

  it('prefers the solution nearest the seed, wrapping ±2π joints toward it', () => {
    const { chain, config } = loadRobot('ur5e');
    const seed = Float64Array.from(config.home);
    const near = Float64Array.from(seed, (v) => v + 0.05);
    const r = solveIk(chain, chain.fk(near, new Matrix4()), { seed, restarts: 10 });
    expect(r.converged).toBe(true);
    for (let i = 0; i < chain.dof; i++) expect(Math.abs(r.q[i]! - near[i]!)).toBeLessThan(1e-3);
    // wrist_3 at home - 2π + 0.05 is the same pose; the answer stays next to the seed.
    const wrapped = Float64Array.from(near);
    wrapped[5]! -= 2 * Math.PI;
    const r2 = solveIk(chain, chain.fk(wrapped, new Matrix4()), { seed });
    expect(Math.abs(r2.q[5]! - near[5]!)).toBeLessThan(1e-3);
  });

  it('is deterministic: the same inputs give the same joint values bit for bit', () => {
    const { chain, config } = loadRobot('panda');
    const target = new Matrix4().makeRotationX(Math.PI).setPosition(0.55, -0.2, 0.12);
    const a = solveIk(chain, target, { seed: config.home, rest: config.home, restarts: 5, rng: new Rng(3) });
    const b = solveIk(chain, target, { seed: config.home, rest: config.home, restarts: 5, rng: new Rng(3) });
    expect(a.converged).toBe(true);
    expect(Array.from(a.q)).toEqual(Array.from(b.q));
  });

  it('reaches table-top grasp poses over the whole object region for both arms', () => {
    for (const id of ['ur5e', 'panda']) {
      const { chain, config } = loadRobot(id);
      let seed: ArrayLike<number> = config.home;
      for (let x = 0.3; x <= 0.7001; x += 0.1) {
        for (let y = -0.3; y <= 0.3001; y += 0.15) {
          for (const z of [0.02, 0.15, 0.3]) {
            const target = new Matrix4().makeRotationX(Math.PI).setPosition(x, y, z);
            const r = solveIk(chain, target, {
              seed,
              rest: chain.dof > 6 ? config.home : undefined,
              restarts: 20,
            });
            expect(r.converged, `${id} (${x}, ${y}, ${z})`).toBe(true);
            seed = r.q;
          }
        }
      }
    }
  });
});
