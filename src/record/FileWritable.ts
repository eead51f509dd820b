/**
 * The file an MCAP writer writes to, with synchronous writes.
 *
 * Each `write()` is one `write(2)` of a whole record group (a chunk, its message indexes, a
 * metadata record), done before `write()` returns. So once McapWriter has handed over a
 * chunk, the bytes are in the kernel: a SIGKILL or a crash of the process afterwards cannot
 * lose them, and the file always ends at a record boundary that McapStreamReader can read
 * up to. (A power cut can still lose what the kernel had not yet put on disk; `fsync` on
 * each chunk would cover that at a cost we do not pay by default.)
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { IWritable } from '@mcap/core';
import { UserError } from '../errors.ts';

export class FileWritable implements IWritable {
  readonly path: string;
  #fd: number | undefined;
  #position = 0n;

  /**
   * Creates (or truncates) `path`.
   * @param source the flag or option the path came from, for the error message
   * @throws UserError naming the path and the reason if it cannot be opened for writing
   */
  constructor(path: string, source = 'record') {
    this.path = path;
    try {
      this.#fd = openSync(path, 'w');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UserError(`cannot write recording '${path}': ${e.code ?? ''} ${e.message}`.trim(), {
        source,
        cause: err,
      });
    }
  }

  write(buffer: Uint8Array): Promise<void> {
    if (this.#fd === undefined) return Promise.reject(new Error(`recording ${this.path} is closed`));
    let done = 0;
    // writeSync may write less than asked (rare for regular files); loop until all is out.
    while (done < buffer.byteLength) {
      done += writeSync(this.#fd, buffer, done, buffer.byteLength - done);
    }
    this.#position += BigInt(buffer.byteLength);
    return Promise.resolve();
  }

  position(): bigint {
    return this.#position;
  }

  /** Safe to call twice. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}
