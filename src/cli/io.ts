import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * Checks that `path` can be written (its directory exists) before a long run, so a typo in `--json` fails
 * in the first second rather than after the evaluation.
 */
export function checkOutputPath(flag: string, path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`directory ${dir} does not exist (for '${path}')`, { source: flag });
  }
}

/** Writes `value` as indented JSON with a final newline. */
export async function writeJsonFile(flag: string, path: string, value: unknown): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(value, null, 2) + '\n');
  } catch (err) {
    throw new UserError(`cannot write '${path}': ${(err as Error).message}`, { source: flag, cause: err });
  }
}
