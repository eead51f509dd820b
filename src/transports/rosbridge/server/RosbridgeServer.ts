/**
 * A rosbridge v2 server (rosbridge_suite's ROSBRIDGE_PROTOCOL.md, ROS 2 flavour) over `ws`: it
 * exposes a graph Context to any rosbridge client (roslib, web dashboards, roslibpy). It adds one
 * node, /rosbridge_server, to the context.
 *
 *   const server = await startRosbridgeServer({ context });          // ws://127.0.0.1:9090
 *   ...
 *   await server.close();                                              // no port left open
 *
 * Security and load:
 * - Binds 127.0.0.1 unless `host` says otherwise.
 * - `token`: a client must give it in the URL (`?token=...`) or as its first message
 *   (`{"op":"auth","token":"..."}`, within 10 s); a wrong URL token is refused at the upgrade
 *   (HTTP 401), a wrong or missing auth message closes the socket (1008).
 * - `maxClients`: one more gets HTTP 503 at the upgrade.
 * - `maxMessageBytes`: a larger frame gets a `status` error and the connection stays up; frames
 *   over twice the limit are not read at all (ws closes with 1009), so memory stays bounded.
 * - Outgoing queues are per client, bounded (`queueLength`), drop-oldest and counted, and honour
 *   socket backpressure, so a stalled client never slows the graph or the other clients.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordableHistogram } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { UserError } from '../../../errors.ts';
import type { Context } from '../../../graph/Context.ts';
import type { Logger } from '../../../graph/Logger.ts';
import { ROSBRIDGE_DEFAULT_PORT } from '../protocol.ts';
import { GraphBridge } from './GraphBridge.ts';
import { Session, type SessionHost, tokensEqual } from './Session.ts';

export interface RosbridgeServerOptions {
  /** The graph to expose; the server makes one node, /rosbridge_server, in it. */
  context: Context;
  /** Interface to listen on. Anything but loopback exposes the graph to the network. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one (read it from `server.port`). @default 9090 */
  port?: number;
  /** Attach to this HTTP server's upgrade requests instead of listening (host and port are ignored). */
  server?: Server;
  /** WebSocket path when attached; other paths are left to the server's other upgrade handlers. @default '/' */
  path?: string;
  /** Access token, given as `?token=` in the ws URL or in a first `{op:'auth', token}` message. @default none */
  token?: string;
  /** Largest incoming frame (and reassembled fragmented message), bytes. @default 10 MB */
  maxMessageBytes?: number;
  /** Connected clients at most. @default 64 */
  maxClients?: number;
  /**
   * Per-client outgoing queue bound, in messages (topic data and control replies each). Beyond
   * it the oldest is dropped and counted. At 250 Hz, 1000 messages is 4 s of /joint_states.
   * @default 1000
   */
  queueLength?: number;
  /** @default the context's logger */
  logger?: Logger;
}

export interface RosbridgeServerStats {
  clients: number;
  /** Frames received from clients. */
  received: number;
  /** Frames sent to clients. */
  sent: number;
  /** Outgoing messages dropped by full queues. */
  dropped: number;
  /** Status errors sent and encoding failures. */
  errors: number;
  perClient: Array<{
    id: string;
    queued: number;
    dropped: number;
    sent: number;
    /**
     * Topic messages written since the client connected, and their queue delay: from entering
     * the client's outgoing queue (as the graph delivers them, or after throttle_rate holds
     * them) to being handed to its socket, ms.
     */
    queueDelayMs: { count: number; p50: number; p99: number; max: number };
  }>;
}

export interface RosbridgeServer {
  /** `ws://127.0.0.1:<port>` (the path included when attached). */
  readonly url: string;
  readonly port: number;
  stats(): RosbridgeServerStats;
  /** Closes every client and the listening socket; no port is left open. Safe to call twice. */
  close(): Promise<void>;
}

/** Unsent bytes a socket may hold before its queue waits (ws bufferedAmount). */
const HIGH_WATER_BYTES = 1 << 20;
/** Time an unauthenticated client has to send its auth message, ms. */
const AUTH_TIMEOUT_MS = 10_000;
/** Time clients get to answer the close handshake before they are cut off, ms. */
const CLOSE_GRACE_MS = 1000;

