import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { DEFAULT_ROBOTS_DIR, listRobots, loadRobot } from './RobotConfig.ts';

const scratch = mkdtempSync(join(tmpdir(), 'simbridge-robots-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of robots/ur5e under a scratch robots dir, with robot.yaml edited. */
function variant(name: string, edit: (yaml: string) => string): string {
  const dir = join(scratch, name);
  cpSync(join(DEFAULT_ROBOTS_DIR, 'ur5e'), join(dir, 'ur5e'), { recursive: true });
  const yamlPath = join(dir, 'ur5e', 'robot.yaml');
  writeFileSync(yamlPath, edit(readFileSync(yamlPath, 'utf8')));
  return dir;
}

function userErrorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('loadRobot', () => {
  it('lists the robots shipped in robots/', () => {
    expect(listRobots()).toEqual(expect.arrayContaining(['panda', 'ur5e']));
  });

  it('loads both robots with controllers, gripper and a chain over arm_joints', () => {
    const ur = loadRobot('ur5e');
    expect(ur.config.controllers).toEqual({
      forward_position_controller: 'forward_position_controller',
      joint_trajectory_controller: 'joint_trajectory_controller',
      gripper_controller: 'gripper_controller',
    });
    expect(ur.chain.jointNames).toEqual(ur.config.arm_joints);
    expect(ur.config.gripper.max_width).toBe(0.085);
    expect(ur.urdfText).toContain('<robot name="ur5e">');
    const panda = loadRobot('panda');
    expect(panda.chain.dof).toBe(7);
    expect(panda.config.max_acceleration).toEqual([15, 7.5, 10, 12.5, 15, 20, 20]);
    expect(panda.config.gripper.max_width).toBe(0.08);
    expect(panda.config.mount).toEqual({ xyz: [0, 0, 0], rpy: [0, 0, 0] });
  });

  it('parses each robot once per process (cached)', () => {
    expect(loadRobot('ur5e')).toBe(loadRobot('ur5e'));
  });

  it('rejects an unknown robot id, listing the known ones', () => {
    const e = userErrorOf(() => loadRobot('kuka'));
    expect(e.message).toBe('unknown robot "kuka"; known robots: panda, ur5e');
  });

  it('rejects an unknown key, naming the key and the file', () => {
    const dir = variant('unknown-key', (y) =>
      y.replace('max_width: 0.085', 'max_width: 0.085\n  colour: red'),
    );
    const e = userErrorOf(() => loadRobot('ur5e', dir));
    expect(e.source).toMatch(/ur5e[/\\]robot\.yaml$/);
    expect(e.message).toContain('gripper');
    expect(e.message).toContain('"colour"');
  });

  it('rejects a home pose outside the joint limits, naming the joint', () => {
    const dir = variant('home-out', (y) =>
      y.replace(/home: \[[^\]]*\]/, 'home: [0, -1.5, 3.5, -1.5, -1.5, 0]'),
    );
    const e = userErrorOf(() => loadRobot('ur5e', dir));
    expect(e.message).toContain('home.2: joint "elbow_joint" value 3.5 is outside its limits');
    expect(e.source).toMatch(/robot\.yaml$/);
  });

  it('rejects a home pose of the wrong length', () => {
    const dir = variant('home-short', (y) => y.replace(/home: \[[^\]]*\]/, 'home: [0, 0]'));
    expect(() => loadRobot('ur5e', dir)).toThrow(/home: expected 6 values \(one per arm joint\), got 2/);
  });

  it('rejects an arm joint that the URDF lacks or that is fixed', () => {
    const missing = variant('arm-missing', (y) => y.replace('  - wrist_3_joint', '  - wrist_4_joint'));
    expect(() => loadRobot('ur5e', missing)).toThrow(/arm_joints\.5: no joint "wrist_4_joint"/);
    const fixed = variant('arm-fixed', (y) => y.replace('  - wrist_3_joint', '  - flange-tool0'));
    expect(() => loadRobot('ur5e', fixed)).toThrow(
      /joint "flange-tool0" is fixed; arm joints must be movable/,
    );
  });

  it('rejects missing pad and tip links, and a max_width that disagrees with the finger limits', () => {
    const pad = variant('pad', (y) =>
      y.replace('pad_links: [left_pad, right_pad]', 'pad_links: [left_pad, nope]'),
    );
    expect(() => loadRobot('ur5e', pad)).toThrow(/gripper\.pad_links\.1: no link "nope"/);
    const tip = variant('tip', (y) => y.replace('tip_link: tcp', 'tip_link: tool1'));
    expect(() => loadRobot('ur5e', tip)).toThrow(/tip_link: no link "tool1"/);
    const width = variant('width', (y) => y.replace('max_width: 0.085', 'max_width: 0.1'));
    expect(() => loadRobot('ur5e', width)).toThrow(
      /gripper\.max_width: 0\.1 m but joint "left_finger_joint" opens to 0\.0425 m/,
    );
  });

  it('fills controller names and mount with their defaults when omitted', () => {
    const dir = variant('defaults', (y) =>
      y.replace(/controllers:[\s\S]*?(?=gripper:)/, '').replace(/mount:[\s\S]*$/, ''),
    );
    const r = loadRobot('ur5e', dir);
    expect(r.config.controllers.gripper_controller).toBe('gripper_controller');
    expect(r.config.mount).toEqual({ xyz: [0, 0, 0], rpy: [0, 0, 0] });
  });
});
