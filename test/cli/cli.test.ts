// Spawns the real CLI (node bin/simbridge.mjs). The flag errors below fail before any episode runs, so they
// do not depend on the episode runner. The merge tests build their shard files with
// test/cli/fixtures/fakeRunner.ts, a stand-in for the real runEpisode (tested elsewhere): merging runs no
// episodes, so the CLI under test is the real one throughout.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.ts';
import type { EvalPlan } from '../../src/eval/plan.ts';
import type { EvalReport } from '../../src/eval/report.ts';
import { runEpisode as fakeRunner } from './fixtures/fakeRunner.ts';
import { type CliRun as Run, repoRoot, simbridge } from './simbridge.ts';

/** A bad-input failure: exit 2, one line on stderr, no stack trace, nothing on stdout. */
function expectUsageError(run: Run, ...fragments: string[]): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).not.toContain('    at ');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^simbridge: error: /);
  for (const f of fragments) expect(lines[0]).toContain(f);
}

describe('simbridge', () => {
  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const run = await simbridge('--version');
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('documents its commands and exit statuses in --help', async () => {
    const run = await simbridge('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/eval \[options\]/);
    expect(run.stdout).toMatch(/run \[options\]/);
    expect(run.stdout).toContain('2 bad input');
    const evalHelp = await simbridge('eval', '--help');
    expect(evalHelp.stdout).toContain('--shard <i/n>');
    expect(evalHelp.stdout).toContain('0-based');
    const runHelp = await simbridge('run', '--help');
    expect(runHelp.stdout).toContain('1  the task was not achieved');
  });

  // Each case spawns its own process, so they run concurrently.
  it.concurrent.each([
    [
      ['eval', '--episodes', 'abc'],
      ['--episodes', "'abc'"],
    ],
    [
      ['eval', '--episodes', '0'],
      ['--episodes', "'0'"],
    ],
    [
      ['eval', '--seed', '-1.5'],
      ['--seed', "'-1.5'"],
    ],
    [
      ['eval', '--seed', '1e3'],
      ['--seed', "'1e3'"],
    ],
    [
      ['eval', '--workers', '0.5'],
      ['--workers', "'0.5'"],
    ],
    [
      ['eval', '--shard', '4/4'],
      ['--shard', "'4/4'", '0-based'],
    ],
    [
      ['eval', '--shard', '1-4'],
      ['--shard', "'1-4'"],
    ],
    [
      ['eval', '--split', 'maybe'],
      ['--split', "'maybe'", 'seen, unseen'],
    ],
    [['eval', '--bogus'], ["unknown option '--bogus'"]],
    [
      ['eval', '--json', '/no/such/dir/out.json'],
      ['--json', '/no/such/dir'],
    ],
    [['run'], ["'--task <id>'"]],
    [
      ['run', '--task', 'pick_place', '--seed', 'x'],
      ['--seed', "'x'"],
    ],
    [['frobnicate'], ["unknown command 'frobnicate'"]],
    [['eval', 'merge'], ["missing required argument 'files'"]],
    [['eval', 'merge', 'no-such-report.json'], ['no-such-report.json: no such file']],
  ])('rejects %j with exit 2 and a one-line message', async (args, fragments) => {
    expectUsageError(await simbridge(...args), ...fragments);
  });
});

describe('simbridge eval merge', () => {
  let dir: string;
  let whole: EvalReport;
  const plan: EvalPlan = {
    suite: 'tabletop',
    tasks: ['pick_place', 'chain3'],
    robot: 'ur5e',
    policy: 'oracle',
    split: 'seen',
    episodes: 4,
    seed: 1,
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simbridge-merge-'));
    whole = await evaluate(plan, { runner: fakeRunner });
    for (let index = 0; index < 3; index++) {
      const shard = await evaluate(plan, { runner: fakeRunner, shard: { index, count: 3 } });
      writeFileSync(join(dir, `shard${index}.json`), JSON.stringify(shard));
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the unsharded report and prints its table', async () => {
    const out = join(dir, 'merged.json');
    const run = await simbridge(
      'eval',
      'merge',
      join(dir, 'shard2.json'),
      join(dir, 'shard0.json'),
      join(dir, 'shard1.json'),
      '--json',
      out,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^suite tabletop, robot ur5e, policy oracle, split seen, seed 1, 4 episodes per task\n/,
    );
    expect(run.stdout).toMatch(/^pick_place +4 /m);
    expect(run.stdout).toMatch(/^all +8 /m);
    const merged = JSON.parse(readFileSync(out, 'utf8')) as EvalReport;
    const strip = (r: EvalReport) => ({
      ...r,
      results: r.results.map(({ wallTimeSeconds: _w, ...rest }) => rest),
      summary: r.summary.map(({ wallSeconds: _w, realTimeFactor: _f, ...rest }) => rest),
    });
    expect(strip(merged)).toEqual(strip(JSON.parse(JSON.stringify(whole)) as EvalReport));
    expect(merged.shard).toBeUndefined();
  });

  it('refuses a missing shard with exit 2, naming it', async () => {
    const run = await simbridge('eval', 'merge', join(dir, 'shard0.json'), join(dir, 'shard2.json'));
    expectUsageError(run, 'missing 3 of 8 episodes', 'shard 1/3 not given');
  });

  it('refuses a file that is not a report, naming the file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"suite": 3}');
    expectUsageError(await simbridge('eval', 'merge', bad), `${bad}: not a simbridge eval report: suite:`);
  });
});
