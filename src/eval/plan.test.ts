import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import type { EvalPlan } from './plan.ts';
import { parseShard, planEpisodes, selectTasks, shardEpisodes } from './plan.ts';

const plan: EvalPlan = {
  suite: 'tabletop',
  tasks: ['pick_place', 'stack', 'chain3'],
  robot: 'ur5e',
  policy: 'oracle',
  split: 'seen',
  episodes: 7,
  seed: 100,
};

describe('planEpisodes', () => {
  it('gives episode k of every task the seed base + k, and a global index in (task, k) order', () => {
    const specs = planEpisodes(plan);
    expect(specs).toHaveLength(21);
    expect(specs.map((s) => s.index)).toEqual([...Array(21).keys()]);
    expect(specs.slice(0, 7).every((s) => s.task === 'pick_place')).toBe(true);
    expect(specs.filter((s) => s.task === 'stack').map((s) => s.seed)).toEqual([
      100, 101, 102, 103, 104, 105, 106,
    ]);
    expect(specs[8]).toEqual({
      task: 'stack',
      robot: 'ur5e',
      policy: 'oracle',
      split: 'seen',
      seed: 101,
      index: 8,
    });
  });

  it("keeps a task's seeds when tasks are added to the suite", () => {
    const seedsOf = (tasks: string[]) =>
      planEpisodes({ ...plan, tasks })
        .filter((s) => s.task === 'stack')
        .map((s) => s.seed);
    expect(seedsOf(['stack'])).toEqual(seedsOf(['pick_place', 'new_task', 'stack']));
  });
});

describe('shardEpisodes', () => {
  const specs = planEpisodes(plan);

  it.each([1, 2, 3, 4, 5, 21, 30])('splits 21 episodes into %i disjoint shards whose union is all', (n) => {
    const shards = Array.from({ length: n }, (_, i) => shardEpisodes(specs, { index: i, count: n }));
    const indices = shards.flatMap((s) => s.map((e) => e.index)).sort((a, b) => a - b);
    expect(indices).toEqual(specs.map((s) => s.index));
    const sizes = shards.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('balances every task across shards (round-robin, not contiguous blocks)', () => {
    for (let i = 0; i < 3; i++) {
      const tasks = shardEpisodes(specs, { index: i, count: 3 }).map((s) => s.task);
      for (const task of plan.tasks) {
        const count = tasks.filter((t) => t === task).length;
        expect(count === 2 || count === 3).toBe(true);
      }
    }
  });
});

describe('parseShard', () => {
  it('parses 0-based i/n', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
  });

  it.each(['4/4', '1/0', '0/0', '-1/4', '1.5/4', ' 1/4', '1/4 ', '1 / 4', '1', '1/4/2', 'a/b', '', '+1/4'])(
    'rejects %j naming the flag and the value',
    (text) => {
      expect(() => parseShard(text)).toThrow(UserError);
      expect(() => parseShard(text)).toThrow(`--shard: expected i/n with 0 <= i < n`);
      expect(() => parseShard(text)).toThrow(`got '${text}'`);
    },
  );
});

describe('selectTasks', () => {
  const suite = ['pick_place', 'stack', 'chain3'];

  it('returns the whole suite without --tasks', () => {
    expect(selectTasks('tabletop', suite)).toEqual(suite);
  });

  it('keeps suite order whatever order --tasks gives', () => {
    expect(selectTasks('tabletop', suite, 'chain3,pick_place')).toEqual(['pick_place', 'chain3']);
  });

  it('rejects an unknown task naming it and the known ones', () => {
    expect(() => selectTasks('tabletop', suite, 'stack,pik_place')).toThrow(
      "--tasks: unknown task 'pik_place' in suite 'tabletop'; known tasks: pick_place, stack, chain3",
    );
  });

  it('rejects empty and repeated names', () => {
    expect(() => selectTasks('tabletop', suite, 'stack,,chain3')).toThrow(
      "--tasks: empty task name in 'stack,,chain3'",
    );
    expect(() => selectTasks('tabletop', suite, 'stack,stack')).toThrow(
      "--tasks: task 'stack' is listed twice",
    );
  });
});
