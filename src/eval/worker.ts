// Body of an episode worker thread (started through ./workerEntry.mjs by ./pool.ts).
// It imports the runner module named in workerData, says 'ready', then runs one spec per 'run' message.
import { parentPort, workerData } from 'node:worker_threads';
import type { EpisodeRunner } from './runner.ts';
import { errorMessage, failedResult, runGuarded } from './runner.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';

/** Data the pool passes to each worker. */
export interface WorkerData {
  /** URL of a module that exports `runEpisode` with EpisodeRunner's signature. */
  runnerModule: string;
}

export type ToWorker = { type: 'run'; spec: EpisodeSpec };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'result'; result: EpisodeResult };

const port = parentPort;
if (!port) throw new Error('src/eval/worker.ts must run in a worker thread');
const { runnerModule } = workerData as WorkerData;

let runner: EpisodeRunner | undefined;
try {
  const mod = (await import(runnerModule)) as { runEpisode?: unknown };
  if (typeof mod.runEpisode !== 'function') throw new Error(`${runnerModule} does not export runEpisode()`);
  runner = mod.runEpisode as EpisodeRunner;
} catch (err) {
  port.postMessage({ type: 'init-error', message: errorMessage(err) } satisfies FromWorker);
}

if (runner) {
  const run = runner;
  port.on('message', async (msg: ToWorker) => {
    const result = await runGuarded(run, msg.spec);
    try {
      port.postMessage({ type: 'result', result } satisfies FromWorker);
    } catch (err) {
      // The result held something structured clone cannot copy (a function, a class with private state).
      const message = `episode result could not be sent from the worker: ${errorMessage(err)}`;
      port.postMessage({
        type: 'result',
        result: failedResult(msg.spec, message, result.wallTimeSeconds),
      } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
