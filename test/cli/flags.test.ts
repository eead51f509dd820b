import { describe, expect, it } from 'vitest';
import { parseIntFlag, parseWorkersFlag } from '../../src/cli/flags.ts';
import { UserError } from '../../src/errors.ts';

describe('parseIntFlag', () => {
  it('accepts plain decimal integers', () => {
    expect(parseIntFlag('--seed', '0')).toBe(0);
    expect(parseIntFlag('--seed', '42')).toBe(42);
    expect(parseIntFlag('--episodes', '20', 1)).toBe(20);
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '-1',
    '+1',
    '1.5',
    '1e3',
    '0x10',
    'abc',
    '3abc',
    'Infinity',
    'NaN',
    '99999999999999999999',
  ])('rejects %j naming the flag and the value', (text) => {
    expect(() => parseIntFlag('--seed', text)).toThrow(UserError);
    expect(() => parseIntFlag('--seed', text)).toThrow(
      `--seed: expected a non-negative integer, got '${text}'`,
    );
  });

  it('enforces the minimum', () => {
    expect(() => parseIntFlag('--episodes', '0', 1)).toThrow("--episodes: expected an integer >= 1, got '0'");
  });
});

describe('parseWorkersFlag', () => {
  it("accepts 0, N and 'auto'", () => {
    expect(parseWorkersFlag('0')).toBe(0);
    expect(parseWorkersFlag('4')).toBe(4);
    expect(parseWorkersFlag('auto')).toBeGreaterThanOrEqual(1);
  });

  it('rejects fractions naming the flag', () => {
    expect(() => parseWorkersFlag('0.5')).toThrow(
      "--workers: expected a non-negative integer or 'auto', got '0.5'",
    );
  });
});
