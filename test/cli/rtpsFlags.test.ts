// `--domain`, `--rtps-address` and `--peer` on `simbridge sim|policy --transport rtps`: bad values
// exit 2 naming the flag, and good ones reach the transport (a listening participant on loopback
// discovers the sim only through the unicast peer the flag names, on the domain the flag names).
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Participant } from '../../src/transports/rtps/Participant.ts';
import { waitFor } from '../transports/rtpsHelpers.ts';
import { repoRoot, simbridge } from './simbridge.ts';

const children: ChildProcess[] = [];
const participants: Participant[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const p of participants.splice(0)) p.destroy();
});

/** Starts `simbridge sim --transport rtps ...args` with `env` added; resolves once it runs. */
function startRtpsSim(args: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/simbridge.mjs', 'sim', '--transport', 'rtps', ...args], {
    cwd: repoRoot,
    // No multicast discovery: the sim is found through its unicast peer or not at all.
    env: { ...process.env, ROS_AUTOMATIC_DISCOVERY_RANGE: 'OFF', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim did not start: ${out}`)), 30_000);
    const take = (d: Buffer) => {
      out += String(d);
      if (out.includes('on rtps transport')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('exit', (code) => reject(new Error(`sim exited with ${code}: ${out}`)));
  });
}

/** A participant that only listens (no multicast, no peers): it learns of others only from their announcements. */
async function listener(domainId: number): Promise<Participant> {
  const p = await Participant.create({ domainId, multicast: false, peers: [] });
  participants.push(p);
  return p;
}

describe('rtps flags on simbridge sim and policy', () => {
  // Each case is a CLI process of its own: they run side by side.
  it.concurrent.for<[string[], string]>([
    [['sim', '--transport', 'rtps', '--domain', '233'], "--domain: expected a domain id 0..232, got '233'"],
    [
      ['policy', '--transport', 'rtps', '--domain', 'one'],
      "--domain: expected a domain id 0..232, got 'one'",
    ],
    [
      ['sim', '--transport', 'rtps', '--rtps-address', '300.1.2.3'],
      "--rtps-address: expected an IPv4 address, got '300.1.2.3'",
    ],
    [
      ['policy', '--transport', 'rtps', '--rtps-address', 'eth0'],
      "--rtps-address: expected an IPv4 address, got 'eth0'",
    ],
    [
      ['sim', '--transport', 'rtps', '--rtps-address', '203.0.113.7'],
      "--rtps-address: '203.0.113.7' is not an address of this host (it has ",
    ],
    [
      ['sim', '--transport', 'rtps', '--peer', '127.0.0.1', '--peer', 'robot.local'],
      "--peer: expected an IPv4 address or localhost, got 'robot.local'",
    ],
    [
      ['policy', '--transport', 'rosbridge', '--peer', '10.0.0.2'],
      '--peer: applies to --transport rtps only (the transport is rosbridge)',
    ],
  ])('exits 2 with one line naming the flag and value: %s', async ([args, message], { expect }) => {
    const r = await simbridge(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`simbridge: error: ${message}`);
  });

  it('joins the domain --domain names and announces itself to each --peer, flags over the environment', async () => {
    const domain7 = await listener(7);
    // Bad values in the environment that the flags override are not read (else it would exit 2).
    await startRtpsSim(['--domain', '7', '--peer', 'localhost', '--rtps-address', '127.0.0.1'], {
      ROS_DOMAIN_ID: 'nine',
      ROS_STATIC_PEERS: 'robot.local',
      SIMBRIDGE_RTPS_ADDRESS: 'eth0',
    });
    await waitFor(() => domain7.participants.size > 0, 20_000, 'the sim announcing itself on domain 7');
    const sim = [...domain7.participants.values()][0]!;
    expect(sim.userData).toBe('enclave=/;');
    expect(sim.metaLocators[0]!.address).toBe('127.0.0.1');
    expect(sim.metaLocators[0]!.port).toBeGreaterThanOrEqual(7400 + 250 * 7);
    await waitFor(
      () => [...domain7.remoteEndpoints.values()].some((e) => e.topic === 'rt/joint_states' && e.isWriter),
      20_000,
      "the sim's /joint_states writer on domain 7",
    );
  }, 60_000);

  it('falls back to ROS_DOMAIN_ID and ROS_STATIC_PEERS without the flags', async () => {
    const domain8 = await listener(8);
    await startRtpsSim([], { ROS_DOMAIN_ID: '8', ROS_STATIC_PEERS: '127.0.0.1' });
    await waitFor(() => domain8.participants.size > 0, 20_000, 'the sim announcing itself on domain 8');
    expect([...domain8.participants.values()][0]!.userData).toBe('enclave=/;');
  }, 60_000);
});
