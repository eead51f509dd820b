import { Matrix4, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { poseError } from '../../src/control/Ik.ts';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../core/Rng.ts';
import { KinematicChain } from './KinematicChain.ts';
import { loadRobot } from './RobotConfig.ts';
import { parseUrdf } from './Urdf.ts';

const pos = (m: Matrix4) => new Vector3().setFromMatrixPosition(m);

/** Packs a Matrix4 as the row-major [R | t] that poseError takes. */
function packed(m: Matrix4): Float64Array {
  const e = m.elements;
  return Float64Array.from([
    e[0]!,
    e[4]!,
    e[8]!,
    e[12]!,
    e[1]!,
    e[5]!,
    e[9]!,
    e[13]!,
    e[2]!,
    e[6]!,
    e[10]!,
    e[14]!,
  ]);
}

/** Central-difference geometric Jacobian: linear from positions, angular from rotation vectors. */
function numericJacobian(chain: KinematicChain, q: Float64Array, h = 1e-6): Float64Array {
  const n = chain.dof;
  const out = new Float64Array(6 * n);
  const plus = new Matrix4();
  const minus = new Matrix4();
  const e = new Float64Array(6);
  for (let i = 0; i < n; i++) {
    const qp = Float64Array.from(q);
    const qm = Float64Array.from(q);
    qp[i]! += h;
    qm[i]! -= h;
    chain.fk(qp, plus);
    chain.fk(qm, minus);
    poseError(packed(plus), packed(minus), e); // rotation vector of R+ R-ᵀ, position difference
    for (let k = 0; k < 6; k++) out[k * n + i] = e[k]! / (2 * h);
  }
  return out;
}

describe('KinematicChain', () => {
  it('UR5e at zero: tool0 matches the published DH offsets', () => {
    const { urdf } = loadRobot('ur5e');
    // ur_description's base_link is REP-103 aligned (X+ forward); base_link_inertia and "base" are
    // rotated by pi about Z (the UR controller's Base frame, X+ backwards). The textbook value
    // (-(a2+a3), -(d4+d6), d1-d5) holds in "base"; in base_link x and y change sign.
    const inBase = new KinematicChain(urdf, 'base_link_inertia', 'tool0').fk(
      new Float64Array(6),
      new Matrix4(),
    );
    expect(pos(inBase).toArray()).toEqual([
      expect.closeTo(-(0.425 + 0.3922), 12),
      expect.closeTo(-(0.1333 + 0.0996), 12),
      expect.closeTo(0.1625 - 0.0997, 12),
    ]);
    const inBaseLink = new KinematicChain(urdf, 'base_link', 'tool0').fk(new Float64Array(6), new Matrix4());
    expect(pos(inBaseLink).toArray()).toEqual([
      expect.closeTo(0.8172, 12),
      expect.closeTo(0.2329, 12),
      expect.closeTo(0.0628, 12),
    ]);
  });

  it('Panda at zero: the flange is at (0.088, 0, 0.926) and the tcp 0.1034 below it, pointing down', () => {
    const { urdf, chain } = loadRobot('panda');
    const flange = new KinematicChain(urdf, 'panda_link0', 'panda_link8').fk(
      new Float64Array(7),
      new Matrix4(),
    );
    expect(pos(flange).toArray()).toEqual([
      expect.closeTo(0.088, 12),
      expect.closeTo(0, 12),
      expect.closeTo(0.926, 12),
    ]);
    const tcp = chain.fk(new Float64Array(7), new Matrix4());
    expect(pos(tcp).distanceTo(new Vector3(0.088, 0, 0.926 - 0.1034))).toBeLessThan(1e-12);
    const approach = new Vector3().setFromMatrixColumn(tcp, 2);
    expect(approach.distanceTo(new Vector3(0, 0, -1))).toBeLessThan(1e-12);
  });

  it('exposes the arm joints from base to tip with the URDF limits, fixed joints folded in', () => {
    const { chain } = loadRobot('ur5e');
    expect(chain.jointNames).toEqual([
      'shoulder_pan_joint',
      'shoulder_lift_joint',
      'elbow_joint',
      'wrist_1_joint',
      'wrist_2_joint',
      'wrist_3_joint',
    ]);
    expect(Array.from(chain.upper)).toEqual([
      2 * Math.PI,
      2 * Math.PI,
      Math.PI,
      2 * Math.PI,
      2 * Math.PI,
      2 * Math.PI,
    ]);
    expect(Array.from(chain.effort)).toEqual([150, 150, 150, 28, 28, 28]);
    const panda = loadRobot('panda').chain;
    expect(Array.from(panda.velocity)).toEqual([2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61]);
    expect(panda.lower[3]).toBe(-3.0718);
  });

  for (const id of ['ur5e', 'panda']) {
    it(`${id}: the Jacobian matches central finite differences at random configurations`, () => {
      const { chain } = loadRobot(id);
      const rng = new Rng(7);
      const q = new Float64Array(chain.dof);
      const J = new Float64Array(6 * chain.dof);
      for (let trial = 0; trial < 50; trial++) {
        for (let i = 0; i < chain.dof; i++) q[i] = rng.uniform(chain.lower[i]!, chain.upper[i]!);
        chain.jacobian(q, J);
        const Jn = numericJacobian(chain, q);
        for (let k = 0; k < J.length; k++) expect(Math.abs(J[k]! - Jn[k]!)).toBeLessThan(1e-7);
      }
    });
  }

  const PRISMATIC = `<robot name="slider">
    <link name="base"/><link name="a"/><link name="b"/><link name="c"/><link name="tip"/>
    <joint name="spin" type="continuous"><parent link="base"/><child link="a"/>
      <origin xyz="0 0 0.5" rpy="0 0 0"/><axis xyz="0 0 1"/></joint>
    <joint name="offset" type="fixed"><parent link="a"/><child link="b"/><origin xyz="0.2 0 0" rpy="0 0.3 0"/></joint>
    <joint name="slide" type="prismatic"><parent link="b"/><child link="c"/>
      <axis xyz="1 0 0"/><limit lower="0" upper="0.5" effort="10" velocity="0.1"/></joint>
    <joint name="tool" type="fixed"><parent link="c"/><child link="tip"/><origin xyz="0 0 0.1" rpy="0.2 0 0"/></joint>
  </robot>`;

  it('handles continuous and prismatic joints: FK and Jacobian', () => {
    const urdf = parseUrdf(PRISMATIC, 'slider.urdf');
    const chain = new KinematicChain(urdf, 'base', 'tip');
    expect(chain.jointNames).toEqual(['spin', 'slide']);
    expect(chain.lower[0]).toBe(-Infinity);
    expect(chain.upper[0]).toBe(Infinity);
    const m = new Matrix4();
    // spin = pi/2 turns the x offset into y; slide moves along b's (pitched) x axis.
    chain.fk([Math.PI / 2, 0.25], m);
    const along = 0.2 + 0.25 * Math.cos(0.3) + 0.1 * Math.sin(0.3);
    expect(pos(m).x).toBeCloseTo(0, 12);
    expect(pos(m).y).toBeCloseTo(along, 12);
    expect(pos(m).z).toBeCloseTo(0.5 - 0.25 * Math.sin(0.3) + 0.1 * Math.cos(0.3), 12);
    const q = Float64Array.from([0.7, 0.3]);
    const J = chain.jacobian(q, new Float64Array(12));
    const Jn = numericJacobian(chain, q);
    for (let k = 0; k < 12; k++) expect(J[k]).toBeCloseTo(Jn[k]!, 7);
    // The prismatic column has no angular part.
    expect([J[7], J[9], J[11]]).toEqual([0, 0, 0]);
  });

  it('rejects a tip that is not below the base, naming both links', () => {
    const urdf = parseUrdf(PRISMATIC, 'slider.urdf');
    expect(() => new KinematicChain(urdf, 'tip', 'base')).toThrow(UserError);
    expect(() => new KinematicChain(urdf, 'tip', 'base')).toThrow(/"base" is not a descendant of "tip"/);
    expect(() => new KinematicChain(urdf, 'base', 'nowhere')).toThrow(/no link "nowhere"/);
  });
});
