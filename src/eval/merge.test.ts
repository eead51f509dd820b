// The runner is test/cli/fixtures/fakeRunner.ts, a deterministic stand-in: the real runEpisode is tested
// elsewhere. These tests cover sharding plus merging against the unsharded run.
import { describe, expect, it } from 'vitest';
import { runEpisode as fakeRunner } from '../../test/cli/fixtures/fakeRunner.ts';
import { UserError } from '../errors.ts';
import { evaluate } from './evaluate.ts';
import type { NamedReport } from './merge.ts';
import { mergeReports } from './merge.ts';
import type { EvalPlan } from './plan.ts';
import type { EvalReport } from './report.ts';
import { wallClockFields } from './report.ts';
import { parseReport } from './reportFile.ts';

const fakeRunnerModule = new URL('../../test/cli/fixtures/fakeRunner.ts', import.meta.url);

const plan: EvalPlan = {
  suite: 'tabletop',
  tasks: ['pick_place', 'stack', 'chain3'],
  robot: 'ur5e',
  policy: 'oracle',
  split: 'seen',
  episodes: 5,
  seed: 11,
};

/** The report without its wall-clock figures, which differ from run to run. */
function deterministic(report: EvalReport): unknown {
  return {
    ...report,
    results: report.results.map(({ wallTimeSeconds: _w, ...r }) => r),
    summary: report.summary.map((row) => {
      const copy: Record<string, unknown> = { ...row };
      for (const f of wallClockFields) delete copy[f];
      return copy;
    }),
  };
}

/** Writes and reads back as `eval --json` and `eval merge` do. */
function roundTrip(report: EvalReport, file: string): NamedReport {
  return { file, report: parseReport(JSON.parse(JSON.stringify(report)), file) };
}

async function shards(count: number, workers = 1, over: Partial<EvalPlan> = {}): Promise<NamedReport[]> {
  const out: NamedReport[] = [];
  for (let index = 0; index < count; index++) {
    const report = await evaluate(
      { ...plan, ...over },
      { shard: { index, count }, workers, runner: fakeRunner, runnerModule: fakeRunnerModule },
    );
    out.push(roundTrip(report, `shard${index}.json`));
  }
  return out;
}

describe('mergeReports', () => {
  it('equals the unsharded run for 1, 2, 4 and 15 shards, in-thread or on workers', async () => {
    const whole = await evaluate(plan, { runner: fakeRunner });
    expect(whole.results).toHaveLength(15);
    expect(whole.shard).toBeUndefined();
    for (const [count, workers] of [
      [1, 1],
      [2, 2],
      [4, 1],
      [15, 1],
    ] as const) {
      const parts = await shards(count, workers);
      const merged = mergeReports([...parts].reverse());
      expect(deterministic(merged)).toEqual(deterministic(whole));
    }
  });

  it('refuses reports of different evaluations, naming the field and files', async () => {
    const [a] = await shards(2);
    const [, b] = await shards(2, 1, { seed: 12 });
    expect(() => mergeReports([a!, { ...b!, file: 'other.json' }])).toThrow(
      'cannot merge reports of different evaluations: other.json has seed 12 but shard0.json has 11',
    );
    for (const [field, value] of [
      ['suite', 'kitchen'],
      ['robot', 'franka'],
      ['policy', 'random'],
      ['episodes', 6],
      ['split', 'unseen'],
    ] as const) {
      const changed = {
        file: 'b.json',
        report: { ...a!.report, shard: { index: 1, count: 2 }, [field]: value },
      };
      expect(() => mergeReports([a!, changed])).toThrow(`b.json has ${field} ${JSON.stringify(value)}`);
    }
  });

  it('refuses a shard given twice, naming both files', async () => {
    const [a, b] = await shards(2);
    expect(() => mergeReports([a!, b!, { ...a!, file: 'copy.json' }])).toThrow(
      'cannot merge: shard0.json and copy.json are both shard 0/2',
    );
  });

  it('refuses duplicated episodes, naming the index and both files', async () => {
    const [a, b] = await shards(2);
    const whole = roundTrip(await evaluate(plan, { runner: fakeRunner }), 'whole.json');
    expect(() => mergeReports([whole, a!, b!])).toThrow(
      /^cannot merge: duplicated episodes: index 0 \(pick_place seed 11\) in whole\.json and shard0\.json, index 2 \(pick_place seed 13\) in whole\.json and shard0\.json, .* and 5 more$/,
    );
  });

  it('refuses missing episodes, naming them and the missing shards', async () => {
    const [a, , c, d] = await shards(4);
    let error: unknown;
    try {
      mergeReports([a!, c!, d!]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'cannot merge: missing 4 of 15 episodes: 1 (pick_place seed 12), 5 (stack seed 11), ' +
        '9 (stack seed 15), 13 (chain3 seed 14); shard 1/4 not given',
    );
  });

  it('refuses a result that does not belong where its index says', async () => {
    const [a, b] = await shards(2);
    const tampered = structuredClone(b!);
    tampered.report.results[0]!.seed = 99;
    expect(() => mergeReports([a!, tampered])).toThrow(
      'shard1.json: result index 1 has seed 99, but the evaluation plans 12 there',
    );
    const outside = structuredClone(b!);
    outside.report.results[0]!.index = 15;
    expect(() => mergeReports([a!, outside])).toThrow(
      "shard1.json: result index 15 is outside this evaluation's 0..14",
    );
  });
});

describe('parseReport', () => {
  it('names the file and the bad field', () => {
    expect(() => parseReport({ suite: 'tabletop' }, 'x.json')).toThrow(
      /^x\.json: not a simbridge eval report: tasks: /,
    );
    expect(() => parseReport({ ...minimal(), episodes: 'ten' }, 'y.json')).toThrow(
      'y.json: not a simbridge eval report: episodes: Invalid input: expected number, received string (got "ten")',
    );
  });
});

function minimal() {
  return {
    suite: 's',
    tasks: ['t'],
    robot: 'r',
    policy: 'p',
    split: 'seen',
    episodes: 1,
    seed: 0,
    results: [],
    summary: [],
  };
}
