/**
 * Body of a launch unit (started through ./unitEntry.mjs by ./Launcher.ts), in a worker thread or a
 * child process. It runs the unit's nodes (runUnit.ts) and speaks a small protocol with the
 * launcher: in a worker thread over `parentPort` (the spec arrives as workerData), in a child
 * process over the IPC channel (the spec arrives in a `start` message).
 *
 * A child process ignores SIGINT: a Ctrl-C reaches every process of the terminal's group, and the
 * launcher, not each child, decides the order of shutdown. If the launcher goes away, the child
 * stops by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { type RunningUnit, startUnit } from './runUnit.ts';
import type { UnitSpec } from './units.ts';

export type ToUnit = { type: 'start'; unit: UnitSpec } | { type: 'stop' };
export type FromUnit =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  /** The unit could not start; `user`: because of bad input (a port in use, a bad name). */
  | { type: 'start-error'; message: string; user: boolean }
  /** A node failed; the unit exits non-zero right after. */
  | { type: 'fatal'; message: string }
  | { type: 'stopped' };

const port = parentPort;
const send = (msg: FromUnit, then?: () => void) => {
  if (port) {
    port.postMessage(msg);
    then?.();
  } else process.send!(msg, undefined, undefined, () => then?.());
};
/** In a worker, process.exit ends the thread only. */
const exit = (code: number) => process.exit(code);

let running: RunningUnit | undefined;
let stopping = false;

async function start(unit: UnitSpec): Promise<void> {
  try {
    running = await startUnit(unit, {
      log: (line) => send({ type: 'log', line }),
      fatal: (message) => {
        if (stopping) return;
        stopping = true;
        void running?.stop().finally(() => send({ type: 'fatal', message }, () => exit(1)));
        if (!running) send({ type: 'fatal', message }, () => exit(1));
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    send({ type: 'start-error', message, user: err instanceof UserError }, () => exit(1));
    return;
  }
  if (stopping) return;
  send({ type: 'ready' });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await running?.stop();
  send({ type: 'stopped' }, () => exit(0));
}

function onMessage(msg: ToUnit): void {
  if (msg.type === 'start') void start(msg.unit);
  else if (msg.type === 'stop') void stop();
}

if (port) {
  port.on('message', onMessage);
  void start((workerData as { unit: UnitSpec }).unit);
} else {
  if (!process.send) throw new Error('src/launch/unitMain.ts runs in a worker thread or a forked process');
  process.on('message', (msg) => onMessage(msg as ToUnit));
  process.on('SIGINT', () => {});
  process.on('disconnect', () => void stop());
}
