/**
 * Builds the C/C++ peer programs (test code in test/interop/peers) into a temporary directory
 * named after a hash of their sources, so a second test file or run reuses the binaries:
 * - cyclone_peer: Cyclone types generated from ros_types.idl with `idlc -l c`;
 * - fastdds_peer: Fast DDS 2.9 with hand-written TopicDataTypes (Debian has no fastddsgen).
 * Each binary is built under a temporary name and renamed into place, so test files building
 * at the same time never run a half-written one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const peers = fileURLToPath(new URL('./peers/', import.meta.url));

function cacheDir(sources: string[]): string {
  const h = createHash('sha256');
  for (const s of sources) h.update(readFileSync(join(peers, s)));
  const dir = join(tmpdir(), `simbridge-peers-${h.digest('hex').slice(0, 16)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Builds in a scratch directory, then renames the binary to `out`. */
function buildInto(out: string, build: (scratch: string, binary: string) => void): string {
  if (existsSync(out)) return out;
  const scratch = mkdtempSync(join(tmpdir(), 'simbridge-peer-build-'));
  try {
    const binary = join(scratch, 'peer');
    build(scratch, binary);
    renameSync(binary, out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}

/** Builds cyclone_peer; returns its path. Throws with the compiler output on failure. */
export function buildCyclonePeer(dir = cacheDir(['cyclone_peer.c', 'ros_types.idl'])): string {
  return buildInto(join(dir, 'cyclone_peer'), (scratch, binary) => {
    execFileSync('idlc', ['-l', 'c', '-o', scratch, join(peers, 'ros_types.idl')], { stdio: 'pipe' });
    execFileSync(
      'gcc',
      [
        '-O2',
        '-o',
        binary,
        `-I${scratch}`,
        join(peers, 'cyclone_peer.c'),
        join(scratch, 'ros_types.c'),
        '-lddsc',
      ],
      { stdio: 'pipe' },
    );
  });
}

/** Builds fastdds_peer (about 15 s of g++); returns its path. Throws with the compiler output on failure. */
export function buildFastddsPeer(dir = cacheDir(['fastdds_peer.cpp'])): string {
  return buildInto(join(dir, 'fastdds_peer'), (_scratch, binary) => {
    execFileSync(
      'g++',
      ['-O1', '-std=c++17', '-o', binary, join(peers, 'fastdds_peer.cpp'), '-lfastrtps', '-lfastcdr'],
      { stdio: 'pipe' },
    );
  });
}
