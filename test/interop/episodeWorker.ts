/**
 * A pick_place episode over the rtps transport, run inside a private network namespace by
 * episode.test.ts: `simbridge sim --transport rtps` and `simbridge policy --transport rtps`, each
 * its own process (so its own RTPS participant; they meet over real UDP on the namespace's `lo`),
 * plus this process as a third participant that watches /sim/status, and a Cyclone DDS
 * participant (cyclone_peer nodes) that prints the ROS nodes it decodes from ros_discovery_info,
 * as `ros2 node list` would see them. Prints one JSON line.
 *
 *   node --import tsx test/interop/episodeWorker.ts <seed> <instruction> <timeoutSeconds> <cyclone_peer>
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeCdr } from '../../src/msgs/index.ts';
import { RtpsTransport } from '../../src/transports/rtps/RtpsTransport.ts';
import { within } from '../graph/helpers.ts';
import { PeerProcess } from './peerProcess.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [seed, instruction, timeoutArg, cyclonePeer] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const timeoutSeconds = Number(timeoutArg);

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, ['bin/simbridge.mjs', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SIMBRIDGE_DEBUG: '' },
  });
  let text = '';
  child.stdout!.on('data', (d) => {
    text += String(d);
  });
  child.stderr!.on('data', (d) => {
    text += String(d);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exit };
}

// The watcher: /sim/status is std_msgs/String JSON { state, checks: { success, ... } } at 10 Hz.
const transport = await RtpsTransport.create({ domainId: 0, nodeName: 'episode_watcher' });
const watcher = transport.participant;
let lastChecks: Record<string, unknown> | undefined;
let statusCount = 0;
let peakParticipants = 0;
/** What `ros2 node list` would show at some point, from ros_discovery_info. */
const nodesSeen = new Set<string>();
let succeeded: () => void = () => {};
const simSucceeded = new Promise<void>((resolve) => {
  succeeded = resolve;
});
transport.subscribe(
  {
    topic: '/sim/status',
    type: 'std_msgs/msg/String',
    qos: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 },
  },
  (raw) => {
    const payload = raw as Uint8Array;
    const status = JSON.parse((decodeCdr('std_msgs/msg/String', payload) as { data: string }).data) as {
      checks?: Record<string, unknown>;
    };
    statusCount++;
    // Sampled while the episode runs: the policy leaves (and says goodbye) as soon as it is done.
    peakParticipants = Math.max(peakParticipants, watcher.participants.size);
    for (const n of transport.nodeNames()) nodesSeen.add(n.name);
    lastChecks = status.checks;
    if (status.checks?.['success'] === true) succeeded();
  },
);

// "participant <guid> node <namespace> <name> readers <n> writers <m>", a line per node per sample.
const rosNodes = new PeerProcess(cyclonePeer, ['nodes', String(timeoutSeconds + 60)]);
const sim = cli(['sim', '--transport', 'rtps', '--seed', seed, '--duration', String(timeoutSeconds + 30)]);
let result: Record<string, unknown>;
try {
  const policy = cli([
    'policy',
    '--transport',
    'rtps',
    '--robot',
    'ur5e',
    '--instruction',
    instruction,
    '--timeout',
    String(timeoutSeconds),
  ]);
  const policyCode = await within(policy.exit, (timeoutSeconds + 20) * 1000, 'the policy to exit');
  // The sim's own verdict, as published on /sim/status after the policy finished.
  const simSuccess = await within(simSucceeded, 10_000, '/sim/status with checks.success').then(
    () => true,
    () => false,
  );
  // Taken before the Cyclone participant leaves: on the way out Cyclone sends itself a 1-byte
  // datagram (to wake its receive threads) that reaches our multicast socket too, not RTPS.
  const watcherStats = { ...watcher.stats };
  // The Cyclone participant leaves first (closing stdin ends it; it says goodbye too).
  rosNodes.stop();
  await rosNodes.exited(5000);
  sim.child.kill('SIGINT');
  const simCode = await within(sim.exit, 15_000, 'the sim to stop on SIGINT');
  // Its goodbye may still be in our socket: wait for it, bounded (the lease would take 10 s).
  for (let i = 0; i < 300 && watcher.participants.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  result = {
    ok: true,
    policyCode,
    policyOutput: policy.output(),
    simCode,
    simOutput: sim.output(),
    simSuccess,
    lastChecks,
    statusCount,
    participantsSeen: peakParticipants,
    nodes: [...nodesSeen],
    participantsAfter: watcher.participants.size,
    cycloneNodeLines: [...new Set(rosNodes.lines.filter((l) => l.startsWith('participant ')))],
    watcherStats,
  };
} catch (err) {
  sim.child.kill('SIGKILL');
  result = { ok: false, error: (err as Error).message, simOutput: sim.output(), lastChecks };
} finally {
  rosNodes.stop();
  transport.destroy();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
