/**
 * Where recordings go, checked before an episode starts so that a typo in `--record` fails in
 * the first second with one line, not after the run.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** File name of an episode's recording in an `eval --record DIR` directory: `pick_place_seen_seed3.mcap`. */
export function episodeRecordingName(spec: { task: string; split: string; seed: number }): string {
  return `${spec.task}_${spec.split}_seed${spec.seed}.mcap`;
}

/**
 * Checks that `path` names an `.mcap` file that can be created: its directory exists and is
 * writable, and `path` is not itself a directory.
 * @throws UserError naming the flag and the path
 */
export function checkRecordFile(path: string, flag = '--record'): void {
  if (!path.endsWith('.mcap')) {
    throw new UserError(`'${path}' must end in .mcap (Foxglove and ros2 bag go by the extension)`, {
      source: flag,
    });
  }
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory()) {
    throw new UserError(`'${path}' is a directory; give a file name ending in .mcap`, { source: flag });
  }
  checkWritableDir(dirname(full), path, flag);
}

/**
 * Makes sure `dir` is a writable directory, creating it (but not its parents) if missing.
 * Returns its absolute path.
 * @throws UserError naming the flag and the path
 */
export function prepareRecordDir(dir: string, flag = '--record'): string {
  const full = resolve(dir);
  if (existsSync(full)) {
    if (!statSync(full).isDirectory()) {
      throw new UserError(`'${dir}' exists and is not a directory`, { source: flag });
    }
  } else {
    checkWritableDir(dirname(full), dir, flag);
    try {
      mkdirSync(full);
    } catch (err) {
      throw new UserError(`cannot create directory '${dir}': ${(err as Error).message}`, {
        source: flag,
        cause: err,
      });
    }
  }
  checkWritableDir(full, dir, flag);
  return full;
}

function checkWritableDir(dir: string, given: string, flag: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`directory ${dir} does not exist (for '${given}')`, { source: flag });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`directory ${dir} is not writable (for '${given}')`, { source: flag });
  }
}

/** `dir/<episodeRecordingName(spec)>`. */
export function episodeRecordingPath(
  dir: string,
  spec: { task: string; split: string; seed: number },
): string {
  return join(dir, episodeRecordingName(spec));
}
