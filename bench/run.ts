/**
 * Runs every bench/*.bench.ts in name order and prints one JSON line per benchmark
 * on stdout, and nothing else there: progress and library warnings go to stderr.
 *
 * Each benchmark measures its own baseline in the same run, because the machines
 * are shared and noisy: compare the ratios, not the absolute figures, across runs.
 *
 *   npm run bench                              # full run, about 2 minutes
 *   SIMBRIDGE_BENCH_QUICK=1 npm run bench      # every benchmark cut to ~0.3 s (tests)
 *   npm run bench -- sim                       # only benchmarks whose file name contains "sim"
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchOptions {
  /** Cut every timed phase to a few tenths of a second (smoke runs, tests). */
  quick: boolean;
}

interface BenchModule {
  run(options: BenchOptions): Promise<Record<string, unknown>>;
}

const writeStdout = process.stdout.write.bind(process.stdout);
// Keep stdout for the JSON lines only: anything a library logs goes to stderr.
console.log = console.error;
console.info = console.error;

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`bench: no bench/*.bench.ts matches ${JSON.stringify(filters)}`);
  process.exit(1);
}
const options: BenchOptions = { quick: process.env.SIMBRIDGE_BENCH_QUICK === '1' };

let failed = false;
for (const file of files) {
  const started = performance.now();
  console.error(`bench: ${file}${options.quick ? ' (quick)' : ''}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') throw new Error(`bench/${file} exports no run() function`);
    const result = await mod.run(options);
    writeStdout(`${JSON.stringify(result)}\n`);
  } catch (err) {
    failed = true;
    console.error(`bench: ${file} failed:`, err);
  }
  console.error(`bench: ${file} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
process.exitCode = failed ? 1 : 0;
