import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../src/policy/planner/Plan.ts';
import type { WorldSummary } from '../../src/policy/planner/WorldSummary.ts';

const world: WorldSummary = {
  objects: [
    { id: 'red_block', kind: 'block', color: 'red', className: 'red block', position: [0.4, 0.1, 0.02] },
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
const plan = (steps: unknown[]) => ({ steps, source: 'rules', instruction: 'test' });
const errorsOf = (steps: unknown[]) => {
  const r = validatePlan(plan(steps), world);
  return r.ok ? [] : r.errors;
};

describe('validatePlan', () => {
  it('accepts pick/place into a bowl, onto a block and into a zone, push, route and go_home', () => {
    const r = validatePlan(
      plan([
        { skill: 'pick', object: 'red_block' },
        { skill: 'place', object: 'red_block', target: 'blue_bowl' },
        { skill: 'pick', object: 'green_block' },
        { skill: 'place', object: 'green_block', target: 'yellow_zone' },
        { skill: 'push', object: 'red_block', zone: 'yellow_zone' },
        { skill: 'route_through', cable: 'cable', clip: 'clip_A' },
        { skill: 'go_home' },
      ]),
      world,
    );
    expect(r.ok).toBe(true);
  });

  it('names a missing object by colour and kind', () => {
    expect(errorsOf([{ skill: 'pick', object: 'purple_block' }])[0]).toMatch(
      /^step 1 \(pick\): no purple block in the scene/,
    );
  });

  it('rejects wrong kinds with the reason', () => {
    expect(errorsOf([{ skill: 'place', object: 'blue_bowl', target: 'cable' }])[0]).toMatch(
      /cannot place a bowl on the cable/,
    );
    expect(errorsOf([{ skill: 'pick', object: 'blue_bowl' }])[0]).toMatch(/only blocks can be picked up/);
    expect(errorsOf([{ skill: 'push', object: 'red_block', zone: 'blue_bowl' }])[0]).toMatch(
      /push into a zone/,
    );
    expect(errorsOf([{ skill: 'route_through', cable: 'cable', clip: 'red_block' }])[0]).toMatch(
      /route through a clip/,
    );
  });

  it('rejects placing what is not held and picking while holding', () => {
    expect(errorsOf([{ skill: 'place', object: 'red_block', target: 'blue_bowl' }])[0]).toMatch(
      /not held: pick it up first/,
    );
    expect(
      errorsOf([
        { skill: 'pick', object: 'red_block' },
        { skill: 'pick', object: 'green_block' },
      ])[0],
    ).toMatch(/while holding the red block/);
  });

  it('rejects schema violations, naming the field', () => {
    expect(errorsOf([{ skill: 'fly', object: 'red_block' }])[0]).toMatch(/^plan: steps\.0\.skill/);
    expect(errorsOf([{ skill: 'pick', object: 'red_block', speed: 3 }])[0]).toMatch(/speed/);
    expect(validatePlan({ steps: [] }, world).ok).toBe(false);
  });
});