/** Starts a rosbridge server; resolves once it listens (or is attached). */
export async function startRosbridgeServer(options: RosbridgeServerOptions): Promise<RosbridgeServer> {
  const o = checkOptions(options);
  const server = new RosbridgeServerImpl(o);
  await server.start();
  return server;
}

type CheckedOptions = Required<Omit<RosbridgeServerOptions, 'server' | 'token' | 'logger'>> &
  Pick<RosbridgeServerOptions, 'server' | 'token'> & { logger: Logger };

function checkOptions(options: RosbridgeServerOptions): CheckedOptions {
  const source = 'startRosbridgeServer';
  const positiveInt = (name: string, v: number | undefined, fallback: number, min = 1): number => {
    if (v === undefined) return fallback;
    if (!Number.isInteger(v) || v < min) {
      throw new UserError(`${name} must be an integer >= ${min} (got ${String(v)})`, { source });
    }
    return v;
  };
  if (!options?.context) throw new UserError('context is required', { source });
  const port = options.port ?? ROSBRIDGE_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`port must be an integer in [0, 65535] (got ${String(port)})`, { source });
  }
  const path = options.path ?? '/';
  if (!path.startsWith('/'))
    throw new UserError(`path must start with "/" (got ${JSON.stringify(path)})`, { source });
  if (options.token !== undefined && options.token.length === 0) {
    throw new UserError('token must not be empty (omit it for no token)', { source });
  }
  return {
    context: options.context,
    host: options.host ?? '127.0.0.1',
    port,
    server: options.server,
    path,
    token: options.token,
    maxMessageBytes: positiveInt('maxMessageBytes', options.maxMessageBytes, 10 * 1024 * 1024),
    maxClients: positiveInt('maxClients', options.maxClients, 64),
    queueLength: positiveInt('queueLength', options.queueLength, 1000),
    logger: options.logger ?? options.context.logger,
  };
}

class RosbridgeServerImpl implements RosbridgeServer, SessionHost {
  readonly bridge: GraphBridge;
  readonly logger: Logger;
  readonly token: string | undefined;
  readonly maxMessageBytes: number;
  readonly queueLength: number;
  readonly highWaterBytes = HIGH_WATER_BYTES;
  readonly #o: CheckedOptions;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<WebSocket, Session>();
  readonly #dirty = new Set<Session>();
  #flushScheduled = false;
  #http: Server | undefined;
  #ownsHttp = false;
  #port = 0;
  #url = '';
  #received = 0;
  #errors = 0;
  /** Totals of clients that have gone. */
  #gone = { sent: 0, dropped: 0, errors: 0 };
  #closing: Promise<void> | undefined;
  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.#upgrade(req, socket, head);

