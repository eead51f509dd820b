import { describe, expect, it } from 'vitest';
import { describeStatus, describeStep } from './describe.ts';

describe('the panel text', () => {
  it('describes each skill of a plan in words', () => {
    expect(describeStep({ skill: 'pick', object: 'red_block' })).toBe('pick red block');
    expect(describeStep({ skill: 'place', object: 'red_block', target: 'blue_bowl' })).toBe(
      'place red block on blue bowl',
    );
    expect(describeStep({ skill: 'push', object: 'red_block', zone: 'green_zone' })).toBe(
      'push red block into green zone',
    );
    expect(describeStep({ skill: 'route_through', cable: 'cable', clip: 'clip_A' })).toBe(
      'route cable through clip A',
    );
    expect(describeStep({ skill: 'go_home' })).toBe('go home');
  });

  it('shows the running step, attempts and the reason of a failure', () => {
    expect(
      describeStatus(
        { state: 'running', step: 1, skill: 'place', attempts: 2, retries: 1, recoveries: 1 },
        2,
      ),
    ).toEqual({
      state: 'running',
      step: '2/2 place',
      attempts: '2',
      retries: '1 (recoveries 1)',
      reason: '',
    });
    expect(describeStatus({ state: 'succeeded', step: 2, attempts: 1, retries: 0 }, 2).step).toBe('2/2 done');
    const failed = describeStatus(
      {
        state: 'failed',
        step: 0,
        attempts: 0,
        retries: 0,
        reason: 'no red block',
        planner: { reason: 'no red block', suggestions: ['put the blue block in the bowl'] },
      },
      undefined,
    );
    expect(failed.reason).toBe('no red block (try: put the blue block in the bowl)');
    expect(describeStatus({ state: 'idle' }, undefined)).toMatchObject({ step: '–', attempts: '–' });
  });
});
