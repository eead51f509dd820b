/**
 * Reconnect delays: exponential, bounded, jittered. Jitter spreads the reconnects of many
 * clients that lost the same server at once, so they do not all knock at the same moment.
 */
import { Rng } from '../../../../sim/core/Rng.ts';
import { UserError } from '../../../errors.ts';

export interface BackoffOptions {
  /** Delay before the first reconnect attempt, ms. @default 250 */
  initialDelayMs: number;
  /** The longest delay, ms: attempts never wait longer. @default 5000 */
  maxDelayMs: number;
  /** Each failed attempt multiplies the delay by this. @default 2 */
  multiplier: number;
  /**
   * Fraction of the delay drawn at random: the delay is `base * (1 - jitter * u)`, u uniform
   * in [0, 1). 0 gives fixed delays; 1 gives "full jitter". @default 0.5
   */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 5000,
  multiplier: 2,
  jitter: 0.5,
});

export class Backoff {
  readonly options: Readonly<BackoffOptions>;
  readonly #random: () => number;
  #attempt = 0;

  /**
   * @param random uniform in [0, 1); inject one for tests, or pass `seed` for a seeded one.
   * @param seed seeds the default generator. @default a different seed per process
   */
  constructor(options: Partial<BackoffOptions> = {}, random?: () => number, seed?: number) {
    const o = { ...DEFAULT_BACKOFF, ...options };
    const check = (name: keyof BackoffOptions, ok: boolean) => {
      if (!ok) throw new UserError(`backoff.${name} is out of range (got ${String(o[name])})`);
    };
    check('initialDelayMs', Number.isFinite(o.initialDelayMs) && o.initialDelayMs > 0);
    check('maxDelayMs', Number.isFinite(o.maxDelayMs) && o.maxDelayMs >= o.initialDelayMs);
    check('multiplier', Number.isFinite(o.multiplier) && o.multiplier >= 1);
    check('jitter', o.jitter >= 0 && o.jitter <= 1);
    this.options = Object.freeze(o);
    if (random) {
      this.#random = random;
    } else {
      const rng = new Rng(seed ?? (process.pid * 2654435761 + Date.now()) >>> 0);
      this.#random = () => rng.next();
    }
  }

  /** Failed attempts since the last success. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, ms; counts the attempt. */
  next(): number {
    const o = this.options;
    const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** this.#attempt);
    this.#attempt++;
    return base * (1 - o.jitter * this.#random());
  }

  /** After a successful connection: the next delay starts from `initialDelayMs` again. */
  reset(): void {
    this.#attempt = 0;
  }
}
