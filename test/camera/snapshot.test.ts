// `simbridge snapshot`: the real CLI writes PNGs a person (and fast-png) can read.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { simbridge } from '../cli/simbridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'simbridge-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simbridge snapshot', () => {
  it('writes an RGB PNG of the episode whose pixels are not uniform, and a 16-bit depth PNG', async () => {
    const out = join(dir, 'out.png');
    const depth = join(dir, 'out_depth.png');
    const run = await simbridge('snapshot', '--task', 'pick_place', '--seed', '3', out, '--depth', depth);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wrote .*out\.png, .*out_depth\.png \(pick_place seed 3, 640x480\)\n$/);

    const png = decode(readFileSync(out));
    expect(png).toMatchObject({ width: 640, height: 480, channels: 3, depth: 8 });
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 3) {
      colours.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
    }
    expect(colours.size).toBeGreaterThan(50);
    // The table fills the bottom centre of the default view.
    const [r, , b] = [0, 1, 2].map((c) => png.data[(470 * 640 + 320) * 3 + c]!);
    expect(r).toBeGreaterThan(b!); // wood: more red than blue

    const d = decode(readFileSync(depth));
    expect(d).toMatchObject({ width: 640, height: 480, channels: 1, depth: 16 });
    const mm = d.data as Uint16Array;
    // Nearer at the bottom centre (the table's near edge) than at the top right (table far edge, floor).
    expect(mm[479 * 640 + 320]!).toBeGreaterThan(300);
    expect(mm[479 * 640 + 320]!).toBeLessThan(mm[30 * 640 + 620]!);
  });

  it('rejects bad flags with exit status 2 and one line naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--task', 'pick_place', '--width', 'abc', join(dir, 'a.png')],
        /--width: expected an integer >= 1, got 'abc'/,
      ],
      [['--task', 'pick_place', '--eye', '1,2', join(dir, 'b.png')], /--eye: expected three numbers/],
      [['--task', 'pick_place', join(dir, 'missing', 'e.png')], /<out\.png>: directory .* does not exist/],
    ];
    const runs = await Promise.all(cases.map(([args]) => simbridge('snapshot', ...args)));
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(cases[i]![1]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
