// `--perception camera` in eval reports: the header says it, files keep it, merge checks it.
import { describe, expect, it } from 'vitest';
import { mergeReports } from '../../src/eval/merge.ts';
import { type EvalPlan, planEpisodes, shardEpisodes } from '../../src/eval/plan.ts';
import { buildReport, formatTable } from '../../src/eval/report.ts';
import { parseReport } from '../../src/eval/reportFile.ts';
import { failedResult } from '../../src/eval/runner.ts';

const PLAN: EvalPlan = {
  suite: 'tabletop',
  tasks: ['push'],
  robot: 'ur5e',
  policy: 'language',
  split: 'seen',
  episodes: 2,
  seed: 7,
  perception: 'camera',
};

/** The report file of one shard of `plan` (episodes stand in as results; only the header matters here). */
function shardFile(plan: EvalPlan, index: number) {
  const shard = { index, count: 2 };
  const specs = shardEpisodes(planEpisodes(plan), shard);
  const report = buildReport(
    plan,
    specs.map((s) => failedResult(s, 'stand-in')),
    shard,
  );
  return parseReport(JSON.parse(JSON.stringify(report)), `shard${index}.json`);
}

describe('eval reports with --perception camera', () => {
  it('plans camera episodes, and says so in the table header and the file', () => {
    expect(planEpisodes(PLAN).every((s) => s.perception === 'camera')).toBe(true);
    const { perception: _, ...truthPlan } = PLAN;
    expect(planEpisodes(truthPlan).some((s) => 'perception' in s)).toBe(false);
    const report = shardFile(PLAN, 0);
    expect(report.perception).toBe('camera');
    expect(formatTable(report).split('\n')[0]).toMatch(/, perception camera$/);
  });

  it('merges camera shards into a camera report, and refuses to merge one with a ground-truth shard', () => {
    const merged = mergeReports([
      { file: 'shard0.json', report: shardFile(PLAN, 0) },
      { file: 'shard1.json', report: shardFile(PLAN, 1) },
    ]);
    expect(merged.perception).toBe('camera');
    const { perception: _, ...truthPlan } = PLAN;
    expect(() =>
      mergeReports([
        { file: 'shard0.json', report: shardFile(PLAN, 0) },
        { file: 'truth1.json', report: shardFile(truthPlan, 1) },
      ]),
    ).toThrow(/truth1\.json has perception undefined but shard0\.json has "camera"/);
  });

  it('rejects an unknown perception source in a report file, naming the field', () => {
    const bad = { ...JSON.parse(JSON.stringify(buildReport(PLAN, []))), perception: 'lidar' };
    expect(() => parseReport(bad, 'bad.json')).toThrow(/perception/);
  });
});
