// Launch files with several robots at one sim's table: parsing and the unit checks.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { parseLaunchFile } from '../../src/launch/LaunchFile.ts';
import { armNamespaces, planUnits } from '../../src/launch/units.ts';

const file = (lines: string[]) => lines.join('\n');
const SIM = [
  'name: x',
  'nodes:',
  '  - kind: sim',
  '    parameters:',
  '      robots:',
  '        - { name: left, base: { xyz: [0, 0.4, 0] } }',
  '        - { name: right, base: { xyz: [0, -0.4, 0] } }',
];
const errorOf = (text: string): string => {
  try {
    planUnits(parseLaunchFile(text, 'x.launch.yaml'), 'x.launch.yaml');
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('no error');
};

describe('launch files with a shared table', () => {
  it('gives a sim one arm namespace per robot, under its own', () => {
    const f = parseLaunchFile(file(SIM), 'x.launch.yaml');
    expect(armNamespaces(f.nodes[0]!)).toEqual(['/left', '/right']);
    const nested = parseLaunchFile(file([...SIM.slice(0, 3), '    namespace: /cell', ...SIM.slice(3)]), 'x');
    expect(armNamespaces(nested.nodes[0]!)).toEqual(['/cell/left', '/cell/right']);
  });

  it('accepts an oracle policy in an arm namespace, which has a goal of its own', () => {
    const units = planUnits(
      parseLaunchFile(
        file([...SIM, '  - kind: policy', '    namespace: /left', '    parameters: { policy: oracle }']),
        'x.launch.yaml',
      ),
      'x.launch.yaml',
    );
    expect(units[0]!.nodes.map((n) => n.kind)).toEqual(['sim', 'policy']);
    expect(
      errorOf(
        file([...SIM, '  - kind: policy', '    namespace: /middle', '    parameters: { policy: oracle }']),
      ),
    ).toMatch(/oracle policy reads the goal from a sim in its namespace \(\/middle\)/);
  });

  it('refuses a second sim in an arm namespace', () => {
    expect(errorOf(file([...SIM, '  - kind: sim', '    namespace: /left']))).toMatch(
      /namespace \/left has two sim nodes/,
    );
  });

  it('names the file, the line and the key of a bad robot', () => {
    const bad = [...SIM.slice(0, 6), '        - { name: right, base: { xyz: [0, -0.4, 0] }, tsak: stack }'];
    expect(errorOf(file(bad))).toBe('launch: x.launch.yaml:7: nodes.0.parameters.robots.1.tsak: unknown key');
    const twice = [...SIM.slice(0, 6), '        - { name: left, base: { xyz: [0, -0.4, 0] } }'];
    expect(errorOf(file(twice))).toMatch(
      /^launch: x\.launch\.yaml:7: nodes\.0\.parameters\.robots\.1\.name: robot name "left" is also robots\.0's/,
    );
    const cable = [
      ...SIM.slice(0, 6),
      '        - { name: r, base: { xyz: [0, -0.4, 0] }, task: cable_route }',
    ];
    expect(errorOf(file(cable))).toMatch(
      /^launch: x\.launch\.yaml:7: nodes\.0\.parameters\.robots\.1\.task: /,
    );
  });
});
