/**
 * Our RTPS participant against Cyclone DDS 0.10 (the rmw_cyclonedds of ROS 2 Humble), both
 * directions, inside a private network namespace made by the test (no traffic leaves it).
 * Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildCyclonePeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import {
  actionCallScenario,
  actionCancelScenario,
  actionServeScenario,
  scenarioRunner,
  topicScenarios,
} from './runScenario.ts';

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

    // The peer's client waits until all five channels match (send_goal, cancel_goal, get_result
    // services; feedback, status topics), as rcl_action_server_is_available: each matches only
    // with the DDS topic and type names and QoS rcl_action uses (status: transient local).
    actionServeScenario('Cyclone', run);

    actionCancelScenario('Cyclone', run);

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