  constructor(o: CheckedOptions) {
    this.#o = o;
    this.logger = o.logger;
    this.token = o.token;
    this.maxMessageBytes = o.maxMessageBytes;
    this.queueLength = o.queueLength;
    this.bridge = new GraphBridge(o.context);
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: Math.max(2 * o.maxMessageBytes, o.maxMessageBytes + 1024 * 1024),
    });
  }

  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const o = this.#o;
    if (o.server) {
      this.#http = o.server;
      if (!o.server.listening) {
        this.bridge.destroy();
        throw new UserError('the HTTP server to attach to is not listening yet', {
          source: 'startRosbridgeServer',
        });
      }
    } else {
      this.#http = createServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
        res.end('rosbridge server: connect with a WebSocket client\n');
      });
      this.#ownsHttp = true;
      try {
        await new Promise<void>((resolve, reject) => {
          const http = this.#http!;
          http.once('error', reject);
          http.listen(o.port, o.host, () => {
            http.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        this.bridge.destroy();
        const code = (error as NodeJS.ErrnoException).code;
        throw new UserError(`cannot listen on ${o.host}:${o.port}: ${code ?? String(error)}`, {
          source: 'rosbridge server',
          cause: error,
        });
      }
    }
    this.#http.on('upgrade', this.#onUpgrade);
    const address = this.#http.address() as AddressInfo;
    this.#port = address.port;
    const host = urlHost(this.#ownsHttp ? o.host : address.address);
    this.#url = `ws://${host}:${this.#port}${this.#ownsHttp && o.path === '/' ? '' : o.path}`;
    this.logger.info(`rosbridge server listening on ${this.#url}`);
  }

  stats(): RosbridgeServerStats {
    const perClient = [...this.#sockets.values()].map((s) => ({
      id: s.id,
      queued: s.queue.queued,
      dropped: s.queue.dropped,
      sent: s.queue.sent,
      queueDelayMs: delayFigures(s.queue.delayUs),
    }));
    let sent = this.#gone.sent;
    let dropped = this.#gone.dropped;
    let encodeErrors = this.#gone.errors;
    for (const s of this.#sockets.values()) {
      sent += s.queue.sent;
      dropped += s.queue.dropped;
      encodeErrors += s.queue.errors;
    }
    return {
      clients: this.#sockets.size,
      received: this.#received,
      sent,
      dropped,
      errors: this.#errors + encodeErrors,
      perClient,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  // ---- SessionHost --------------------------------------------------------------------

  scheduleFlush(session: Session): void {
    this.#dirty.add(session);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flush);
  }

  countReceived(): void {
    this.#received++;
  }

  countError(): void {
    this.#errors++;
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    for (const s of this.#dirty) s.queue.flush();
    this.#dirty.clear();
  };

  // ---- connections --------------------------------------------------------------------

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'ws://localhost');
    if (url.pathname !== this.#o.path) {
      // Attached: another handler (a dev server's HMR socket) may own this path.
      if (this.#ownsHttp) refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.#closing) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    let authenticated = false;
    const given = url.searchParams.get('token');
    if (this.token !== undefined && given !== null) {
      if (!tokensEqual(given, this.token)) {
        this.logger.warn(`rosbridge: refused a client from ${req.socket.remoteAddress}: wrong token`);
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      authenticated = true;
    }
    if (this.#sockets.size >= this.#o.maxClients) {
      this.logger.warn(`rosbridge: refused a client: ${this.#o.maxClients} clients already connected`);
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, req, authenticated));
  }

  #connected(ws: WebSocket, req: IncomingMessage, authenticated: boolean): void {
    if (this.#closing || this.#sockets.size >= this.#o.maxClients) {
      ws.close(1013, 'server busy');
      return;
    }
    const session = new Session(this, ws, authenticated);
    this.#sockets.set(ws, session);
    const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    this.logger.info(`rosbridge: ${session.id} connected from ${from}`);
    let authTimer: ReturnType<typeof setTimeout> | undefined;
    if (!session.authenticated) {
      authTimer = setTimeout(() => {
        if (!session.authenticated) ws.close(1008, 'authentication timed out');
      }, AUTH_TIMEOUT_MS);
      authTimer.unref();
    }
    ws.on('message', (data, isBinary) => {
      session.receive(toBuffer(data), isBinary);
    });
    ws.on('error', (error) => {
      this.#errors++;
      this.logger.warn(`rosbridge: ${session.id}: ${error.message}`);
    });
    ws.on('close', (code) => {
      if (authTimer) clearTimeout(authTimer);
      this.#gone.sent += session.queue.sent;
      this.#gone.dropped += session.queue.dropped;
      this.#gone.errors += session.queue.errors;
      session.close();
      this.#sockets.delete(ws);
      this.#dirty.delete(session);
      this.logger.info(`rosbridge: ${session.id} disconnected (${code})`);
    });
  }

  async #close(): Promise<void> {
    const sockets = [...this.#sockets.keys()];
    const closed = sockets.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const ws of sockets) ws.close(1001, 'server shutting down');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const ws of this.#sockets.keys()) ws.terminate();
    await Promise.all(closed);
    this.#http?.off('upgrade', this.#onUpgrade);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (this.#ownsHttp && this.#http) {
      const http = this.#http;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.bridge.destroy();
    this.logger.info('rosbridge server closed');
  }
}

function delayFigures(h: RecordableHistogram): { count: number; p50: number; p99: number; max: number } {
  if (h.count === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  return { count: h.count, p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.max / 1000 };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
