import cliProgress from 'cli-progress';
import type { EpisodeResult, EpisodeSpec } from '../eval/types.ts';

/** Receives episode results as they finish and shows progress on a stream (stderr). */
export interface ProgressReporter {
  start(specs: readonly EpisodeSpec[]): void;
  onResult(result: EpisodeResult): void;
  /** Removes the bar. Safe to call twice. */
  stop(): void;
}

/**
 * A live bar when `stream` is a terminal; otherwise (CI logs, pipes) one line per task as its last
 * episode finishes, so logs stay short and free of control characters.
 */
export function createProgress(stream: NodeJS.WriteStream): ProgressReporter {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements ProgressReporter {
  #bar: cliProgress.SingleBar;
  #successes = 0;
  #errors = 0;
  #running = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          'eval {bar} {value}/{total} episodes | {successes} succeeded | {errors} errors | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(specs: readonly EpisodeSpec[]): void {
    this.#bar.start(specs.length, 0, { successes: 0, errors: 0 });
    this.#running = true;
  }

  onResult(result: EpisodeResult): void {
    if (result.success) this.#successes++;
    if (result.error !== undefined) this.#errors++;
    this.#bar.increment({ successes: this.#successes, errors: this.#errors });
  }

  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#bar.stop();
  }
}

class LineProgress implements ProgressReporter {
  #stream: NodeJS.WriteStream;
  #tasks = new Map<string, { total: number; done: number; successes: number; errors: number }>();

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  start(specs: readonly EpisodeSpec[]): void {
    for (const s of specs) {
      const t = this.#tasks.get(s.task) ?? { total: 0, done: 0, successes: 0, errors: 0 };
      t.total++;
      this.#tasks.set(s.task, t);
    }
  }

  onResult(result: EpisodeResult): void {
    const t = this.#tasks.get(result.task);
    if (!t) return;
    t.done++;
    if (result.success) t.successes++;
    if (result.error !== undefined) t.errors++;
    if (t.done === t.total) {
      const errors = t.errors ? `, ${t.errors} errors` : '';
      this.#stream.write(`eval: ${result.task}: ${t.successes}/${t.total} succeeded${errors}\n`);
    }
  }

  stop(): void {}
}
