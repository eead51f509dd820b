// Security and load limits of the rosbridge server: loopback by default, the access token,
// client and frame limits, bounded drop-oldest queues for a stalled client, a clean close.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type Context, createContext, msgsValidator } from '../../../src/graph/index.ts';
import { LocalTransport } from '../../../src/transports/local/LocalTransport.ts';
import {
  type RosbridgeServer,
  type RosbridgeServerOptions,
  startRosbridgeServer,
} from '../../../src/transports/rosbridge/server/index.ts';
import { captureLogger } from '../../graph/helpers.ts';
import { RawClient } from './fixtures/rawClient.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  options: Partial<RosbridgeServerOptions> = {},
): Promise<{ context: Context; server: RosbridgeServer }> {
  const context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    logger: captureLogger(),
  });
  const peer = context.createNode('peer');
  peer.createService('std_srvs/srv/Trigger', '/trigger', () => ({ success: true, message: 'ok' }));
  const server = await startRosbridgeServer({ context, port: 0, ...options });
  cleanups.push(
    () => context.destroy(),
    () => server.close(),
  );
  return { context, server };
}

async function connected(url: string): Promise<RawClient> {
  const c = await RawClient.connect(url);
  cleanups.push(() => c.close());
  return c;
}

/** Resolves with the socket error code of a plain TCP connect (e.g. ECONNREFUSED), or 'connected'. */
function tcpProbe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function ping(client: RawClient, id: string): Promise<void> {
  client.send({ op: 'call_service', id, service: '/trigger' });
  await client.waitFor(
    () => client.frames.some((f) => (f as { id?: string }).id === id),
    3000,
    `the answer to ${id}`,
  );
}

describe('rosbridge server security and limits', () => {
  it('binds 127.0.0.1 by default and is not reachable on other interfaces', async () => {
    const { server } = await setup();
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    expect(await tcpProbe('127.0.0.1', server.port)).toBe('connected');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    // Machines without a non-loopback interface (a CI network namespace) only show the first part.
    if (external) expect(await tcpProbe(external.address, server.port)).toBe('ECONNREFUSED');
  });

  it('refuses a wrong URL token at the upgrade and accepts the right one', async () => {
    const { server } = await setup({ token: 's3cret' });
    await expect(RawClient.connect(`${server.url}/?token=wrong`)).rejects.toThrow('HTTP 401');
    const ok = await connected(`${server.url}/?token=s3cret`);
    await ping(ok, 'p1');
  });

  it('closes a client without a token at its first op, with an error status', async () => {
    const { server } = await setup({ token: 's3cret' });
    const c = await connected(server.url);
    c.send({ op: 'subscribe', id: 's', topic: '/chatter', type: 'std_msgs/String' });
    await c.waitFor(() => c.closed !== undefined, 3000, 'the close');
    expect(c.closed?.code).toBe(1008);
    expect(c.frames[0]).toMatchObject({ op: 'status', level: 'error', id: 's' });
    expect(String((c.frames[0] as { msg: string }).msg)).toContain('not authenticated');
  });

  it('accepts {op:"auth"} with the token, and closes on a wrong one', async () => {
    const { server } = await setup({ token: 's3cret' });
    const good = await connected(server.url);
    good.send({ op: 'auth', token: 's3cret' });
    await ping(good, 'p2');
    const bad = await connected(server.url);
    bad.send({ op: 'auth', token: 'guess' });
    await bad.waitFor(() => bad.closed !== undefined, 3000, 'the close');
    expect(bad.closed?.code).toBe(1008);
  });

  it('refuses clients beyond maxClients with HTTP 503, and takes one again when a slot frees', async () => {
    const { server } = await setup({ maxClients: 2 });
    const a = await connected(server.url);
    await connected(server.url);
    await expect(RawClient.connect(server.url)).rejects.toThrow('HTTP 503');
    await a.close();
    for (let i = 0; i < 1000 && server.stats().clients > 1; i++) await new Promise((r) => setImmediate(r));
    await ping(await connected(server.url), 'p3');
  });

  it('answers an oversize frame with an error status and keeps the connection', async () => {
    const { server } = await setup({ maxMessageBytes: 1024 });
    const c = await connected(server.url);
    c.send(JSON.stringify({ op: 'publish', id: 'big', topic: '/chatter', msg: { data: 'x'.repeat(2000) } }));
    await ping(c, 'p4');
    const status = c.frames.find((f) => (f as { op: string }).op === 'status') as {
      level: string;
      msg: string;
    };
    expect(status.level).toBe('error');
    expect(status.msg).toMatch(/frame of \d+ bytes exceeds the limit of 1024 bytes/);
    expect(c.closed).toBeUndefined();
  });

  it('bounds a stalled client with drop-oldest counters while another client gets everything', async () => {
    const { context, server } = await setup({ queueLength: 50 });
    const pub = context.createNode('talker').createPublisher('std_msgs/msg/String', '/chatter');
    const stalled = await connected(server.url);
    const healthy = await connected(server.url);
    for (const c of [stalled, healthy])
      c.send({ op: 'subscribe', topic: '/chatter', type: 'std_msgs/String' });
    await ping(stalled, 's-ready');
    await ping(healthy, 'h-ready');
    healthy.frames.length = 0;
    // The stalled client stops reading: the kernel buffers fill, then ws's, then its queue.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'y'.repeat(4096);
    const total = 2000; // 8 MB: more than the socket buffers and the 1 MB high-water mark hold
    for (let i = 0; i < total; i++) {
      pub.publish({ data: `${i}:${payload}` });
      if (i % 20 === 19) await new Promise<void>((r) => setImmediate(r));
    }
    await healthy.waitFor(
      () => healthy.frames.length >= total,
      20_000,
      `${total} messages on the healthy client`,
    );
    const stats = server.stats();
    const stalledStats = stats.perClient.find((p) => p.id !== stats.perClient.at(-1)!.id)!;
    const healthyStats = stats.perClient.at(-1)!;
    expect(healthyStats.dropped).toBe(0);
    expect(stalledStats.dropped).toBeGreaterThan(0);
    expect(stalledStats.queued).toBeLessThanOrEqual(2 * 50);
    expect(stats.dropped).toBe(stalledStats.dropped);
    const last = healthy.frames.at(-1) as { msg: { data: string } };
    expect(last.msg.data.startsWith(`${total - 1}:`)).toBe(true);
    stalled.ws.terminate(); // it reads nothing, so it would never see a close handshake
  }, 30_000);

  it('leaves no port open after close(), and close() is safe to call twice', async () => {
    const { server } = await setup();
    const c = await connected(server.url);
    await server.close();
    await c.waitFor(() => c.closed !== undefined, 3000, 'the client to be closed');
    expect(c.closed?.code).toBe(1001);
    expect(await tcpProbe('127.0.0.1', server.port)).toBe('ECONNREFUSED');
    await server.close();
  });

  it('attaches to an existing HTTP server at a path and leaves other upgrade paths alone', async () => {
    const http = createServer((_req, res) => res.end('page'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
    let otherUpgrades = 0;
    http.on('upgrade', (req, socket) => {
      if (req.url !== '/rosbridge') {
        otherUpgrades++;
        socket.destroy();
      }
    });
    const { server } = await setup({ server: http, path: '/rosbridge' });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/rosbridge`);
    await ping(await connected(server.url), 'p5');
    await expect(RawClient.connect(`ws://127.0.0.1:${server.port}/hmr`)).rejects.toThrow();
    expect(otherUpgrades).toBe(1);
    await server.close();
    expect(http.listening).toBe(true);
  });
});
