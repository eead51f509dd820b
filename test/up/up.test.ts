// `simbridge up` as a user runs it: a child process, its URL read from stdout, Ctrl-C (SIGINT) to stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { repoRoot, simbridge } from '../cli/simbridge.ts';

/** Resolves with the first line the child prints on stdout (rejects if it exits first). */
function firstLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) =>
      reject(new Error(`simbridge up exited (${code}) before a URL: ${stderr()}`)),
    );
  });
}

/** Resolves true if a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('simbridge up', () => {
  it('serves the viewer and rosbridge, and on SIGINT exits 0 with both ports closed', async () => {
    const child = spawn(
      process.execPath,
      ['bin/simbridge.mjs', 'up', '--port', '0', '--rosbridge-port', '0', '--no-open'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIMBRIDGE_DEBUG: '1' } },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      stderr += c;
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const url = await firstLine(child, () => stderr);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const httpPort = Number(new URL(url).port);

      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<title>simbridge</title>');
      const config = (await (await fetch(new URL('config.json', url))).json()) as { rosbridgeUrl: string };
      const rosbridgePort = Number(new URL(config.rosbridgeUrl).port);
      expect(rosbridgePort).toBeGreaterThan(0);
      expect(rosbridgePort).not.toBe(httpPort);

      // A raw rosbridge client: the sim is live, so /sim/status (10 Hz of sim time) arrives.
      const ws = new WebSocket(config.rosbridgeUrl);
      await once(ws, 'open');
      const status = new Promise<{ op: string; topic: string; msg: { data: string } }>((resolve) => {
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as { op: string; topic: string; msg: { data: string } };
          if (m.op === 'publish' && m.topic === '/sim/status') resolve(m);
        });
      });
      ws.send(JSON.stringify({ op: 'subscribe', topic: '/sim/status', type: 'std_msgs/msg/String' }));
      const first = await status;
      expect(JSON.parse(first.msg.data)).toMatchObject({ state: 'running', task: 'pick_place' });
      const wsClosed = once(ws, 'close');

      child.kill('SIGINT');
      const [code, signal] = await exited;
      expect({ code, signal, stderr: code === 0 ? '' : stderr }).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      });
      await wsClosed;
      expect(stderr).toMatch(/simbridge up: stopped after/);
      expect(await refused(httpPort)).toBe(true);
      expect(await refused(rosbridgePort)).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses an unknown task with exit 2, naming the known tasks', async () => {
    const r = await simbridge('up', '--task', 'juggle', '--no-open');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown task "juggle"; known tasks: pick_place/);
    expect(r.stdout).toBe('');
  });

  it('refuses a port out of range with exit 2, naming the flag', async () => {
    const r = await simbridge('up', '--rosbridge-port', '70000', '--no-open');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--rosbridge-port: expected a port number in [0, 65535], got '70000'");
  });

  it('says which flag to change when the viewer port is taken, and exits 2', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const r = await simbridge('up', '--port', String(taken), '--rosbridge-port', '0', '--no-open');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${taken} on 127.0.0.1 is in use; pick another with --port`);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });
});
