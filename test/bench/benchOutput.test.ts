import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One bench per bench/*.bench.ts file, named `<file>.<what>` (episode.closedLoop, graph.local,
 * planner.latency, sim.step): these must be present, under whatever name each file gives its run; more may be added.
 */
const EXPECTED_BENCH_FILES = ['camera', 'episode', 'graph', 'planner', 'record', 'sim', 'rosbridge', 'rtps'];

/** True if `v` has a finite number at some depth (a figure such as rtf or msgsPerSecond). */
function hasNumericFigure(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(hasNumericFigure);
}

describe('npm run bench', () => {
  it('prints one JSON line per benchmark, each with a figure, its baseline and a ratio', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
      cwd: root,
      env: { ...process.env, SIMBRIDGE_BENCH_QUICK: '1' },
      timeout: 170_000,
    });
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = results.map((r) => r.bench);
    expect(names.every((n) => typeof n === 'string')).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    for (const file of EXPECTED_BENCH_FILES) {
      expect(
        names.filter((n) => String(n).startsWith(`${file}.`)),
        `a bench from bench/${file}.bench.ts`,
      ).toHaveLength(1);
    }
    for (const r of results) {
      const { bench, baseline, ratio, overhead, ...figures } = r;
      expect(hasNumericFigure(figures), `${String(bench)}: a numeric figure`).toBe(true);
      expect(baseline, `${String(bench)}: baseline`).toMatchObject({ name: expect.any(String) });
      expect(hasNumericFigure(baseline), `${String(bench)}: a numeric baseline figure`).toBe(true);
      const r0 = ratio ?? overhead;
      expect(typeof r0, `${String(bench)}: ratio or overhead`).toBe('number');
      expect(r0).toBeGreaterThan(0);
      expect(Number.isFinite(r0)).toBe(true);
    }
  }, 180_000);
});
