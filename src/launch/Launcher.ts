/**
 * Runs a launch file: one worker thread or child process per unit (see units.ts for the grouping
 * rule), each restarted per its restart policy when it fails, until `stop()`.
 *
 *   const launcher = new Launcher(planUnits(file, path), { log: console.log });
 *   await launcher.start();   // resolves once every unit is up; throws if one cannot start
 *   ...
 *   await launcher.stop();    // stops every unit (nodes newest first) and waits for them
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import type { FromUnit, ToUnit } from './unitMain.ts';
import { restartDelay, type UnitSpec } from './units.ts';

const ENTRY = new URL('./unitEntry.mjs', import.meta.url);

export interface LauncherOptions {
  /** Each line of the launch log. @default stdout */
  log?: (line: string) => void;
  /** How long a unit may take to stop before it is killed, ms. @default 10000 */
  stopTimeoutMs?: number;
}

export interface UnitStats {
  id: string;
  run: 'thread' | 'process';
  /** Times the unit was started again after it failed or ended. */
  restarts: number;
  state: 'starting' | 'running' | 'waiting' | 'given-up' | 'stopped';
}

/** One running copy of a unit: a worker thread or a child process. */
interface Incarnation {
  send(msg: ToUnit): void;
  kill(): void;
  /** Resolves with the exit code when the thread or process has ended. */
  exited: Promise<number>;
}

class UnitHandle {
  readonly spec: UnitSpec;
  restarts = 0;
  state: UnitStats['state'] = 'starting';
  #current: Incarnation | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopping = false;
  readonly #log: (line: string) => void;
  readonly #stopTimeoutMs: number;

  constructor(spec: UnitSpec, log: (line: string) => void, stopTimeoutMs: number) {
    this.spec = spec;
    this.#log = log;
    this.#stopTimeoutMs = stopTimeoutMs;
  }

  get label(): string {
    return this.spec.id === 'local' ? 'the local group' : this.spec.id;
  }

  /** Starts an incarnation; resolves when it is ready, rejects if it could not start. */
  start(): Promise<void> {
    this.state = 'starting';
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let fatal: string | undefined;
      let startError: { message: string; user: boolean } | undefined;
      const incarnation = this.#spawn((msg) => {
        switch (msg.type) {
          case 'log':
            this.#log(msg.line);
            break;
          case 'ready':
            ready = true;
            this.state = 'running';
            resolve();
            break;
          case 'start-error':
            startError = { message: msg.message, user: msg.user };
            break;
          case 'fatal':
            fatal = msg.message;
            break;
          case 'stopped':
            break;
        }
      });
      this.#current = incarnation;
      void incarnation.exited.then((code) => {
        if (this.#current === incarnation) this.#current = undefined;
        if (!ready) {
          const why = startError?.message ?? fatal ?? `exited with status ${code} before it was ready`;
          if (startError?.user) reject(new UserError(why));
          else reject(new Error(`${this.label} could not start: ${why}`));
          return;
        }
        if (this.#stopping) return;
        const failed = code !== 0 || fatal !== undefined;
        this.#log(
          `[launch] ${this.label} ${failed ? `failed (${fatal ?? `exit status ${code}`})` : 'ended by itself'}`,
        );
        this.#afterExit(failed);
      });
    });
  }

  #afterExit(failed: boolean): void {
    const delay = restartDelay(this.spec.restart, this.restarts, failed);
    if (delay === undefined) {
      this.state = 'given-up';
      const r = this.spec.restart;
      this.#log(
        `[launch] ${this.label} not restarted (${r.policy === 'never' ? 'restart policy: never' : `${this.restarts} of ${r.maxRestarts} restarts used`}); the others keep running`,
      );
      return;
    }
    this.restarts++;
    this.state = 'waiting';
    this.#log(
      `[launch] restarting ${this.label} (${this.restarts}/${this.spec.restart.maxRestarts}) in ${delay} s`,
    );
    this.#timer = setTimeout(() => {
      if (this.#stopping) return;
      this.start().catch((err: unknown) => {
        if (this.#stopping) return;
        this.#log(`[launch] ${this.label} failed to restart: ${(err as Error).message}`);
        this.#afterExit(true);
      });
    }, delay * 1000);
  }

  /** Asks the unit to stop, waits for it, kills it after the timeout. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const current = this.#current;
    if (current) {
      current.send({ type: 'stop' });
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        killTimer = setTimeout(() => {
          this.#log(`[launch] ${this.label} did not stop within ${this.#stopTimeoutMs} ms; killing it`);
          current.kill();
          resolve();
        }, this.#stopTimeoutMs);
      });
      await Promise.race([current.exited, killed]);
      clearTimeout(killTimer);
      await current.exited;
    }
    this.state = 'stopped';
  }

  #spawn(onMessage: (msg: FromUnit) => void): Incarnation {
    if (this.spec.run === 'thread') {
      const worker = new Worker(ENTRY, { workerData: { unit: { ...this.spec, restarts: this.restarts } } });
      worker.on('message', onMessage);
      worker.on('error', (err) => this.#log(`[launch] ${this.label}: uncaught error: ${err.stack ?? err}`));
      return {
        send: (msg) => worker.postMessage(msg),
        kill: () => void worker.terminate(),
        exited: new Promise((resolve) => worker.once('exit', resolve)),
      };
    }
    const child: ChildProcess = fork(fileURLToPath(ENTRY), [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (msg) => onMessage(msg as FromUnit));
    child.on('error', (err) => this.#log(`[launch] ${this.label}: ${err.message}`));
    const exited = new Promise<number>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
    );
    child.send({ type: 'start', unit: { ...this.spec, restarts: this.restarts } } satisfies ToUnit);
    return {
      send: (msg) => {
        if (child.connected) child.send(msg);
      },
      kill: () => void child.kill('SIGKILL'),
      exited,
    };
  }
}

export class Launcher {
  readonly #units: UnitHandle[];
  readonly #log: (line: string) => void;
  #stopping: Promise<void> | undefined;

  constructor(units: readonly UnitSpec[], options: LauncherOptions = {}) {
    this.#log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.#units = units.map((u) => new UnitHandle(u, this.#log, options.stopTimeoutMs ?? 10_000));
  }

  /**
   * Starts every unit at once and resolves when all are up. If one cannot start, the others are
   * stopped and the first error is thrown (a UserError for bad input such as a port in use).
   */
  async start(): Promise<void> {
    for (const u of this.#units) {
      this.#log(
        `[launch] starting ${u.label} (${u.spec.nodes.length} node${u.spec.nodes.length === 1 ? '' : 's'}, ${u.spec.transport.kind} transport) in a ${u.spec.run === 'thread' ? 'worker thread' : 'child process'}`,
      );
    }
    const results = await Promise.allSettled(this.#units.map((u) => u.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    this.#log('[launch] all nodes are up; Ctrl-C stops them');
  }

  stats(): UnitStats[] {
    return this.#units.map((u) => ({ id: u.spec.id, run: u.spec.run, restarts: u.restarts, state: u.state }));
  }

  /** Stops every unit and waits for them. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= Promise.all(this.#units.map((u) => u.stop())).then(() => {});
    return this.#stopping;
  }
}
