import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { parseUrdf, type UrdfRobot } from './Urdf.ts';

const robotsDir = fileURLToPath(new URL('../../robots/', import.meta.url));
const urdfText = (id: string) => readFileSync(`${robotsDir}${id}/robot.urdf`, 'utf8');

const SRC = 'robots/x/robot.urdf';
const JOINT = `<joint name="elbow_joint" type="revolute">
    <parent link="base"/><child link="arm"/>
    <origin xyz="0 0 1" rpy="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="10" velocity="2"/>
  </joint>`;
const doc = (body: string) => `<?xml version="1.0"?>
<robot name="t">
  <material name="grey"><color rgba="0.5 0.5 0.5 1"/></material>
  <link name="base">
    <visual><geometry><box size="0.1 0.2 0.3"/></geometry><material name="grey"/></visual>
    <inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial>
  </link>
  <link name="arm"/>
  ${body}
</robot>`;
const valid = doc(JOINT);

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('parseUrdf', () => {
  it('parses the UR5e: links, joints, root, limits, mimic and resolved materials', () => {
    const r = parseUrdf(urdfText('ur5e'), 'robots/ur5e/robot.urdf');
    expect(r.name).toBe('ur5e');
    expect(r.rootLink).toBe('base_link');
    const elbow = r.joints.find((j) => j.name === 'elbow_joint')!;
    expect(elbow.limit).toEqual({ lower: -Math.PI, upper: Math.PI, velocity: Math.PI, effort: 150 });
    expect(elbow.origin.xyz).toEqual([-0.425, 0, 0]);
    const wrist3 = r.joints.find((j) => j.name === 'wrist_3_joint')!;
    expect(wrist3.limit?.effort).toBe(28);
    expect(r.joints.find((j) => j.name === 'right_finger_joint')!.mimic).toEqual({
      joint: 'left_finger_joint',
      multiplier: 1,
      offset: 0,
    });
    expect(r.links.get('upper_arm_link')!.inertial!.mass).toBe(8.058);
    const shoulderVisual = r.links.get('shoulder_link')!.visuals[0]!;
    expect(shoulderVisual.material).toEqual({ name: 'ur_grey', rgba: [0.72, 0.74, 0.76, 1] });
    expect(r.links.get('left_pad')!.collisions).toEqual([
      {
        origin: { xyz: [0, 0.006, 0], rpy: [0, 0, 0] },
        geometry: { type: 'box', size: [0.02, 0.012, 0.04] },
      },
    ]);
  });

  it('parses the Panda with primitive geometry only and a mass on every body link', () => {
    const r = parseUrdf(urdfText('panda'), 'robots/panda/robot.urdf');
    expect(r.rootLink).toBe('panda_link0');
    expect(r.joints.filter((j) => j.type === 'revolute')).toHaveLength(7);
    for (const link of r.links.values()) {
      for (const g of [...link.visuals, ...link.collisions]) expect(g.geometry.type).not.toBe('mesh');
      if (link.visuals.length > 0) expect(link.inertial?.mass).toBeGreaterThan(0);
    }
  });

  it('applies the spec defaults: zero origin, axis 1 0 0, lower/upper 0, continuous unbounded', () => {
    const r = parseUrdf(
      doc(`<joint name="j" type="continuous"><parent link="base"/><child link="arm"/>
             <limit effort="1" velocity="1"/></joint>
           <link name="c"/>
           <joint name="p" type="prismatic"><parent link="arm"/><child link="c"/><limit effort="1" velocity="1"/></joint>`),
      SRC,
    );
    const j = r.joints[0]!;
    expect(j.origin).toEqual({ xyz: [0, 0, 0], rpy: [0, 0, 0] });
    expect(j.axis).toEqual([1, 0, 0]);
    expect(j.limit).toEqual({ lower: -Infinity, upper: Infinity, velocity: 1, effort: 1 });
    expect(r.joints[1]!.limit).toMatchObject({ lower: 0, upper: 0 });
  });

  it('normalises the joint axis', () => {
    const r = parseUrdf(valid.replace('<axis xyz="0 0 1"/>', '<axis xyz="0 0 2"/>'), SRC);
    expect(r.joints[0]!.axis).toEqual([0, 0, 1]);
  });

  const cases: Array<[string, string, string | RegExp]> = [
    [
      'malformed XML',
      '<robot name="t"><link name="a"></robot>',
      /^robots\/x\/robot\.urdf: malformed XML at line 1/,
    ],
    ['a root element other than <robot>', '<model name="t"/>', 'root element must be <robot>'],
    [
      'an origin with two numbers',
      valid.replace('<origin xyz="0 0 1"', '<origin xyz="1 2"'),
      'robots/x/robot.urdf: joint "elbow_joint" <origin xyz="1 2">: expected 3 numbers, got "1 2"',
    ],
    [
      'a NaN in an origin',
      valid.replace('<origin xyz="0 0 1"', '<origin xyz="0 nan 1"'),
      'joint "elbow_joint" <origin xyz="0 nan 1">: expected 3 numbers, got "0 nan 1"',
    ],
    [
      'an infinite limit',
      valid.replace('upper="1"', 'upper="1e999"'),
      'joint "elbow_joint" <limit upper=...>: expected a number, got "1e999"',
    ],
    [
      'a missing parent link',
      valid.replace('<parent link="base"/>', '<parent link="nope"/>'),
      'joint "elbow_joint" <parent link="nope">: no such link',
    ],
    [
      'a missing child link',
      valid.replace('<child link="arm"/>', '<child link="ghost"/>'),
      '<child link="ghost">: no such link',
    ],
    ['a duplicate link name', doc(`${JOINT}<link name="arm"/>`), 'link "arm": duplicate link name "arm"'],
    [
      'a duplicate joint name',
      doc(`${JOINT}<link name="c"/>${JOINT.replace('"base"', '"arm"').replace('"arm"/>', '"c"/>')}`),
      'joint "elbow_joint": duplicate joint name "elbow_joint"',
    ],
    [
      'two root links',
      doc(`${JOINT}<link name="loose"/>`),
      'kinematic tree has 2 root links ("base", "loose")',
    ],
    [
      'a cycle with no root',
      doc(`${JOINT}<joint name="back" type="fixed"><parent link="arm"/><child link="base"/></joint>`),
      'no root link',
    ],
    [
      'a cycle beside the tree',
      doc(`${JOINT}<link name="c1"/><link name="c2"/>
        <joint name="a" type="fixed"><parent link="c1"/><child link="c2"/></joint>
        <joint name="b" type="fixed"><parent link="c2"/><child link="c1"/></joint>`),
      'kinematic tree has a cycle through links "c1", "c2"',
    ],
    [
      'a link with two parents',
      doc(
        `${JOINT}<link name="c"/><joint name="k" type="fixed"><parent link="c"/><child link="arm"/></joint>`,
      ),
      'joint "k": link "arm" already has a parent joint "elbow_joint"',
    ],
    [
      'a mimic of an unknown joint',
      valid.replace('<axis xyz="0 0 1"/>', '<axis xyz="0 0 1"/><mimic joint="ghost_joint"/>'),
      'joint "elbow_joint" <mimic joint="ghost_joint">: no such joint',
    ],
    [
      'a negative mass',
      valid.replace('<mass value="1"/>', '<mass value="-2"/>'),
      'link "base" <inertial> <mass value=...>: expected a non-negative number, got "-2"',
    ],
    [
      'a negative box size',
      valid.replace('<box size="0.1 0.2 0.3"/>', '<box size="0.1 -0.2 0.3"/>'),
      'link "base" <visual> #1 <box size="0.1 -0.2 0.3">: sizes must be positive',
    ],
    [
      'a revolute joint without <limit>',
      valid.replace('<limit lower="-1" upper="1" effort="10" velocity="2"/>', ''),
      'joint "elbow_joint": a revolute joint needs a <limit> element',
    ],
    [
      'a limit without velocity',
      valid.replace(' velocity="2"', ''),
      'joint "elbow_joint" <limit>: missing attribute "velocity"',
    ],
    [
      'an unknown joint type',
      valid.replace('type="revolute"', 'type="ball"'),
      'joint "elbow_joint": attribute type="ball" must be one of revolute, continuous, prismatic, fixed, floating, planar',
    ],
    ['a link without a name', doc(`${JOINT}<link/>`), '<link> #3: missing attribute "name"'],
    [
      'two origins in a joint',
      valid.replace('<axis xyz="0 0 1"/>', '<axis xyz="0 0 1"/><origin xyz="0 0 0"/>'),
      'joint "elbow_joint" <origin>: more than one <origin>',
    ],
    [
      'an undefined material',
      valid.replace('<material name="grey"/>', '<material name="chrome"/>'),
      'link "base" <visual> #1 <material>: material "chrome" is not defined',
    ],
    [
      'a lower limit above the upper',
      valid.replace('lower="-1" upper="1"', 'lower="2" upper="1"'),
      'joint "elbow_joint" <limit>: lower 2 is greater than upper 1',
    ],
    ['a zero axis', valid.replace('<axis xyz="0 0 1"/>', '<axis xyz="0 0 0"/>'), 'axis must be non-zero'],
  ];
  for (const [what, xml, expected] of cases) {
    it(`rejects ${what} with a UserError naming the file, element and value`, () => {
      const e = errorOf(() => parseUrdf(xml, SRC));
      expect(e.source).toBe(SRC);
      if (typeof expected === 'string') expect(e.message).toContain(expected);
      else expect(e.message).toMatch(expected);
    });
  }

  function checkRobot(r: UrdfRobot): void {
    expect(r.links.has(r.rootLink)).toBe(true);
    for (const j of r.joints) {
      expect(r.links.has(j.parent) && r.links.has(j.child)).toBe(true);
      for (const v of [...j.origin.xyz, ...j.origin.rpy, ...j.axis]) expect(Number.isFinite(v)).toBe(true);
    }
  }
  function parsesOrUserError(text: string): void {
    let robot: UrdfRobot | undefined;
    try {
      robot = parseUrdf(text, SRC);
    } catch (e) {
      if (!(e instanceof UserError))
        throw new Error(`non-UserError ${String(e)} for input ${JSON.stringify(text.slice(0, 400))}`);
      expect(e.message.startsWith(`${SRC}: `)).toBe(true);
      return;
    }
    checkRobot(robot);
  }

  it('never throws anything but UserError on random text (fuzz)', () => {
    const xmlish = fc.array(
      fc.constantFrom(
        '<robot',
        '<link',
        '<joint',
        ' name="a"',
        ' type="fixed"',
        '>',
        '/>',
        '</robot>',
        '<origin xyz="1 2 3"/>',
        '"',
        '<',
        '&amp;',
        '<!--',
        '-->',
        '<![CDATA[',
        'x',
      ),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          xmlish.map((a) => a.join('')),
        ),
        (text) => {
          parsesOrUserError(text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but UserError on mutations of the real URDFs (fuzz)', () => {
    const texts = [urdfText('ur5e'), urdfText('panda'), valid];
    const garbage = fc.constantFrom(
      '',
      'nan',
      'NaN',
      'inf',
      '-Infinity',
      '1e999',
      'abc',
      '1 2',
      '1 2 3 4',
      '0x10',
      '--1',
      ' ',
      '"',
      '<',
      '-1',
      '0',
    );
    type Mutation =
      | { kind: 'deleteAttr'; at: number }
      | { kind: 'garbleNumber'; at: number; with: string }
      | { kind: 'truncate'; at: number }
      | { kind: 'deleteElement'; at: number };
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant('deleteAttr' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('garbleNumber' as const), at: fc.nat(), with: garbage }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('deleteElement' as const), at: fc.nat() }),
    );
    const apply = (text: string, m: Mutation): string => {
      const pick = (re: RegExp): RegExpExecArray | undefined => {
        const all = [...text.matchAll(re)];
        return all.length ? (all[m.at % all.length] as RegExpExecArray) : undefined;
      };
      if (m.kind === 'truncate') return text.slice(0, m.at % (text.length + 1));
      const hit =
        m.kind === 'deleteAttr'
          ? pick(/\s[\w:-]+="[^"]*"/g)
          : m.kind === 'garbleNumber'
            ? pick(/-?\d+(\.\d+)?(e-?\d+)?/g)
            : pick(
                /<(visual|collision|inertial|origin|axis|limit|mimic|parent|child|geometry|link|joint|material)\b[^>]*\/>/g,
              );
      if (!hit) return text;
      const replacement = m.kind === 'garbleNumber' ? m.with : '';
      return text.slice(0, hit.index) + replacement + text.slice(hit.index + hit[0].length);
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (text, ms) => {
          parsesOrUserError(ms.reduce(apply, text));
        },
      ),
      { numRuns: 400 },
    );
  });
});
