import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measurePlanningLatency } from '../../src/policy/planner/planningLatency.ts';
import { planFromInstruction } from '../../src/policy/planner/RuleBasedPlanner.ts';
import type { WorldSummary } from '../../src/policy/planner/WorldSummary.ts';

const world: WorldSummary = {
  objects: [
    { id: 'red_block', kind: 'block', color: 'red', className: 'red block', position: [0.4, 0.1, 0.02] },
    { id: 'red_block_2', kind: 'block', color: 'red', className: 'red block', position: [0.45, -0.1, 0.02] },
    {
      id: 'green_block',
      kind: 'block',
      color: 'green',
      className: 'green block',
      position: [0.5, 0.1, 0.02],
    },
    { id: 'blue_bowl', kind: 'bowl', color: 'blue', className: 'blue bowl', position: [0.5, -0.1, 0] },
    { id: 'yellow_zone', kind: 'zone', color: 'yellow', className: 'yellow zone', position: [0.4, -0.2, 0] },
    { id: 'cable', kind: 'cable', color: 'red', className: 'red cable', position: [0.3, -0.3, 0.01] },
    { id: 'clip_A', kind: 'clip', color: 'gray', className: 'clip', label: 'A', position: [0.4, -0.2, 0] },
  ],
};

const VOCAB = [
  'put',
  'the',
  'red',
  'block',
  'in',
  'blue',
  'bowl',
  'and',
  'then',
  ',',
  '.',
  'it',
  'other',
  'stack',
  'all',
  'push',
  'into',
  'zone',
  'route',
  'cable',
  'through',
  'clip',
  'a',
  'left',
  'of',
  'leftmost',
  'pick',
  'up',
  'please',
  'could',
  'you',
  'after',
  'that',
  'cubes',
  'on',
  'top',
  'second',
  'from',
  'right',
  'purple',
  'go',
  'home',
];

function checkResult(s: string): void {
  const r = planFromInstruction(s, world);
  if (r.ok) {
    expect(r.plan.source).toBe('rules');
    expect(r.plan.steps.length).toBeGreaterThan(0);
  } else {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
  }
}

describe('planFromInstruction fuzz', () => {
  it('never throws on random strings, and always returns a plan or a reason', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => checkResult(s)),
      { numRuns: 2000 },
    );
  });

  it('never throws on random sentences from the grammar vocabulary', () => {
    const sentence = fc.array(fc.constantFrom(...VOCAB), { maxLength: 40 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(sentence, (s) => checkResult(s)),
      { numRuns: 3000 },
    );
  });
});

describe('measurePlanningLatency', () => {
  it('times every case in every round with the given clock', () => {
    let t = 0;
    const cases = [
      { instruction: 'put the green block in the blue bowl', world },
      { instruction: 'gibberish words', world },
    ];
    const m = measurePlanningLatency(cases, { rounds: 3, warmupRounds: 0, now: () => (t += 2) });
    expect(m).toEqual({ count: 6, planned: 3, meanMs: 2, p50Ms: 2, p95Ms: 2, maxMs: 2 });
  });
});
