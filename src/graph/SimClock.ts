/**
 * Simulation time. The sim node advances it (directly on the local transport, or from
 * /clock messages through the context), and sim timers fire in due-time order as it
 * does, so a run is deterministic whatever the wall clock does.
 */
import { UserError } from '../errors.ts';
import { nsToTime, secondsToNs, timeToNs } from './Time.ts';
import type { Time } from './types.ts';

/** @internal A scheduled sim timer. */
export interface SimTimerEntry {
  dueNs: bigint;
  readonly periodNs: bigint;
  /** Creation order: equal due times fire in the order the timers were created. */
  readonly order: number;
  fire(): void;
  cancelled: boolean;
}

export class SimClock {
  #nowNs = 0n;
  /** Sorted by (dueNs, order). */
  #timers: SimTimerEntry[] = [];
  #order = 0;
  #advancing = false;

  constructor(start: Time = { sec: 0, nanosec: 0 }) {
    this.#nowNs = timeToNs(start);
  }

  now(): Time {
    return nsToTime(this.#nowNs);
  }

  nowNanoseconds(): bigint {
    return this.#nowNs;
  }

  /**
   * Moves time forward to `time`, firing every sim timer due on the way in due-time
   * order; during each callback `now()` reads that timer's due time. A timer that fell
   * several periods behind fires once per period.
   */
  advanceTo(time: Time | bigint): void {
    const target = typeof time === 'bigint' ? time : timeToNs(time);
    if (target < this.#nowNs) {
      throw new UserError(
        `sim time cannot go backwards (from ${this.#nowNs} ns to ${target} ns); use reset() for a new episode`,
        { source: 'SimClock.advanceTo' },
      );
    }
    if (this.#advancing) throw new Error('SimClock.advanceTo called from a sim timer callback');
    this.#advancing = true;
    try {
      while (this.#timers.length > 0 && this.#timers[0]!.dueNs <= target) {
        const t = this.#timers.shift()!;
        this.#nowNs = t.dueNs;
        t.fire();
        // A callback may have cancelled its timer, or reset it (which re-inserts it).
        if (!t.cancelled && !this.#timers.includes(t)) {
          t.dueNs += t.periodNs;
          this.#insert(t);
        }
      }
      this.#nowNs = target;
    } finally {
      this.#advancing = false;
    }
  }

  /** Advances by `seconds` of sim time. */
  advanceBy(seconds: number): void {
    if (!(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new UserError(`advanceBy needs a finite number of seconds >= 0 (got ${seconds})`, {
        source: 'SimClock.advanceBy',
      });
    }
    this.advanceTo(this.#nowNs + secondsToNs(seconds));
  }

  /** Jumps to `time` (forwards or back) without firing timers; each timer restarts its period from there. */
  reset(time: Time | bigint = 0n): void {
    this.#nowNs = typeof time === 'bigint' ? time : timeToNs(time);
    const timers = this.#timers;
    this.#timers = [];
    for (const t of timers) {
      t.dueNs = this.#nowNs + t.periodNs;
      this.#insert(t);
    }
  }

  /** @internal */
  _schedule(periodNs: bigint, fire: () => void): SimTimerEntry {
    const entry: SimTimerEntry = {
      dueNs: this.#nowNs + periodNs,
      periodNs,
      order: this.#order++,
      fire,
      cancelled: false,
    };
    this.#insert(entry);
    return entry;
  }

  /** @internal */
  _cancel(entry: SimTimerEntry): void {
    entry.cancelled = true;
    const i = this.#timers.indexOf(entry);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** @internal Restarts the period from now. */
  _reset(entry: SimTimerEntry): void {
    this._cancel(entry);
    entry.cancelled = false;
    entry.dueNs = this.#nowNs + entry.periodNs;
    this.#insert(entry);
  }

  #insert(entry: SimTimerEntry): void {
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.#timers[mid]!;
      if (m.dueNs < entry.dueNs || (m.dueNs === entry.dueNs && m.order < entry.order)) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, entry);
  }
}
