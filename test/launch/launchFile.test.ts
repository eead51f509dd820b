import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadLaunchFile, parseLaunchFile } from '../../src/launch/LaunchFile.ts';

const launchDir = fileURLToPath(new URL('../../launch/', import.meta.url));

/** The UserError message `parseLaunchFile(text)` throws. */
function errorOf(text: string): string {
  try {
    parseLaunchFile(text, 'bad.launch.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected parseLaunchFile to throw');
}

describe('launch files', () => {
  it('ships the tabletop, two-arm and remote-policy launch files, and they parse', () => {
    const files = readdirSync(launchDir).filter((f) => f.endsWith('.launch.yaml'));
    expect(files).toEqual(
      expect.arrayContaining(['tabletop.launch.yaml', 'two_arm.launch.yaml', 'remote_policy.launch.yaml']),
    );
    for (const f of files) expect(() => loadLaunchFile(`${launchDir}${f}`), f).not.toThrow();

    const tabletop = loadLaunchFile(`${launchDir}tabletop.launch.yaml`);
    expect(tabletop.nodes.map((n) => n.kind)).toEqual(['sim', 'policy', 'rosbridge_server', 'viewer']);
    const twoArm = loadLaunchFile(`${launchDir}two_arm.launch.yaml`);
    expect(twoArm.nodes.filter((n) => n.kind === 'policy').map((n) => n.namespace)).toEqual([
      '/left',
      '/right',
    ]);
    const remote = loadLaunchFile(`${launchDir}remote_policy.launch.yaml`);
    expect(remote.transport).toEqual({ kind: 'rosbridge', url: 'ws://127.0.0.1:9090' });
    expect(remote.nodes.map((n) => n.kind)).toEqual(['policy']);
  });

  it('fills restart defaults', () => {
    const f = parseLaunchFile(
      'name: x\nnodes:\n  - kind: policy\n    restart: { policy: on-failure }\n',
      'x',
    );
    expect(f.nodes[0]!.restart).toEqual({ policy: 'on-failure', maxRestarts: 3, backoffSeconds: 1 });
  });

  it('names the file, the line and the key of an unknown key', () => {
    const text = [
      'name: x',
      'nodes:',
      '  - kind: sim',
      '    parameters:',
      '      robot: ur5e',
      '      robto: ur5e',
    ];
    expect(errorOf(text.join('\n'))).toBe('launch: bad.launch.yaml:6: nodes.0.parameters.robto: unknown key');
  });

  it('names the line of a bad value, a bad kind, a bad name and a duplicate node', () => {
    expect(errorOf('name: x\nnodes:\n  - kind: sim\n    parameters: { seed: -1 }\n')).toMatch(
      /^launch: bad\.launch\.yaml:4: nodes\.0\.parameters\.seed: /,
    );
    expect(errorOf('name: x\nnodes:\n  - kind: simm\n')).toMatch(
      /^launch: bad\.launch\.yaml:3: nodes\.0\.kind: /,
    );
    expect(errorOf('name: x\nnodes:\n  - kind: sim\n    namespace: /a//b\n')).toBe(
      'launch: bad.launch.yaml:4: nodes.0.namespace: not a valid ROS namespace (CONTAINS_REPEATED_FORWARD_SLASH at character 3)',
    );
    expect(errorOf('name: x\nnodes:\n  - kind: sim\n  - kind: sim\n')).toContain(
      'bad.launch.yaml:4: nodes.1.name: node /sim is also nodes.0',
    );
    expect(errorOf('name: x\ntransport: { kind: rosbridge }\nnodes:\n  - kind: sim\n')).toContain(
      'bad.launch.yaml:2: transport.url: a rosbridge transport needs url',
    );
    expect(errorOf('name: x\nnodes:\n  - kind: recorder\n    parameters: { path: out.bag }\n')).toContain(
      ':4: nodes.0.parameters.path: must end in .mcap',
    );
  });

  it('reports broken YAML with its line', () => {
    expect(errorOf('name: x\nnodes:\n  - kind: sim\n  bad: [\n')).toMatch(
      /^launch: bad\.launch\.yaml:\d+: not valid YAML: /,
    );
    expect(errorOf('name: x\nname: y\nnodes: []\n')).toMatch(
      /^launch: bad\.launch\.yaml:2: not valid YAML: /,
    );
  });

  it('throws only UserErrors, with a file:line prefix, on any text', () => {
    const real = readFileSync(`${launchDir}tabletop.launch.yaml`, 'utf8');
    const mutated = fc
      .tuple(fc.nat({ max: real.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 }))
      .map(([at, cut, insert]) => real.slice(0, at) + insert + real.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutated), (text) => {
        try {
          parseLaunchFile(text, 'fuzz.launch.yaml');
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          expect(err.message).toMatch(/^launch: fuzz\.launch\.yaml:\d+: /);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('launch file --set overrides', () => {
  const text =
    'name: x\nnodes:\n  - kind: sim\n    namespace: /left\n  - kind: sim\n    namespace: /right\n  - kind: rosbridge_server\n';

  it("sets a node's parameter by name or full name, read as YAML", () => {
    const f = parseLaunchFile(text, 'x', [
      'rosbridge_server.port=0',
      '/left/sim.seed=7',
      '/right/sim.task=stack',
    ]);
    expect(f.nodes[2]!.parameters).toEqual({ port: 0 });
    expect(f.nodes[0]!.parameters).toEqual({ seed: 7 });
    expect(f.nodes[1]!.parameters).toEqual({ task: 'stack' });
  });

  it('names the problem: no such node, an ambiguous name, a bad form, a bad value', () => {
    const error = (sets: string[]) => {
      try {
        parseLaunchFile(text, 'x', sets);
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        return (err as Error).message;
      }
      throw new Error('expected a UserError');
    };
    expect(error(['viewer.port=1'])).toBe("--set: 'viewer' names no node in the launch file");
    expect(error(['sim.seed=1'])).toMatch(/^--set: 'sim' names more than one node; use its full name/);
    expect(error(['sim'])).toBe("--set: expected node.parameter=value, got 'sim'");
    expect(error(['/left/sim.seed=-1'])).toMatch(/^launch: x:\d+: nodes\.0\.parameters\.seed: /);
    expect(error(['/left/sim.sede=1'])).toMatch(/nodes\.0\.parameters\.sede: unknown key/);
  });
});

describe('launch file --set fuzz', () => {
  it('throws only UserErrors on any override', () => {
    const real = readFileSync(`${launchDir}two_arm.launch.yaml`, 'utf8');
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), (sets) => {
        try {
          parseLaunchFile(real, 'fuzz.launch.yaml', sets);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
