// Load: 20 roslib clients on /joint_states (250 Hz) and /tf (50 Hz), plus one client that stops
// reading, against the sim and the rosbridge server in a child process (fixtures/loadServer.ts),
// loopback only. Bounded in time: SIMBRIDGE_ROSBRIDGE_LOAD_SECONDS (default 60) with clients,
// after a quarter of that (at least 5 s) without clients as the real-time-factor baseline.
//
// Tolerances: each client's latency p99 <= 20 ms; the child's heap after GC grows by at most
// 16 MB and its RSS by at most 64 MB between the early sample (10 s, or a third of a short run)
// and the end; the sim's real-time factor with clients is at least 80% of the one without.
//
// Latency is publish -> parsed by roslib: the server's process stamps each message's wall time
// inside the sim's publish() (performance.timeOrigin + performance.now()), the clients' processes
// stamp the roslib callback on the same clock, and the two are matched by topic and header stamp.
// The clients run in a plain Node process of their own (fixtures/loadClients.ts), not in the
// vitest worker, where they collected garbage 4-5 times as often (188 vs 35-52 GCs in 10 s);
// SIMBRIDGE_ROSBRIDGE_LOAD_CLIENT_PROCESSES=N spreads them over N processes to compare (each
// process then costs its own wake-ups: 4 processes used 1.8x the CPU of one). Beside the latency
// the figures give the server's own share (its per-client queue delay) and what each process
// went through (event-loop delay, GC pauses, time its main thread waited for a CPU, the machine's
// CPU pressure), so a miss says whether the server, the clients or the OS held the messages up.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RosbridgeServerStats } from '../../../src/transports/rosbridge/server/index.ts';
import type { ProcessLoad } from './fixtures/processLoad.ts';
import { RawClient } from './fixtures/rawClient.ts';

const SECONDS = Number(process.env.SIMBRIDGE_ROSBRIDGE_LOAD_SECONDS ?? 60);
const BASELINE_SECONDS = Math.max(5, Math.round(SECONDS / 4));
const MEMORY_AT_SECONDS = Math.min(10, SECONDS / 3);
const CLIENTS = 20;
const CLIENT_PROCESSES = Number(process.env.SIMBRIDGE_ROSBRIDGE_LOAD_CLIENT_PROCESSES ?? 1);
const LATENCY_P99_MS = 20;
const HEAP_GROWTH_MB = 16;
const RSS_GROWTH_MB = 64;
/** Topic code of /joint_states in the server's `published` triples. */
const TOPIC_JOINT_STATES = 0;

interface RunResult {
  simSeconds: number;
  wallSeconds: number;
  rtf: number;
  droppedSimSeconds: number;
  process: ProcessLoad;
  memory: { early: { heapUsedMB: number; rssMB: number }; end: { heapUsedMB: number; rssMB: number } };
  stats: RosbridgeServerStats;
  /** [topic, stamp ns, wall ms] triples, flat. */
  published: number[];
}

interface ClientsLatency {
  clients: Array<{ messages: number; p50: number; p99: number; max: number }>;
  process: ProcessLoad;
}

let child: ChildProcess | undefined;
const clientProcs: ChildProcess[] = [];
let stalled: RawClient | undefined;

async function exit(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.send({ type: 'exit' });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

afterAll(async () => {
  await Promise.all(clientProcs.map(exit));
  stalled?.ws.terminate();
  if (child) await exit(child);
});

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function nextMessage<T>(proc: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child sent no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      proc.off('message', onMessage);
      resolve(m as T);
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`a load test process exited with ${code}`)));
  });
}

const ms = (v: number) => Math.round(v * 100) / 100;

