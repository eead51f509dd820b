/**
 * Issue 7's end-to-end check: the sim node and the language policy node on the rtps transport,
 * each in its own process (`simbridge sim --transport rtps`, `simbridge policy --transport rtps`),
 * complete a pick_place episode over real UDP inside a private network namespace made by the
 * test (no traffic leaves it). A third participant in the test watches /sim/status for the
 * sim's own verdict. Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildCyclonePeer } from './buildPeers.ts';
import { namespaceUnavailable, runInNamespace } from './netns.ts';

const noNamespace = namespaceUnavailable();
/** pick_place seed 16 has a red block and a blue bowl (`simbridge run --task pick_place --seed 16 --dry-run`). */
const SEED = '16';
const INSTRUCTION = 'put the red block in the blue bowl';
const POLICY_TIMEOUT_S = 80;

describe.skipIf(noNamespace !== undefined)(
  `pick_place over the rtps transport${noNamespace ? ` (skipped: ${noNamespace})` : ''}`,
  () => {
    it('sim and policy in separate processes complete "put the red block in the blue bowl"', async () => {
      const out = JSON.parse(
        (
          await runInNamespace(
            'test/interop/episodeWorker.ts',
            [SEED, INSTRUCTION, String(POLICY_TIMEOUT_S), buildCyclonePeer()],
            (POLICY_TIMEOUT_S + 60) * 1000,
          )
        )
          .trim()
          .split('\n')
          .at(-1)!,
      ) as {
        ok: boolean;
        error?: string;
        policyCode: number;
        policyOutput: string;
        simCode: number;
        simOutput: string;
        simSuccess: boolean;
        lastChecks: Record<string, unknown>;
        statusCount: number;
        participantsSeen: number;
        nodes: string[];
        participantsAfter: number;
        cycloneNodeLines: string[];
        watcherStats: { datagramsDropped: number; lastDropReason: string };
      };
      if (!out.ok) throw new Error(`${out.error}\n${out.simOutput}`);
      expect(out.policyOutput).toContain('over rtps');
      expect(out.policyOutput).toContain('(simbridge sim)');
      expect(out.policyOutput).toContain('result: SUCCESS');
      expect(out.policyCode).toBe(0);
      // The sim's own checks, read off the wire by a third participant.
      expect(out.simSuccess).toBe(true);
      expect(out.lastChecks['success']).toBe(true);
      // The sim, the policy and the Cyclone participant that reads ros_discovery_info.
      expect(out.participantsSeen).toBe(3);
      // As `ros2 node list` would list them (ros_discovery_info): each graph node its own entry.
      expect(out.nodes).toEqual(
        expect.arrayContaining([
          'episode_watcher',
          'sim',
          'language_policy',
          'simbridge_cli',
          'cyclone_node',
        ]),
      );
      // ... and as Cyclone DDS decodes them (idlc's types for rmw_dds_common, Humble layout):
      // the sim node in one participant, the policy's nodes in another, each with its own
      // readers and writers.
      const entries = out.cycloneNodeLines.map((line) => {
        const m = /^participant ([0-9a-f]{32}) node (\S+) (\S+) readers (\d+) writers (\d+)$/.exec(line);
        if (!m) throw new Error(`unexpected line from cyclone_peer: ${line}`);
        return {
          participant: m[1]!,
          namespace: m[2]!,
          name: m[3]!,
          readers: Number(m[4]),
          writers: Number(m[5]),
        };
      });
      const last = (name: string) => entries.filter((e) => e.name === name).at(-1);
      const sim = last('sim');
      const policy = last('language_policy');
      const cli = last('simbridge_cli');
      expect(sim).toMatchObject({ namespace: '/' });
      expect(policy).toMatchObject({ namespace: '/' });
      expect(cli).toMatchObject({ namespace: '/', participant: policy!.participant, readers: 1, writers: 1 });
      expect(policy!.participant).not.toBe(sim!.participant);
      // The sim publishes /clock, /joint_states, /tf, ... and reads the controller topics.
      expect(sim!.writers).toBeGreaterThanOrEqual(5);
      expect(sim!.readers).toBeGreaterThanOrEqual(1);
      // The policy reads /robot_description, /joint_states, /detections, /instruction.
      expect(policy!.readers).toBeGreaterThanOrEqual(4);
      expect(policy!.writers).toBeGreaterThanOrEqual(1);
      expect(out.watcherStats.datagramsDropped, JSON.stringify(out.watcherStats)).toBe(0);
      // Both said goodbye (SPDP dispose) on the way out, well before their leases ran out.
      expect(out.participantsAfter).toBe(0);
      expect(out.simOutput).toContain('on rtps transport');
      expect(out.simOutput).toContain('sim: stopped at sim time');
      expect(out.simCode).toBe(0);
    }, 150_000);
  },
);
