// Strict parsers for numeric CLI flags. `Number('')`, `parseInt('3abc')` and friends accept too much; a typo
// in a seed must not silently run a different evaluation. Errors name the flag and the value given.
import { UserError } from '../errors.ts';
import { autoWorkerCount } from '../eval/pool.ts';

/**
 * Parses a non-negative decimal integer: digits only, no sign, no decimals, no exponent, within
 * Number.MAX_SAFE_INTEGER.
 * @param min the smallest value allowed (0 or 1)
 */
export function parseIntFlag(flag: string, text: string, min = 0): number {
  const what = min <= 0 ? 'a non-negative integer' : `an integer >= ${min}`;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UserError(`expected ${what}, got '${text}'`, { source: flag });
  }
  return value;
}

/** `--workers N|auto`: 0 and 1 run in this thread; `auto` uses one worker per available core. */
export function parseWorkersFlag(text: string): number {
  if (text === 'auto') return autoWorkerCount();
  try {
    return parseIntFlag('--workers', text, 0);
  } catch {
    throw new UserError(`expected a non-negative integer or 'auto', got '${text}'`, { source: '--workers' });
  }
}
