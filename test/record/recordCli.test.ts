// `simbridge run --record FILE.mcap` and `simbridge eval --record DIR` on real episodes, read back
// with @mcap/core and decoded with Foxglove's decoders; a recording killed mid-episode (SIGKILL)
// still yields its flushed chunks, and Ctrl-C (SIGINT) finishes the file.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import type { EpisodeResult } from '../../src/eval/types.ts';
import type { JointState, TFMessage } from '../../src/msgs/index.ts';
import { type CliRun, repoRoot, simbridge } from '../cli/simbridge.ts';
import { readRecording, streamRecording } from './readMcap.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'simbridge-record-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the CLI in this process (no process start-up: these inputs fail before any episode) and
 * captures what it writes to stderr.
 */
async function cliInProcess(...args: string[]): Promise<CliRun> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli(args);
    return { code, stdout: '', stderr: lines.join(''), wallSeconds: 0 };
  } finally {
    spy.mockRestore();
  }
}

/** A bad-input failure: exit 2, one line on stderr naming `fragments`, no stack trace. */
function expectUsageError(run: CliRun, ...fragments: string[]): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).not.toContain('    at ');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  for (const f of fragments) expect(lines[0]).toContain(f);
}

describe('simbridge run --record', () => {
  it('records every topic of the episode, on sim time, with the episode metadata', async () => {
    const path = join(dir, 'run.mcap');
    const run = await simbridge('run', '--task', 'pick_place', '--seed', '3', '--json', '--record', path);
    const result = JSON.parse(run.stdout) as EpisodeResult;
    expect(run.code, run.stderr).toBe(result.success ? 0 : 1);

    const { reader, messages, metadata } = await readRecording(path);
    expect(reader.header.profile).toBe('ros2');
    const topics = new Set(messages.map((m) => m.topic));
    for (const t of [
      '/clock',
      '/joint_states',
      '/tf',
      '/tf_static',
      '/robot_description',
      '/detections',
      '/sim/status',
      '/forward_position_controller/commands',
    ]) {
      expect(topics, t).toContain(t);
    }

    const joints = messages.filter((m) => m.topic === '/joint_states');
    expect(joints.length).toBeGreaterThan(100);
    const js = joints.at(-1)!.message as unknown as JointState;
    expect(js.name).toContain('shoulder_pan_joint');
    expect(js.position).toHaveLength(js.name.length);
    expect(Array.from(js.position).every(Number.isFinite)).toBe(true);
    const tf = messages.find((m) => m.topic === '/tf')!.message as unknown as TFMessage;
    expect(tf.transforms.length).toBeGreaterThan(0);
    expect(tf.transforms[0]!.header.frame_id).not.toBe('');
    expect(
      (messages.find((m) => m.topic === '/robot_description')!.message as { data: string }).data,
    ).toMatch(/<robot /);

    // log_time is sim time: each /clock message is logged at the time it carries, and the last
    // message is logged at the episode's end.
    for (const m of messages.filter((x) => x.topic === '/clock')) {
      const { sec, nanosec } = (m.message as { clock: { sec: number; nanosec: number } }).clock;
      expect(m.logTime).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nanosec));
    }
    const last = Math.max(...messages.map((m) => Number(m.logTime)));
    expect(last / 1e9).toBeCloseTo(result.simTimeSeconds, 1);

    expect(metadata.map((m) => m.name)).toEqual(['simbridge.episode']);
    const meta = Object.fromEntries(metadata[0]!.metadata);
    expect(meta).toMatchObject({
      task: 'pick_place',
      seed: '3',
      split: 'seen',
      robot: 'ur5e',
      policy: 'oracle',
      instruction: result.instruction,
      success: String(result.success),
    });
    expect(JSON.parse(meta.goal!)).toEqual(result.goal);
    expect(JSON.parse(meta.success_checks!)).toEqual(result.checks);
    expect(JSON.parse(meta.result!)).toMatchObject({ steps: result.steps, stateHash: result.stateHash });
  }, 90_000);

  it('refuses bad paths and graph-less policies with exit 2 and one line, before running', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const dirNamedMcap = join(dir, 'd.mcap');
    mkdirSync(dirNamedMcap);
    const pickPlace = ['--task', 'pick_place'];
    const evalOne = ['eval', '--tasks', 'pick_place', '--episodes', '1'];
    expectUsageError(
      await cliInProcess('run', ...pickPlace, '--record', join(dir, 'missing', 'x.mcap')),
      '--record',
      'does not exist',
      'missing',
    );
    expectUsageError(
      await cliInProcess('run', ...pickPlace, '--record', join(dir, 'out.bag')),
      '--record',
      'must end in .mcap',
    );
    expectUsageError(await cliInProcess('run', ...pickPlace, '--record', dirNamedMcap), 'is a directory');
    expectUsageError(
      await cliInProcess('run', ...pickPlace, '--policy', 'oracle-env', '--record', join(dir, 'e.mcap')),
      '--record',
      "policy 'oracle-env'",
      'no topics to record',
    );
    expectUsageError(await cliInProcess(...evalOne, '--record', file), '--record', 'not a directory');
    expectUsageError(
      await cliInProcess(...evalOne, '--policy', 'language-env', '--record', dir),
      "policy 'language-env'",
    );
    expect(existsSync(join(dir, 'e.mcap'))).toBe(false);
  });
});

