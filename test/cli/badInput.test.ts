// Broken robot folders and scene files given on the command line: the CLI exits 2 with one
// line naming the file and the field, and no stack trace.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, simbridge } from './simbridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'simbridge-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function robotCopy(name: string, edit: (urdf: string) => string): string {
  const target = join(dir, name);
  mkdirSync(target);
  for (const f of ['robot.yaml', 'robot.urdf'])
    copyFileSync(join(repoRoot, 'robots/ur5e', f), join(target, f));
  const urdfPath = join(target, 'robot.urdf');
  writeFileSync(urdfPath, edit(readFileSync(urdfPath, 'utf8')));
  return target;
}

describe('simbridge run with bad input files', () => {
  it('names the URDF file, the joint and the bad value of a malformed robot', async () => {
    const robot = robotCopy('bad_origin', (u) =>
      u.replace('<origin xyz="-0.425 0 0" rpy="0 0 0"/>', '<origin xyz="oops 0 0" rpy="0 0 0"/>'),
    );
    const r = await simbridge('run', '--task', 'pick_place', '--robot', robot);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(robot, 'robot.urdf'));
    expect(r.stderr).toContain('elbow_joint');
    expect(r.stderr).toContain('oops');
    expect(r.stderr).not.toContain('    at ');
  });

  it('names the scene file and the field of a bad scene spec', async () => {
    const file = join(dir, 'scene.yaml');
    writeFileSync(file, 'name: bad\nworkspace: { x: [0.6, 0.2], y: [-0.2, 0.2] }\n');
    const r = await simbridge('run', '--task', 'pick_place', '--scene', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('workspace.x');
    expect(r.stderr).not.toContain('    at ');
  });

  it('lists the known scenes for an unknown scene name', async () => {
    const r = await simbridge('run', '--task', 'pick_place', '--scene', 'moon');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scene "moon"; known scenes: tabletop/);
  });
});
