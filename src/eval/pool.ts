import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EpisodeRunner } from './runner.ts';
import { errorMessage, failedResult, runGuarded } from './runner.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';
import type { FromWorker, ToWorker, WorkerData } from './worker.ts';

/** URL of the real runner module, the default for `PoolOptions.runnerModule`. */
export const defaultRunnerModule: URL = new URL('./runEpisode.ts', import.meta.url);

export interface PoolOptions {
  /**
   * Worker threads to run episodes on. 0 or 1 runs them in this thread. More workers than episodes are
   * not started. Episodes are CPU-bound, so more workers than cores only adds overhead.
   * @default 1
   */
  workers?: number;
  /**
   * URL of a module exporting `runEpisode` with EpisodeRunner's signature. Each worker thread imports it.
   * Tests point it at a stand-in module.
   * @default defaultRunnerModule
   */
  runnerModule?: URL | string;
  /** Runner for the in-thread path (workers <= 1). When absent, `runnerModule` is imported. */
  runner?: EpisodeRunner;
  /** Called once per finished episode, in completion order (which depends on scheduling). */
  onResult?: (result: EpisodeResult) => void;
}

/** `os.availableParallelism()`, the worker count for `--workers auto`. */
export function autoWorkerCount(): number {
  return availableParallelism();
}

/**
 * Runs every spec and returns the results sorted by `index`, so the output does not depend on the number of
 * workers. An episode that throws (or whose worker dies) is reported with `error` and `success: false`; the
 * others go on. A runner module that cannot be loaded rejects the whole run. All worker threads are
 * terminated before the promise settles.
 */
export async function runEpisodes(
  specs: readonly EpisodeSpec[],
  options: PoolOptions = {},
): Promise<EpisodeResult[]> {
  const workers = Math.min(options.workers ?? 1, specs.length);
  const results =
    workers <= 1 ? await runInThread(specs, options) : await runInWorkers(specs, workers, options);
  return results.sort((a, b) => a.index - b.index);
}

async function runInThread(specs: readonly EpisodeSpec[], options: PoolOptions): Promise<EpisodeResult[]> {
  const runner = options.runner ?? (await importRunner(options.runnerModule ?? defaultRunnerModule));
  const results: EpisodeResult[] = [];
  for (const spec of specs) {
    const result = await runGuarded(runner, spec);
    results.push(result);
    options.onResult?.(result);
    // Yield so timers (the progress bar's redraw) and signals get a turn between episodes.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return results;
}

async function importRunner(moduleUrl: URL | string): Promise<EpisodeRunner> {
  const mod = (await import(String(moduleUrl))) as { runEpisode?: unknown };
  if (typeof mod.runEpisode !== 'function') throw new Error(`${moduleUrl} does not export runEpisode()`);
  return mod.runEpisode as EpisodeRunner;
}

function runInWorkers(
  specs: readonly EpisodeSpec[],
  workerCount: number,
  options: PoolOptions,
): Promise<EpisodeResult[]> {
  const data: WorkerData = { runnerModule: String(options.runnerModule ?? defaultRunnerModule) };
  const queue = [...specs];
  const results: EpisodeResult[] = [];
  const live = new Set<Worker>();

  return new Promise<EpisodeResult[]>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      const all = [...live];
      live.clear();
      void Promise.all(all.map((w) => w.terminate())).then(
        () => (err ? reject(err) : resolve(results)),
        () => (err ? reject(err) : resolve(results)),
      );
    };

    const record = (result: EpisodeResult): void => {
      results.push(result);
      try {
        options.onResult?.(result);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (results.length === specs.length) finish();
    };

    const start = (): void => {
      const worker = new Worker(new URL('./workerEntry.mjs', import.meta.url), { workerData: data });
      live.add(worker);
      let ready = false;
      let current: EpisodeSpec | undefined;
      let lastError: unknown;

      const next = (): void => {
        current = queue.shift();
        if (current) worker.postMessage({ type: 'run', spec: current } satisfies ToWorker);
      };

      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          ready = true;
          next();
        } else if (msg.type === 'init-error') {
          finish(new Error(`episode worker could not load ${data.runnerModule}: ${msg.message}`));
        } else {
          current = undefined;
          record(msg.result);
          next();
        }
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      worker.on('exit', (code) => {
        if (!live.delete(worker) || settled) return; // terminated by finish()
        if (!ready) {
          const why = lastError ? errorMessage(lastError) : `exit code ${code}`;
          finish(new Error(`episode worker failed to start: ${why}`));
          return;
        }
        // The worker died mid-episode (process.exit, uncaught async error, out of memory): record that
        // episode as failed and replace the worker so the rest go on.
        if (current) {
          const why = lastError ? errorMessage(lastError) : `exit code ${code}`;
          const spec = current;
          current = undefined;
          record(failedResult(spec, `episode worker died: ${why}`));
        }
        if (!settled && queue.length > 0) start();
      });
    };

    for (let i = 0; i < workerCount; i++) start();
  });
}
