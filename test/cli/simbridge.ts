// Runs the real CLI (`node bin/simbridge.mjs`) from the repository root, for the CLI tests.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  /** Exit code, or null when the process was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
}

export function simbridge(...args: string[]): Promise<CliRun> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/simbridge.mjs', ...args],
      { cwd: repoRoot, encoding: 'utf8', timeout: 90_000, env: { ...process.env, SIMBRIDGE_DEBUG: '' } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({
          code: typeof code === 'number' ? code : null,
          stdout,
          stderr,
          wallSeconds: (performance.now() - start) / 1000,
        });
      },
    );
  });
}
