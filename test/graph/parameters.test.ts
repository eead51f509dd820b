import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { makeGraph } from './helpers.ts';

describe('parameters', () => {
  it('declares typed parameters, applies overrides and reads them back', () => {
    const { context } = makeGraph();
    const node = context.createNode('controller', { parameterOverrides: { rate_hz: 250 } });
    const rate: number = node.declareParameter('rate_hz', 125, {
      type: 'integer',
      integerRange: { fromValue: 1, toValue: 1000 },
    });
    expect(rate).toBe(250);
    expect(node.declareParameter('joints', ['j1', 'j2'])).toEqual(['j1', 'j2']);
    expect(node.getParameter('rate_hz')).toBe(250);
    expect(node.describeParameter('joints')?.type).toBe('string_array');
    expect(node.getParameterNames()).toEqual(['joints', 'rate_hz']);
    context.destroy();
  });

  it('rejects bad values with a reason naming the parameter, the type or range, and the value', () => {
    const { context } = makeGraph();
    const node = context.createNode('controller');
    node.declareParameter('gain', 0.5, { floatingPointRange: { fromValue: 0, toValue: 1, step: 0.25 } });
    node.declareParameter('rate_hz', 125, { type: 'integer' });
    node.declareParameter('robot', 'ur5e', { readOnly: true });
    node.declareParameter('mode', 'position', {
      validate: (v) =>
        ['position', 'velocity'].includes(v as string) ? undefined : `unknown mode ${String(v)}`,
    });
    expect(
      node.setParameters([
        { name: 'gain', value: 0.75 },
        { name: 'gain', value: 1.5 },
        { name: 'gain', value: 0.3 },
        { name: 'gain', value: 'high' },
        { name: 'rate_hz', value: 12.5 },
        { name: 'robot', value: 'franka' },
        { name: 'mode', value: 'torque' },
        { name: 'nope', value: 1 },
      ]),
    ).toEqual([
      { successful: true, reason: '' },
      { successful: false, reason: "parameter 'gain': 1.5 is outside [0, 1]" },
      { successful: false, reason: "parameter 'gain': 0.3 is not 0 + k * 0.25" },
      { successful: false, reason: `parameter 'gain': expected a finite double, got string "high"` },
      { successful: false, reason: "parameter 'rate_hz': expected integer, got number 12.5" },
      { successful: false, reason: "parameter 'robot' is read-only" },
      { successful: false, reason: "parameter 'mode': unknown mode torque" },
      { successful: false, reason: "parameter 'nope' is not declared" },
    ]);
    expect(node.getParameter('gain')).toBe(0.75);
    context.destroy();
  });

  it('throws a UserError for a bad default, a bad override, a duplicate, or an undeclared read', () => {
    const { context } = makeGraph();
    const node = context.createNode('c', { parameterOverrides: { speed: -1 } });
    expect(() => node.declareParameter('k', 2.5, { type: 'integer' })).toThrow(
      /\/c parameter 'k': default value rejected: expected integer, got number 2.5/,
    );
    expect(() =>
      node.declareParameter('speed', 0.1, { floatingPointRange: { fromValue: 0, toValue: 1 } }),
    ).toThrow(/parameter 'speed' \(override\): override rejected: -1 is outside \[0, 1\]/);
    node.declareParameter('x', true);
    expect(() => node.declareParameter('x', false)).toThrow(UserError);
    expect(() => node.getParameter('y')).toThrow(/parameter 'y': parameter is not declared/);
    context.destroy();
  });

  it('lets an on-set callback veto a change', () => {
    const { context } = makeGraph();
    const node = context.createNode('c');
    node.declareParameter('limit', 1.0);
    const remove = node.addOnSetParametersCallback(() => ({ successful: false, reason: 'arm is moving' }));
    expect(node.setParameters([{ name: 'limit', value: 2 }])[0]).toEqual({
      successful: false,
      reason: "parameter 'limit': arm is moving",
    });
    remove();
    expect(node.setParameters([{ name: 'limit', value: 2 }])[0]!.successful).toBe(true);
    context.destroy();
  });
});
