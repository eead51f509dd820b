/**
 * Issue 7's end-to-end check: the sim node and the language policy node on the rtps transport,
 * each in its own process (`simbridge sim --transport rtps`, `simbridge policy --transport rtps`),
 * complete a pick_place episode over real UDP inside a private network namespace made by the
 * test (no traffic leaves it). A third participant in the test watches /sim/status for the
 * sim's own verdict. Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
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
            [SEED, INSTRUCTION, String(POLICY_TIMEOUT_S)],
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
        watcherStats: { datagramsDropped: number };
      };
      if (!out.ok) throw new Error(`${out.error}\n${out.simOutput}`);
      expect(out.policyOutput).toContain('over rtps');
      expect(out.policyOutput).toContain('(simbridge sim)');
      expect(out.policyOutput).toContain('result: SUCCESS');
      expect(out.policyCode).toBe(0);
      // The sim's own checks, read off the wire by a third participant.
      expect(out.simSuccess).toBe(true);
      expect(out.lastChecks['success']).toBe(true);
      expect(out.participantsSeen).toBe(2);
      // As `ros2 node list` would list them (ros_discovery_info).
      expect([...out.nodes].sort()).toEqual(['episode_watcher', 'simbridge_policy', 'simbridge_sim']);
      expect(out.watcherStats.datagramsDropped).toBe(0);
      // Both said goodbye (SPDP dispose) on the way out, well before their leases ran out.
      expect(out.participantsAfter).toBe(0);
      expect(out.simOutput).toContain('on rtps transport');
      expect(out.simOutput).toContain('sim: stopped at sim time');
      expect(out.simCode).toBe(0);
    }, 150_000);
  },
);
