/**
 * Builds the C/C++ peer programs (test code in test/interop/peers) into a temporary directory:
 * Cyclone types generated from ros_types.idl with `idlc -l c`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const peers = fileURLToPath(new URL('./peers/', import.meta.url));

/** Builds cyclone_peer; returns its path. Throws with the compiler output on failure. */
export function buildCyclonePeer(dir = mkdtempSync(join(tmpdir(), 'simbridge-peers-'))): string {
  const out = join(dir, 'cyclone_peer');
  if (existsSync(out)) return out;
  execFileSync('idlc', ['-l', 'c', '-o', dir, join(peers, 'ros_types.idl')], { stdio: 'pipe' });
  execFileSync(
    'gcc',
    ['-O2', '-o', out, `-I${dir}`, join(peers, 'cyclone_peer.c'), join(dir, 'ros_types.c'), '-lddsc'],
    { stdio: 'pipe' },
  );
  return out;
}
