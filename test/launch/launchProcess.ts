// Runs `simbridge launch` as a user does: a child process, its log read line by line from stdout,
// Ctrl-C (SIGINT) to stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { repoRoot } from '../cli/simbridge.ts';

export interface LaunchProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line (past or future) matching `pattern`; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Waits for the rosbridge server's address and then for every node to be up; resolves with the address. */
  rosbridgeUp(): Promise<string>;
  /** Sends SIGINT and resolves with the exit code (null if killed after `timeoutMs`). */
  interrupt(timeoutMs?: number): Promise<number | null>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export function launch(...args: string[]): LaunchProcess {
  const child = spawn(process.execPath, ['bin/simbridge.mjs', 'launch', ...args], {
    cwd: repoRoot,
    env: { ...process.env, SIMBRIDGE_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const w of [...waiters]) w();
  });
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    async rosbridgeUp() {
      const [, url] = await this.waitFor(/\[\/rosbridge_server\] listening on (ws:\/\/\S+)/, 40_000);
      await this.waitFor(/\[launch\] all nodes are up/, 20_000);
      return url!;
    },
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines) {
            const m = pattern.exec(line);
            if (m) return done(() => resolve(m));
          }
          if (ended)
            done(() =>
              reject(
                new Error(`launch exited before a line matched ${pattern}:\n${lines.join('\n')}\n${err}`),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(`no line matched ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}\n${err}`),
              ),
            ),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    async interrupt(timeoutMs = 20_000) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
