/** A peer program as a child process, read line by line. */
import { type ChildProcess, spawn } from 'node:child_process';

export class PeerProcess {
  readonly lines: string[] = [];
  /** performance.now() when each line of `lines` arrived, ms. */
  readonly lineTimes: number[] = [];
  readonly #child: ChildProcess;
  #stderr = '';
  #exit: number | null | undefined;
  #waiters: (() => void)[] = [];

  constructor(binary: string, args: string[]) {
    this.#child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.#child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      const now = performance.now();
      for (let i = 0; i < parts.length; i++) this.lineTimes.push(now);
      this.#wake();
    });
    this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#child.on('exit', (code) => {
      this.#exit = code;
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once a line satisfies `pred` (returns it); rejects on timeout or exit. */
  async waitLine(pred: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(pred);
      if (found !== undefined) return found;
      if (this.#exit !== undefined) {
        throw new Error(
          `peer exited (${this.#exit}) before ${what}; stdout: ${this.lines.join(' | ')}; stderr: ${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; stdout: ${this.lines.join(' | ')}; stderr: ${this.#stderr}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the process to exit; resolves with its code. */
  async exited(timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#exit === undefined) {
      if (Date.now() > deadline)
        throw new Error(`peer did not exit within ${timeoutMs} ms; stderr: ${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#exit;
  }

  /** Writes one line to the peer's stdin. */
  send(line: string): void {
    this.#child.stdin?.write(`${line}\n`);
  }

  /** Closes stdin (publishers exit when it closes) and kills the process if still running. */
  stop(): void {
    this.#child.stdin?.end();
    setTimeout(() => this.#child.kill('SIGKILL'), 2000).unref();
  }
}
