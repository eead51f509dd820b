import { Matrix4, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { loadRobot } from './RobotConfig.ts';
import { originToMatrix4, type UrdfGeometry } from './Urdf.ts';

const pos = (m: Matrix4) => new Vector3().setFromMatrixPosition(m);

/** Corners of a primitive's bounding box in its own frame. */
function corners(g: UrdfGeometry): Vector3[] {
  const [hx, hy, hz] =
    g.type === 'box'
      ? [g.size[0] / 2, g.size[1] / 2, g.size[2] / 2]
      : g.type === 'cylinder'
        ? [g.radius, g.radius, g.length / 2]
        : g.type === 'sphere'
          ? [g.radius, g.radius, g.radius]
          : [0, 0, 0];
  const out: Vector3[] = [];
  for (const sx of [-1, 1])
    for (const sy of [-1, 1]) for (const sz of [-1, 1]) out.push(new Vector3(sx * hx, sy * hy, sz * hz));
  return out;
}

describe.each(['ur5e', 'panda'])('RobotTree (%s)', (id) => {
  const robot = loadRobot(id);
  const { tree, chain, config, urdf } = robot;
  const values = new Float64Array(tree.movableJoints.length);
  const setArm = (q: ArrayLike<number>, fingerValue: number) => {
    config.arm_joints.forEach((j, i) => {
      values[tree.movableIndex(j)] = q[i]!;
    });
    values[tree.movableIndex(config.gripper.joints[0])] = fingerValue;
    tree.update(values);
  };

  it('lists independent joints only: the arm and the master finger, not the mimic one', () => {
    expect(tree.movableJoints).toEqual([...config.arm_joints, config.gripper.joints[0]]);
    expect(tree.linkNames[0]).toBe(urdf.rootLink);
    expect(tree.linkNames).toHaveLength(urdf.links.size);
  });

  it('agrees with the chain FK for the tcp, and the home tcp points straight down above the table', () => {
    setArm(config.home, 0);
    const fromChain = chain.fk(config.home, new Matrix4());
    const fromTree = tree.linkPose(config.tip_link);
    for (let k = 0; k < 16; k++) expect(fromTree.elements[k]).toBeCloseTo(fromChain.elements[k]!, 12);
    const p = pos(fromTree);
    expect(p.x).toBeCloseTo(0.4, 3);
    expect(p.y).toBeCloseTo(0, 3);
    expect(p.z).toBeGreaterThanOrEqual(0.3);
    expect(p.z).toBeLessThanOrEqual(0.4);
    expect(new Vector3().setFromMatrixColumn(fromTree, 2).dot(new Vector3(0, 0, -1))).toBeGreaterThan(0.9999);
  });

  it('places each pad inner face at the finger joint value, centred level with the tcp (mimic follows)', () => {
    const half = config.gripper.max_width / 2;
    for (const v of [0, 0.013, half]) {
      setArm(config.home, v);
      const tcpInv = tree.linkPose(config.tip_link).clone().invert();
      config.gripper.pad_links.forEach((pad, side) => {
        const link = urdf.links.get(pad)!;
        expect(link.collisions).toHaveLength(1);
        const c = link.collisions[0]!;
        expect(c.geometry).toEqual({ type: 'box', size: [0.02, 0.012, 0.04] });
        const inTcp = tcpInv
          .clone()
          .multiply(tree.linkPose(pad))
          .multiply(originToMatrix4(c.origin, new Matrix4()));
        const centre = pos(inTcp);
        const sign = side === 0 ? 1 : -1;
        // inner face = centre - half thickness toward the tcp's y = 0 plane
        expect(sign * centre.y - 0.006).toBeCloseTo(v, 12);
        expect(centre.x).toBeCloseTo(0, 12);
        expect(centre.z).toBeCloseTo(0, 12);
      });
    }
  });

  it('keeps the palm at least 3 cm behind the tcp, so a 4 cm cube fits between open pads', () => {
    setArm(config.home, config.gripper.max_width / 2);
    const tcpInv = tree.linkPose(config.tip_link).clone().invert();
    const gripperLinks = tree.linkNames.filter((l) => {
      // Links rigidly attached after the last arm joint, except the pads.
      const flangeSide = chain.jointNames[chain.dof - 1]!;
      const j = urdf.joints.find((x) => x.name === flangeSide)!;
      let link: string | undefined = l;
      while (link !== undefined && link !== j.child) link = urdf.joints.find((x) => x.child === link)?.parent;
      return link === j.child && !config.gripper.pad_links.includes(l);
    });
    expect(gripperLinks.length).toBeGreaterThan(0);
    for (const l of gripperLinks) {
      for (const c of urdf.links.get(l)!.collisions) {
        const m = tcpInv
          .clone()
          .multiply(tree.linkPose(l))
          .multiply(originToMatrix4(c.origin, new Matrix4()));
        for (const corner of corners(c.geometry)) expect(corner.applyMatrix4(m).z).toBeLessThanOrEqual(-0.03);
      }
    }
    expect(config.gripper.max_width).toBeGreaterThan(0.04 + 0.02);
  });

  it('returns the same Matrix4 objects on every update (no allocation)', () => {
    setArm(config.home, 0);
    const a = tree.linkPose(config.tip_link);
    setArm(new Float64Array(config.home.length), 0.01);
    expect(tree.linkPose(config.tip_link)).toBe(a);
  });

  it('rejects an unknown link name, listing the links', () => {
    expect(() => tree.linkPose('no_such_link')).toThrow(/unknown link "no_such_link"; links are/);
  });
});
