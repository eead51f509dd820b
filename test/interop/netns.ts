/**
 * Runs a script inside a private network namespace (`unshare -n`, `lo` up with multicast on),
 * so that DDS discovery multicast and all test traffic stay inside it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SETUP = 'ip link set lo up && ip link set lo multicast on';

/** Why a private network namespace cannot be made here, or undefined when it can. */
export function namespaceUnavailable(): string | undefined {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${SETUP} && ip link show lo`], { encoding: 'utf8' });
  if (r.error) return `unshare cannot run: ${r.error.message}`;
  if (r.status !== 0) return `unshare -n failed (needs root or user namespaces): ${r.stderr.trim()}`;
  if (!r.stdout.includes('MULTICAST') || !r.stdout.includes('UP'))
    return `lo is not up with multicast: ${r.stdout}`;
  return undefined;
}

/** Runs `node --import tsx <script> ...args` in a fresh namespace; resolves with its stdout. */
export function runInNamespace(script: string, args: string[], timeoutMs: number): Promise<string> {
  const quoted = [script, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      'unshare',
      ['-n', 'sh', '-c', `${SETUP} && exec "${process.execPath}" --import tsx ${quoted}`],
      { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`${script} ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`));
        else resolve(stdout);
      },
    );
  });
}
