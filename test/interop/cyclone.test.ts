/**
 * Our RTPS participant against Cyclone DDS 0.10 (the rmw_cyclonedds of ROS 2 Humble), both
 * directions, inside a private network namespace made by the test (no traffic leaves it).
 * Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildCyclonePeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import { scenarioRunner, topicScenarios } from './runScenario.ts';

const noNamespace = namespaceUnavailable();
const run = scenarioRunner(() => buildCyclonePeer());

describe.skipIf(noNamespace !== undefined)(
  `rtps interop with Cyclone DDS${noNamespace ? ` (skipped: ${noNamespace})` : ''}`,
  () => {
    topicScenarios({ name: 'cyclone', label: 'Cyclone' }, run);

    it('calls a Cyclone SetBool server through the transport, in the rmw_cyclonedds convention', async () => {
      const out = await run('call');
      expect(out.result.replies).toEqual([
        { success: true, message: 'set to true (request 1)' },
        { success: false, message: 'set to false (request 2)' },
      ]);
      expect(out.result.served).toEqual(['served 1', 'served 2']);
    });

    it("answers a Cyclone SetBool client's requests with its client id and sequence number", async () => {
      const out = await run('serve');
      expect(out.result.requests).toEqual([
        { data: true, sequenceNumber: 1 },
        { data: false, sequenceNumber: 2 },
      ]);
      expect(out.result.peerReceived).toEqual([
        'reply 1 true simbridge set to true (request 1)',
        'reply 2 false simbridge set to false (request 2)',
      ]);
    });

    it("announces its node on ros_discovery_info (what `ros2 node list` reads) and lists Cyclone's", async () => {
      const out = (await run('nodes')) as Awaited<ReturnType<typeof run>> & {
        result: { participantGuid: string; nodes: { name: string; namespace: string }[] };
      };
      // Publisher + service reply writer; subscription + service request reader.
      expect(out.result.peerReceived).toEqual([
        `participant ${out.result.participantGuid} node /robot simbridge_test readers 2 writers 2`,
      ]);
      expect(out.result.nodes).toEqual([
        { name: 'simbridge_test', namespace: '/robot' },
        { name: 'cyclone_node', namespace: '/' },
      ]);
    });

    it("serves a Cyclone GripperCommand action client over rcl_action's services and topics", async () => {
      const out = (await run('action')) as Awaited<ReturnType<typeof run>> & {
        result: { goals: { goalId: string; position: number; maxEffort: number }[] };
      };
      // What the peer sent, as our graph action server got it: the goal id and the command.
      expect(out.result.goals).toEqual([
        { goalId: '101112131415161718191a1b1c1d1e1f', position: 0.04, maxEffort: 40 },
      ]);
      const lines = out.result.peerReceived!;
      const of = (kind: string) => lines.filter((l) => l.startsWith(kind));
      expect(of('accepted')).toEqual(['accepted true']);
      expect(of('feedback')).toEqual(['feedback 0.000', 'feedback 0.020', 'feedback 0.036']);
      // The transient-local status topic: accepted, executing, succeeded (action_msgs/GoalStatus codes).
      expect(of('status')).toEqual(['status 1', 'status 2', 'status 4']);
      expect(lines.at(-1)).toBe('result 4 0.040 true');
    });

    it('sends a GripperCommand goal to a Cyclone action server, as the policy drives a gripper controller', async () => {
      const out = (await run('action_call')) as Awaited<ReturnType<typeof run>> & {
        result: { goalId: string; accepted: boolean; feedback: number[]; status: number; result: unknown };
      };
      expect(out.result.accepted).toBe(true);
      expect(out.result.peerReceived).toEqual([`goal ${out.result.goalId} 0.080`]);
      expect(out.result.feedback.map((p) => p.toFixed(3))).toEqual(['0.020', '0.040', '0.060']);
      expect(out.result.status).toBe(4);
      expect(out.result.result).toEqual({ position: 0.08, effort: 2, stalled: false, reached_goal: true });
    });

    it('calls a Cyclone std_srvs/SetBool server over rq/…Request and rr/…Reply with the request id', async () => {
      const out = await run('service');
      expect(out.result.replies).toEqual([
        { clientId: '1122334455667788', seq: 1, success: true, message: 'set to true (request 1)' },
        { clientId: '1122334455667788', seq: 2, success: false, message: 'set to false (request 2)' },
      ]);
    });
  },
);
