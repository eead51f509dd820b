// A raw `ws` server on 127.0.0.1, port 0, that plays the server's side of rosbridge_suite's
// documented exchanges (ROSBRIDGE_PROTOCOL.md) frame by frame: the tests decide every reply.
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface ReplayServer {
  url: string;
  port: number;
  /** Every text frame received, parsed, in order, across connections. */
  frames: Array<Record<string, unknown>>;
  /** Connections accepted so far. */
  connections: number;
  /** Resolves with the first frame (already received or still to come) that matches. */
  expectFrame(
    match: (f: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Sends to every open connection: an object as JSON, a string as is, a Buffer as binary. */
  send(frame: unknown): void;
  /** Closes every open connection from the server's side (the listener stays up). */
  dropClients(): void;
  close(): Promise<void>;
}

export async function startReplayServer(): Promise<ReplayServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const frames: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<WebSocket>();
  const server: ReplayServer = {
    url: `ws://127.0.0.1:${port}`,
    port,
    frames,
    connections: 0,
    expectFrame(match, what, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < frames.length; seen++) {
            const f = frames[seen]!;
            if (match(f)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(f);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no frame ${what} within ${timeoutMs} ms; got ${JSON.stringify(frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    send(frame) {
      const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
      for (const ws of sockets) ws.send(data);
    },
    dropClients() {
      for (const ws of sockets) ws.terminate();
    },
    close() {
      for (const ws of sockets) ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
  wss.on('connection', (ws) => {
    server.connections++;
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const w of [...waiters]) w();
    });
  });
  return server;
}

/** Resolves when `count()` reaches `n`, checking on each call of the returned `poke`. */
export function counter<T>(): {
  items: T[];
  push: (item: T) => void;
  waitFor: (n: number, what: string, timeoutMs?: number) => Promise<T[]>;
} {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(item) {
      items.push(item);
      for (const w of [...waiters]) w();
    },
    waitFor(n, what, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (items.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(items);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${what}: got ${items.length} of ${n} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