describe('rosbridge server under load', () => {
  it(
    `serves ${CLIENTS} roslib clients and a stalled one for ${SECONDS} s within latency, memory and RTF bounds`,
    async () => {
      child = fork(fixture('loadServer.ts'), [], {
        execArgv: ['--import', 'tsx', '--expose-gc'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const { url } = await nextMessage<{ url: string }>(child, 'ready', 60_000);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);

      child.send({ type: 'run', seconds: BASELINE_SECONDS });
      const baseline = await nextMessage<RunResult>(child, 'done', (BASELINE_SECONDS + 30) * 1000);

      // The client processes connect one after another, and so do the clients in each: the
      // server's sessions are in client order, the stalled client's last.
      const perProcess = Math.ceil(CLIENTS / CLIENT_PROCESSES);
      for (let first = 0; first < CLIENTS; first += perProcess) {
        const proc = fork(fixture('loadClients.ts'), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        clientProcs.push(proc);
        await nextMessage(proc, 'spawned', 60_000);
        proc.send({
          type: 'connect',
          url,
          clients: Math.min(perProcess, CLIENTS - first),
          capacity: Math.ceil(SECONDS * 300 * 1.2),
        });
        const { error } = await nextMessage<{ error?: string }>(proc, 'ready', 60_000);
        if (error) throw new Error(error);
      }
      stalled = await RawClient.connect(url);
      stalled.send({ op: 'subscribe', topic: '/joint_states', type: 'sensor_msgs/JointState' });
      stalled.send({ op: 'subscribe', topic: '/tf', type: 'tf2_msgs/TFMessage' });
      // The answer to a later call proves both subscriptions are in place (frames are handled in order).
      stalled.send({ op: 'call_service', id: 'ready', service: '/sim/evaluate' });
      await stalled.waitFor(
        () => stalled!.frames.some((f) => (f as { id?: string }).id === 'ready'),
        10_000,
        'ready',
      );
      // From here it reads nothing: the kernel buffers, ws's and then its bounded queue fill.
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

      await Promise.all(
        clientProcs.map((p) => {
          p.send({ type: 'start' });
          return nextMessage(p, 'started', 10_000);
        }),
      );
      child.send({ type: 'run', seconds: SECONDS, memoryAtSeconds: MEMORY_AT_SECONDS });
      const loaded = await nextMessage<RunResult>(child, 'done', (SECONDS + 60) * 1000);
      const results = await Promise.all(
        clientProcs.map((p) => {
          p.send({ type: 'stop', published: loaded.published });
          return nextMessage<ClientsLatency>(p, 'latency', 60_000);
        }),
      );
      const clientProcesses = results.map((r) => r.process);
      const perClient = results
        .flatMap((r) => r.clients)
        .map((c, i) => ({ ...c, serverQueueP99: ms(loaded.stats.perClient[i]!.queueDelayMs.p99) }));
      const worst = perClient.reduce((a, b) => (b.p99 > a.p99 ? b : a));
      let jointStates = 0;
      for (let i = 0; i < loaded.published.length; i += 3)
        if (loaded.published[i] === TOPIC_JOINT_STATES) jointStates++;
      const publishedCount = loaded.published.length / 3;
      const stalledStats = loaded.stats.perClient.at(-1)!;
      const figures = {
        seconds: SECONDS,
        publishedJointStates: jointStates,
        publishedTf: publishedCount - jointStates,
        latencyMs: {
          worstClient: worst,
          p99s: perClient.map((c) => c.p99),
          p50s: perClient.map((c) => c.p50),
        },
        serverQueueDelayMs: {
          worstP99: Math.max(...perClient.map((c) => c.serverQueueP99)),
          worstMax: ms(Math.max(...loaded.stats.perClient.slice(0, CLIENTS).map((c) => c.queueDelayMs.max))),
        },
        rtf: { baseline: baseline.rtf, loaded: loaded.rtf, droppedSimSeconds: loaded.droppedSimSeconds },
        serverProcess: { baseline: baseline.process, loaded: loaded.process },
        clientProcesses,
        memory: loaded.memory,
        server: {
          sent: loaded.stats.sent,
          dropped: loaded.stats.dropped,
          stalledClient: {
            queued: stalledStats.queued,
            dropped: stalledStats.dropped,
            sent: stalledStats.sent,
          },
        },
      };
      const report = `rosbridge load figures: ${JSON.stringify(figures)}`;
      console.error(report);

      // Soft: every bound is checked and reported even when an earlier one misses.
      // Every client got (nearly) every message: /joint_states at 250 Hz, /tf at 50 Hz (the sim
      // ticks at 240 Hz, so /joint_states comes once per tick).
      expect.soft(jointStates, report).toBeGreaterThan(240 * loaded.simSeconds * 0.95);
      for (const [i, c] of perClient.entries()) {
        expect.soft(c.messages, report).toBeGreaterThan(publishedCount * 0.95);
        // The server timed the queue delay of every message it wrote to this client.
        expect.soft(loaded.stats.perClient[i]!.queueDelayMs.count, report).toBeGreaterThanOrEqual(c.messages);
      }
      // Latency: the bound, for every client. On a miss the message says where the time
      // went: serverQueueDelayMs is the server's share, the process figures the rest.
      expect
        .soft(
          worst.p99,
          `a client's latency p99 is ${worst.p99} ms (limit ${LATENCY_P99_MS} ms); server queue delay ` +
            `p99 ${figures.serverQueueDelayMs.worstP99} ms; for a CPU the server's main thread waited ` +
            `${loaded.process.runQueueWaitMsPerSecond} ms/s, the clients' ` +
            `${clientProcesses.map((p) => p.runQueueWaitMsPerSecond).join('/')} ms/s; event-loop delay ` +
            `p99 server ${loaded.process.eventLoopDelayMs.p99} ms, clients ` +
            `${clientProcesses.map((p) => p.eventLoopDelayMs.p99).join('/')} ms; machine CPU pressure ` +
            `${loaded.process.machineCpuPressureAvg10}%, load ${loaded.process.loadAverage1m}.\n${report}`,
        )
        .toBeLessThanOrEqual(LATENCY_P99_MS);
      // Only the stalled client may drop, and it holds no more than its bound. (Whether it has
      // dropped yet depends on how much the kernel's socket buffers absorbed: in 60 s it has.)
      expect.soft(stalledStats.queued, report).toBeLessThanOrEqual(2 * 1000);
      expect.soft(loaded.stats.dropped, report).toBe(stalledStats.dropped);
      if (SECONDS >= 60) expect.soft(stalledStats.dropped, report).toBeGreaterThan(0);
      // Memory flat.
      expect
        .soft(loaded.memory.end.heapUsedMB - loaded.memory.early.heapUsedMB, report)
        .toBeLessThanOrEqual(HEAP_GROWTH_MB);
      expect
        .soft(loaded.memory.end.rssMB - loaded.memory.early.rssMB, report)
        .toBeLessThanOrEqual(RSS_GROWTH_MB);
      // The sim keeps its pace.
      expect.soft(loaded.rtf, report).toBeGreaterThanOrEqual(0.8 * baseline.rtf);
    },
    (SECONDS + BASELINE_SECONDS + 180) * 1000,
  );
});
