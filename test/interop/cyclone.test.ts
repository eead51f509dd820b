/**
 * Our RTPS participant against Cyclone DDS 0.10 (the rmw_cyclonedds of ROS 2 Humble), both
 * directions, inside a private network namespace made by the test (no traffic leaves it).
 * Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildCyclonePeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import { actionCallScenario, scenarioRunner, topicScenarios } from './runScenario.ts';

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

    type ActionOutcome = Awaited<ReturnType<typeof run>> & {
      result: { goals: { goalId: string; position: number; maxEffort: number; cancelRequested: boolean }[] };
    };
    /** The peer's fixed goal id (16 bytes 0x10..0x1f), as 32 hex digits. */
    const PEER_GOAL_ID = '101112131415161718191a1b1c1d1e1f';

    // The peer's client waits until all five channels match (send_goal, cancel_goal, get_result
    // services; feedback, status topics), as rcl_action_server_is_available: each matches only
    // with the DDS topic and type names and QoS rcl_action uses (status: transient local).
    it("serves a Cyclone GripperCommand action client over rcl_action's services and topics", async () => {
      const out = (await run('action')) as ActionOutcome;
      // What the peer sent, as our graph action server got it: the goal id and the command.
      expect(out.result.goals).toEqual([
        { goalId: PEER_GOAL_ID, position: 0.04, maxEffort: 40, cancelRequested: false },
      ]);
      const lines = out.result.peerReceived!;
      const of = (kind: string) => lines.filter((l) => l.startsWith(kind));
      expect(of('accepted')).toEqual(['accepted true']);
      expect(of('feedback')).toEqual(['feedback 0.000', 'feedback 0.020', 'feedback 0.036']);
      // What an rclcpp (ACCEPT_AND_EXECUTE) or rclpy server publishes for a goal it runs at once:
      // EXECUTING, then SUCCEEDED (action_msgs/GoalStatus codes); no ACCEPTED status of its own.
      expect(of('status')).toEqual(['status 2', 'status 4']);
      expect(of('result')).toEqual(['result 4 0.040 true']);
      expect(of('cancel')).toEqual([]);
      // A status reader that joins after the goal ends gets the last status array and only that:
      // the status writer is transient local, keep last 1 (rcl_action_qos_profile_status_default).
      expect(lines.filter((l) => l.startsWith('late'))).toEqual(['late status 4']);
      expect(lines.at(-1)).toBe('late status 4');
    });

    it('cancels a goal for a Cyclone action client over cancel_goal (action_msgs/srv/CancelGoal)', async () => {
      const out = (await run('action:cancel')) as ActionOutcome;
      expect(out.result.goals).toEqual([
        { goalId: PEER_GOAL_ID, position: 0.04, maxEffort: 40, cancelRequested: true },
      ]);
      const lines = out.result.peerReceived!;
      const of = (kind: string) => lines.filter((l) => l.startsWith(kind));
      expect(of('accepted')).toEqual(['accepted true']);
      expect(of('feedback')).toEqual(['feedback 0.010']);
      // ERROR_NONE (0), with the one goal now canceling in goals_canceling.
      expect(of('cancel')).toEqual([`cancel 0 ${PEER_GOAL_ID}`]);
      // EXECUTING, CANCELING, CANCELED.
      expect(of('status')).toEqual(['status 2', 'status 3', 'status 5']);
      expect(lines.at(-1)).toBe('result 5 0.010 false');
    });

    actionCallScenario('Cyclone', run);

    it('calls a Cyclone std_srvs/SetBool server over rq/…Request and rr/…Reply with the request id', async () => {
      const out = await run('service');
      expect(out.result.replies).toEqual([
        { clientId: '1122334455667788', seq: 1, success: true, message: 'set to true (request 1)' },
        { clientId: '1122334455667788', seq: 2, success: false, message: 'set to false (request 2)' },
      ]);
    });
  },
);
