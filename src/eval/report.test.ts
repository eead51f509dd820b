// Results come from test/cli/fixtures/fakeRunner.ts or are written by hand: a stand-in for the real
// runEpisode, which is tested elsewhere. These tests cover the aggregation and the table.
import { describe, expect, it } from 'vitest';
import type { EvalPlan } from './plan.ts';
import { buildReport, formatTable, summarize } from './report.ts';
import { failedResult } from './runner.ts';
import type { EpisodeResult } from './types.ts';

function result(over: Partial<EpisodeResult> & Pick<EpisodeResult, 'task' | 'index'>): EpisodeResult {
  return {
    robot: 'ur5e',
    seed: over.index,
    policy: 'oracle',
    split: 'seen',
    instruction: 'put the red block in the blue bowl',
    goal: null,
    success: true,
    checks: { success: true },
    steps: 100,
    simTimeSeconds: 1,
    wallTimeSeconds: 0.1,
    stateHash: 'abcd',
    subtasksCompleted: 1,
    subtasksTotal: 1,
    graspAssists: 0,
    commandsRejected: 0,
    commandsClamped: 0,
    ...over,
  };
}

const plan: EvalPlan = {
  suite: 'tabletop',
  tasks: ['pick_place', 'chain'],
  robot: 'ur5e',
  policy: 'oracle',
  split: 'seen',
  episodes: 2,
  seed: 0,
};

const results: EpisodeResult[] = [
  result({
    task: 'pick_place',
    index: 0,
    steps: 100,
    graspAssists: 1,
    commandsClamped: 2,
    retries: 2,
    recoveries: 3,
    disturbances: [{ kind: 'knock', time: 4, object: 'red_block' }],
  }),
  result({
    task: 'pick_place',
    index: 1,
    success: false,
    steps: 300,
    simTimeSeconds: 3,
    wallTimeSeconds: 0.3,
    plannerFailure: true,
    disturbances: [{ kind: 'move_target', time: 4, object: 'blue_bowl' }],
  }),
  result({
    task: 'chain',
    index: 2,
    subtasksCompleted: 3,
    subtasksTotal: 3,
    steps: 500,
    commandsRejected: 4,
  }),
  {
    ...failedResult(
      { task: 'chain', index: 3, seed: 3, robot: 'ur5e', policy: 'oracle', split: 'seen' },
      'boom',
    ),
    subtasksTotal: 3,
  },
];

describe('summarize', () => {
  it('gives one row per task in index order, then an overall row', () => {
    const rows = summarize([...results].reverse());
    expect(rows.map((r) => r.task)).toEqual(['pick_place', 'chain', 'all']);
  });

  it('counts successes, means, assists, rejected and clamped commands, errors and the real-time factor', () => {
    const [pick, chain, all] = summarize(results);
    expect(pick).toEqual({
      task: 'pick_place',
      episodes: 2,
      successes: 1,
      successRate: 0.5,
      meanSteps: 200,
      meanSubtasksCompleted: null,
      meanSubtasksTotal: null,
      graspAssists: 1,
      commandsRejected: 0,
      commandsClamped: 2,
      errors: 0,
      meanRetries: 1,
      recoveries: 3,
      plannerFailures: 1,
      disturbed: 2,
      disturbedWithRecovery: 1,
      simSeconds: 4,
      wallSeconds: expect.closeTo(0.4, 12),
      realTimeFactor: expect.closeTo(10, 9),
    });
    expect(chain).toMatchObject({
      episodes: 2,
      successes: 1,
      meanSteps: 250,
      meanSubtasksCompleted: 1.5,
      meanSubtasksTotal: 3,
      commandsRejected: 4,
      errors: 1,
    });
    expect(all).toMatchObject({
      episodes: 4,
      successes: 2,
      successRate: 0.5,
      meanSteps: 225,
      meanSubtasksCompleted: 1.5,
      graspAssists: 1,
      commandsRejected: 4,
      commandsClamped: 2,
      errors: 1,
    });
  });

  it('has no real-time factor when no wall time was measured', () => {
    const [row] = summarize([result({ task: 'a', index: 0, wallTimeSeconds: 0 })]);
    expect(row!.realTimeFactor).toBeNull();
  });
});

describe('formatTable', () => {
  it('prints a header line, aligned columns and the overall row below a rule', () => {
    const text = formatTable(buildReport(plan, results, { index: 1, count: 4 }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'suite tabletop, robot ur5e, policy oracle, split seen, seed 0, 2 episodes per task, shard 1/4',
    );
    expect(lines[2]!.split(/\s+/)).toEqual([
      'task',
      'episodes',
      'success',
      'rate',
      'steps',
      'subtasks',
      'assists',
      'rejected',
      'clamped',
      'errors',
      'retries/ep',
      'recoveries',
      'no-plan',
      'recovered/disturbed',
      'sim/wall',
    ]);
    expect(lines[3]).toMatch(/^-+$/);
    expect(lines[4]!.split(/\s+/)).toEqual([
      'pick_place',
      '2',
      '1',
      '50.0%',
      '200.0',
      '-',
      '1',
      '0',
      '2',
      '0',
      '1.00',
      '3',
      '1',
      '1/2',
      '10.0x',
    ]);
    expect(lines[5]!.split(/\s+/).slice(0, 6)).toEqual(['chain', '2', '1', '50.0%', '250.0', '1.50/3']);
    expect(lines[6]).toMatch(/^-+$/);
    expect(lines[7]!.split(/\s+/).slice(0, 5)).toEqual(['all', '4', '2', '50.0%', '225.0']);
    // Fixed width: every column ends at the same place on every row.
    const ends = (line: string) => [...line.matchAll(/\S+/g)].map((m) => m.index! + m[0].length).slice(1);
    expect(ends(lines[4]!)).toEqual(ends(lines[2]!));
    expect(ends(lines[7]!)).toEqual(ends(lines[2]!));
    expect(text.endsWith('\n')).toBe(true);
  });
});
