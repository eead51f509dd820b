import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run bench', () => {
  it('prints one JSON line per benchmark, each with a figure, its baseline and a ratio', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: root,
      env: { ...process.env, SIMBRIDGE_BENCH_QUICK: '1' },
      timeout: 55_000,
    });
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { bench: string }).bench).sort()).toEqual([
      'episode.oracle',
      'sim.step',
    ]);
    for (const line of lines) {
      const r = JSON.parse(line) as Record<string, unknown>;
      expect(typeof r.bench).toBe('string');
      expect(r.rtf).toBeGreaterThan(0);
      expect(r.baseline).toMatchObject({ name: expect.any(String), rtf: expect.any(Number) });
      const ratio = r.ratio ?? r.overhead;
      expect(ratio).toBeGreaterThan(0);
      expect(Number.isFinite(ratio)).toBe(true);
    }
  }, 60_000);
});