describe('simbridge eval --record DIR', () => {
  it('writes one readable file per episode, named by task, split and seed, from worker threads', async () => {
    const out = join(dir, 'eval-out'); // created by eval
    const run = await simbridge(
      ...['eval', '--tasks', 'pick_place', '--episodes', '2', '--seed', '5', '--policy', 'language'],
      ...['--workers', '2', '--record', out],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['pick_place_seen_seed5.mcap', 'pick_place_seen_seed6.mcap']);
    for (const seed of [5, 6]) {
      const { messages, metadata } = await readRecording(join(out, `pick_place_seen_seed${seed}.mcap`));
      const meta = Object.fromEntries(metadata[0]!.metadata);
      expect(meta).toMatchObject({ task: 'pick_place', seed: String(seed), policy: 'language' });
      // The language goal, the plan (subtasks) and the actions are all in the file.
      const instruction = messages.find((m) => m.topic === '/instruction')!.message as { data: string };
      expect(instruction.data).toBe(meta.instruction);
      const plan = JSON.parse(meta.plan!) as unknown;
      expect(plan).not.toBeNull();
      const recordedPlan = messages.filter((m) => m.topic === '/policy/plan').at(-1)!.message as {
        data: string;
      };
      expect(JSON.parse(recordedPlan.data)).toEqual(plan);
      expect(
        messages.filter((m) => m.topic === '/forward_position_controller/commands').length,
      ).toBeGreaterThan(10);
    }
  }, 120_000);
});

/** Starts `simbridge run` on a long episode (cable_route: ~45 s of sim time), recording to `path`. */
function startLongRecording(path: string): ChildProcess {
  return spawn(
    process.execPath,
    ['bin/simbridge.mjs', 'run', '--task', 'cable_route', '--seed', '0', '--record', path],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** Resolves once `path` holds at least `bytes` bytes (chunks are written whole); bounded. */
async function waitForSize(path: string, bytes: number, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the recording process exited early (${child.exitCode})`);
    if (existsSync(path) && statSync(path).size >= bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} did not reach ${bytes} bytes in ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('a recording interrupted mid-episode', () => {
  it('killed with SIGKILL, still yields every message of its flushed chunks', async () => {
    const path = join(dir, 'killed.mcap');
    const child = startLongRecording(path);
    const exit = exited(child);
    try {
      await waitForSize(path, 600_000, child); // two 256 KiB chunks at least
    } finally {
      child.kill('SIGKILL');
    }
    expect((await exit).signal).toBe('SIGKILL');

    const { header, messages, footer, chunks, done } = streamRecording(path);
    expect(header?.profile).toBe('ros2');
    expect(footer).toBe(false); // it really was cut off mid-run
    expect(done).toBe(false);
    expect(chunks).toBeGreaterThanOrEqual(2);
    const joints = messages.filter((m) => m.topic === '/joint_states');
    expect(joints.length).toBeGreaterThan(100);
    expect((joints.at(-1)!.message as unknown as JointState).name).toContain('shoulder_pan_joint');
    // Sequence numbers run without gaps up to the last flushed message.
    expect(joints.map((m) => m.sequence)).toEqual(joints.map((_, i) => i + 1));
    await expect(readRecording(path)).rejects.toThrow();
  }, 90_000);

  it('stopped with Ctrl-C (SIGINT), is finished and indexed before the process ends', async () => {
    const path = join(dir, 'interrupted.mcap');
    const child = startLongRecording(path);
    const exit = exited(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      await waitForSize(path, 300_000, child);
    } finally {
      child.kill('SIGINT');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    expect(await exit, stderr).toEqual({ code: null, signal: 'SIGINT' });
    clearTimeout(timer);

    const { reader, messages } = await readRecording(path);
    expect(reader.footer).toBeDefined();
    expect(messages.filter((m) => m.topic === '/joint_states').length).toBeGreaterThan(100);
    // The chunk that was being filled was written too: more than the flushed chunks held.
    expect(reader.chunkIndexes.length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
