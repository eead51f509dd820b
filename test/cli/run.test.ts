// The real CLI (node bin/simbridge.mjs) running real episodes: `run` is deterministic and its JSON
// complete, `--dry-run` steps nothing, bad names exit 2 without a stack trace, and `eval` with
// workers and shards reproduces the unsharded report.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvalReport, wallClockFields } from '../../src/eval/report.ts';
import type { EpisodeResult } from '../../src/eval/types.ts';
import { type CliRun as Run, simbridge } from './simbridge.ts';

/** A bad-input failure: exit 2, one line on stderr naming `fragments`, no stack trace, empty stdout. */
function expectUsageError(run: Run, ...fragments: string[]): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).not.toContain('    at ');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  for (const f of fragments) expect(lines[0]).toContain(f);
}

describe('simbridge run', () => {
  /** `run --task pick_place --seed 3 --json`, spawned once and shared by the tests that compare with it. */
  let reference: Promise<Run> | undefined;
  const referenceRun = () => {
    reference ??= simbridge('run', '--task', 'pick_place', '--seed', '3', '--json');
    return reference;
  };

  it('prints the same complete JSON result twice for the same seed', async () => {
    const [a, b] = await Promise.all([
      referenceRun(),
      simbridge('run', '--task', 'pick_place', '--seed', '3', '--json'),
    ]);
    expect(a.stderr).toBe('');
    const ra = JSON.parse(a.stdout) as EpisodeResult;
    const rb = JSON.parse(b.stdout) as EpisodeResult;
    expect(a.code).toBe(ra.success ? 0 : 1);
    expect(ra).toMatchObject({ task: 'pick_place', seed: 3, robot: 'ur5e', policy: 'oracle', split: 'seen' });
    expect(typeof ra.success).toBe('boolean');
    expect(ra.goal).toMatchObject({ type: 'pick_place' });
    expect(ra.instruction.length).toBeGreaterThan(0);
    expect(ra.steps).toBeGreaterThan(0);
    expect(ra.simTimeSeconds).toBeGreaterThan(0);
    expect(ra.checks).toHaveProperty('success', ra.success);
    expect(ra.stateHash).toMatch(/^[0-9a-f]{16}$/);
    expect(rb.stateHash).toBe(ra.stateHash);
    const { wallTimeSeconds: _a, ...restA } = ra;
    const { wallTimeSeconds: _b, ...restB } = rb;
    expect(restB).toEqual(restA);
  });

  it('prints a human summary without --json', async () => {
    const run = await simbridge('run', '--task', 'pick_place', '--seed', '3');
    expect(run.stdout).toMatch(/^pick_place seed 3 \(robot ur5e, policy oracle, split seen\)\n/);
    expect(run.stdout).toMatch(/^result: (SUCCESS|FAILED)$/m);
    expect(run.stdout).toMatch(/^state hash: [0-9a-f]{16}$/m);
    expect(run.code).toBe(run.stdout.includes('result: SUCCESS') ? 0 : 1);
  });

  it('describes the episode with --dry-run without stepping it', async () => {
    const [dry, full] = await Promise.all([
      simbridge('run', '--task', 'pick_place', '--seed', '3', '--dry-run'),
      referenceRun(),
    ]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const out = JSON.parse(dry.stdout) as Record<string, unknown>;
    const result = JSON.parse(full.stdout) as EpisodeResult;
    // The same episode the full run played.
    expect(out['instruction']).toBe(result.instruction);
    expect(out['goal']).toEqual(result.goal);
    expect(out).toMatchObject({ task: 'pick_place', seed: 3, robot: 'ur5e' });
    const scene = out['scene'] as { objects: { id: string }[] };
    const ids = scene.objects.map((o) => o.id);
    const goal = result.goal as { object: string; target: string };
    expect(ids).toEqual(expect.arrayContaining([goal.object, goal.target]));
    // Nothing stepped: no step count, sim time, state hash or success.
    for (const key of ['steps', 'simTimeSeconds', 'stateHash', 'success', 'checks'])
      expect(out).not.toHaveProperty(key);
    // Loose: only building the scene, it is well inside the per-spawn timeout.
    expect(dry.wallSeconds).toBeLessThan(20);
  });

  it('rejects an unknown task with exit 2, listing the known ones, without a stack trace', async () => {
    const run = await simbridge('run', '--task', 'nope');
    expectUsageError(run, 'unknown task "nope"', 'pick_place');
  });

  it('rejects an unknown robot with exit 2', async () => {
    const run = await simbridge('run', '--task', 'pick_place', '--robot', 'nope');
    expectUsageError(run, 'unknown robot "nope"', 'ur5e');
  });

  it('rejects an unknown task in --dry-run too', async () => {
    expectUsageError(await simbridge('run', '--task', 'nope', '--dry-run'), 'unknown task "nope"');
  });
});

describe('simbridge eval', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'simbridge-run-test-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs episodes on two workers, writes the JSON report and prints the table', async () => {
    const out = join(dir, 'two-workers.json');
    const run = await simbridge(
      'eval',
      '--tasks',
      'pick_place',
      '--episodes',
      '2',
      '--seed',
      '1',
      '--workers',
      '2',
      '--json',
      out,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^pick_place +2 /m);
    expect(run.stdout).toMatch(/^all +2 /m);
    const report = JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
    expect(report.results).toHaveLength(2);
    expect(report.results.map((r) => [r.task, r.seed, r.index])).toEqual([
      ['pick_place', 1, 0],
      ['pick_place', 2, 1],
    ]);
    for (const r of report.results) expect(r.stateHash).toMatch(/^[0-9a-f]{16}$/);
    expect(report.summary.map((s) => s.task)).toEqual(['pick_place', 'all']);
  });

  it('merges shards 0/2 and 1/2 into the unsharded report', async () => {
    const base = ['eval', '--tasks', 'pick_place,push', '--episodes', '2', '--seed', '1'];
    const whole = join(dir, 'whole.json');
    const shard0 = join(dir, 'shard0.json');
    const shard1 = join(dir, 'shard1.json');
    const merged = join(dir, 'merged.json');
    const runs = await Promise.all([
      simbridge(...base, '--json', whole),
      simbridge(...base, '--shard', '0/2', '--json', shard0),
      simbridge(...base, '--shard', '1/2', '--json', shard1),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const merge = await simbridge('eval', 'merge', shard1, shard0, '--json', merged);
    expect(merge.code, merge.stderr).toBe(0);
    expect(merge.stdout).toMatch(/^pick_place +2 /m);
    expect(merge.stdout).toMatch(/^push +2 /m);

    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as EvalReport;
    const parts = [read(shard0), read(shard1)];
    expect(parts.map((p) => p.results.length)).toEqual([2, 2]);
    expect(parts.map((p) => p.shard)).toEqual([
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ]);
    const strip = (r: EvalReport) => ({
      ...r,
      results: r.results.map(({ wallTimeSeconds: _w, ...rest }) => rest),
      summary: r.summary.map((row) => {
        const copy: Record<string, unknown> = { ...row };
        for (const f of wallClockFields) delete copy[f];
        return copy;
      }),
    });
    const m = read(merged);
    const w = read(whole);
    expect(w.results).toHaveLength(4);
    expect(m.shard).toBeUndefined();
    expect(strip(m)).toEqual(strip(w));
  });
});
