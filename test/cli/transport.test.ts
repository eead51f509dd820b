// `simbridge sim` and `simbridge policy`: real processes, a real rosbridge link on loopback.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { startReplayServer } from '../transports/rosbridge/clientReplayServer.ts';
import { repoRoot, simbridge } from './simbridge.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts `simbridge sim` and resolves with its rosbridge URL once it is listening. */
function startSim(...args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, ['bin/simbridge.mjs', 'sim', '--rosbridge-port', '0', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not start: ${stdout}${stderr}`)), 30_000);
    child.stdout!.on('data', (d) => {
      stdout += String(d);
      const url = /rosbridge (ws:\/\/[\d.]+:\d+)/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, out: () => stdout + stderr });
      }
    });
    child.on('exit', (code) => reject(new Error(`sim exited with ${code}: ${stdout}${stderr}`)));
  });
}

/** Runs the CLI in-process (the same runCli as bin/simbridge.mjs), capturing stderr: fast. */
async function runInProcess(...args: string[]): Promise<{ code: number; stderr: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runCli(args), stderr: lines.join('') };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

function exited(child: ChildProcess, timeoutMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('process did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('simbridge sim and simbridge policy', () => {
  it('drives the sim over rosbridge to success, and the sim exits cleanly on Ctrl-C', async () => {
    const sim = await startSim('--seed', '16');
    const policy = await simbridge(
      'policy',
      '--transport',
      'rosbridge',
      '--url',
      sim.url,
      '--robot',
      'ur5e',
      '--instruction',
      'put the red block in the blue bowl',
      '--timeout',
      '80',
    );
    expect(policy.stdout).toContain('(simbridge sim)');
    expect(policy.stdout).toContain('result: SUCCESS');
    expect(policy.code).toBe(0);
    sim.child.kill('SIGINT');
    expect(await exited(sim.child)).toBe(0);
    expect(sim.out()).toContain('sim: stopped at sim time');
    expect(await portIsClosed(Number(new URL(sim.url).port))).toBe(true);
  });

  it('refuses to command a robot that is not a simbridge sim without --allow-hardware', async () => {
    // A rosbridge server with no /sim/status on it: what a real arm's rosbridge_server looks like.
    const robot = await startReplayServer();
    try {
      const r = await runInProcess('policy', '--url', robot.url, '--sim-check-seconds', '1');
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/published no \/sim\/status within 1 s.*--allow-hardware/);
    } finally {
      await robot.close();
    }
  });

  it.each([
    [
      ['policy', '--transport', 'bogus'],
      /--transport: unknown transport 'bogus'; expected one of local, rosbridge/,
    ],
    [['policy', '--url', 'http://robot:9090'], /--url: 'http:\/\/robot:9090' must start with ws:\/\//],
    [['policy', '--transport', 'local'], /no robot on the local transport/],
    [['policy', '--robot', 'nosuchbot'], /nosuchbot/],
    [['policy', '--timeout', 'soon'], /--timeout: expected an integer >= 1, got 'soon'/],
    [['sim', '--rosbridge-port', '70000'], /--rosbridge-port: expected a port in 0..65535, got '70000'/],
    [['sim', '--rosbridge-port', 'x'], /--rosbridge-port: expected a non-negative integer, got 'x'/],
    [['sim', '--task', 'juggle'], /unknown task "juggle"/],
  ])('exits 2 with one line for bad input: %s', async (args, message) => {
    const r = await runInProcess(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('says how to install rclnodejs when --transport ros2 is chosen without it', async (ctx) => {
    const present = await import('rclnodejs' as string).then(
      () => true,
      () => false,
    );
    if (present) ctx.skip('rclnodejs is installed here; the ROS 2 tests cover it');
    const r = await runInProcess('policy', '--transport', 'ros2');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/rclnodejs is not installed: source a ROS 2 install.*npm install rclnodejs/);
  });
});
