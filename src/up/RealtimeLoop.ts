import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface RealtimeLoopOptions {
  /** Advances the sim by one step of `stepSeconds`. An exception stops the loop (see `onError`). */
  tick: () => void;
  /** Sim time one tick advances, s. */
  stepSeconds: number;
  /**
   * The most sim time one wake-up runs to catch up after a stall (a GC pause, a slow tick, a
   * suspended laptop). A larger backlog is dropped: the sim then runs slower than real time
   * instead of racing to catch up, which would freeze the event loop (and every client) for as
   * long as the stall lasted. Raise it if the machine is fast and stalls are short. @default 0.1 s
   */
  maxCatchUpSeconds?: number;
  /**
   * Longest sleep between wake-ups, ms. The loop sleeps until the next tick is due, but no
   * longer than this, so that pause and stop take effect promptly. @default 20 ms
   */
  maxSleepMs?: number;
  /** Called once if a tick throws; the loop has stopped by then. @default logs to stderr */
  onError?: (error: unknown) => void;
  /** The wall clock, ms. @default performance.now */
  now?: () => number;
}

/** What the loop has done so far. Wall time counts only while running, not while paused. */
export interface RealtimeLoopStats {
  ticks: number;
  /** Sim time run, s (ticks × stepSeconds). */
  simSeconds: number;
  /** Wall time spent running (not paused), s. */
  wallSeconds: number;
  /** simSeconds / wallSeconds: 1 when the sim keeps up with the wall clock. */
  realTimeFactor: number;
  /** Sim time not run because a backlog exceeded maxCatchUpSeconds, s. */
  droppedSeconds: number;
  paused: boolean;
}

/**
 * Ticks a sim at the wall clock's pace: each wake-up runs the ticks that fell due since the
 * last one (at most `maxCatchUpSeconds` of them), yielding to the event loop between ticks so
 * that messages, service calls and action results settle in order, as they do in
 * runGraphEpisode. `pump()` is one wake-up; `start()` runs wake-ups until `stop()`.
 */
export class RealtimeLoop {
  readonly #tick: () => void;
  readonly #stepMs: number;
  readonly #maxTicks: number;
  readonly #maxSleepMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  /** Wall time (ms) at which tick number #anchorTicks was due. */
  #anchorMs: number;
  #anchorTicks = 0;
  #ticks = 0;
  #droppedTicks = 0;
  #runningMs = 0;
  #runningSince: number | undefined;
  #paused = false;
  #stopped = false;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: RealtimeLoopOptions) {
    if (!(options.stepSeconds > 0 && Number.isFinite(options.stepSeconds))) {
      throw new RangeError(`RealtimeLoop: stepSeconds must be a positive number, got ${options.stepSeconds}`);
    }
    this.#tick = options.tick;
    this.#stepMs = options.stepSeconds * 1000;
    this.#maxTicks = Math.max(1, Math.round((options.maxCatchUpSeconds ?? 0.1) / options.stepSeconds));
    this.#maxSleepMs = options.maxSleepMs ?? 20;
    this.#onError =
      options.onError ??
      ((err) => process.stderr.write(`simbridge: the sim loop stopped: ${(err as Error)?.stack ?? err}\n`));
    this.#now = options.now ?? (() => performance.now());
    this.#anchorMs = this.#now();
  }

  get paused(): boolean {
    return this.#paused;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  stats(): RealtimeLoopStats {
    const runningMs =
      this.#runningMs + (this.#runningSince === undefined ? 0 : this.#now() - this.#runningSince);
    const simSeconds = (this.#ticks * this.#stepMs) / 1000;
    const wallSeconds = runningMs / 1000;
    return {
      ticks: this.#ticks,
      simSeconds,
      wallSeconds,
      realTimeFactor: wallSeconds > 0 ? simSeconds / wallSeconds : 0,
      droppedSeconds: (this.#droppedTicks * this.#stepMs) / 1000,
      paused: this.#paused,
    };
  }

  /** Starts running wake-ups until `stop()`. Calling it again while running does nothing. */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#reanchor();
    this.#running = this.#run();
  }

  /** Stops ticking; the wall clock no longer counts. Safe to call twice. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (this.#runningSince !== undefined) this.#runningMs += this.#now() - this.#runningSince;
    this.#runningSince = undefined;
  }

  /** Resumes from now: the time spent paused is not caught up. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#reanchor();
    this.#wake?.();
  }

  /** Stops the loop and waits for the tick in progress to finish. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.pause();
      this.#stopped = true;
      this.#wake?.();
    }
    await this.#running;
  }

  /**
   * One wake-up: runs the ticks due by now, at most maxCatchUpSeconds of them (the rest are
   * dropped), and returns how many it ran.
   */
  async pump(): Promise<number> {
    if (this.#paused || this.#stopped) return 0;
    let due = this.#dueTicks();
    if (due > this.#maxTicks) {
      const dropped = due - this.#maxTicks;
      this.#droppedTicks += dropped;
      this.#anchorTicks += dropped; // as if those ticks had run
      due = this.#maxTicks;
    }
    let ran = 0;
    for (; ran < due && !this.#paused && !this.#stopped; ran++) {
      this.#tick();
      this.#ticks++;
      this.#anchorTicks++;
      await yieldToEventLoop();
    }
    return ran;
  }

  #dueTicks(): number {
    return Math.floor((this.#now() - this.#anchorMs) / this.#stepMs) - this.#anchorTicks;
  }

  #reanchor(): void {
    this.#anchorMs = this.#now();
    this.#anchorTicks = 0;
    this.#runningSince = this.#anchorMs;
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopped) {
        await this.pump();
        if (this.#stopped) break;
        const untilNextMs = this.#paused
          ? this.#maxSleepMs
          : this.#anchorMs + (this.#anchorTicks + 1) * this.#stepMs - this.#now();
        await this.#sleep(Math.min(this.#maxSleepMs, Math.max(1, untilNextMs)));
      }
    } catch (err) {
      this.pause();
      this.#stopped = true;
      this.#onError(err);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
