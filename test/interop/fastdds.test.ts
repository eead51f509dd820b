/**
 * Our RTPS participant against Fast DDS 2.9 (the DDS under rmw_fastrtps), both directions, inside
 * a private network namespace made by the test (no traffic leaves it). The peer's ROS 2 types
 * are written by hand with Fast CDR (peers/fastdds_peer.cpp). Skips only when the namespace
 * cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildFastddsPeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import {
  actionCallScenario,
  actionCancelScenario,
  actionServeScenario,
  scenarioRunner,
  topicScenarios,
} from './runScenario.ts';

const noNamespace = namespaceUnavailable();
const run = scenarioRunner(() => buildFastddsPeer());

describe.skipIf(noNamespace !== undefined)(
  `rtps interop with Fast DDS${noNamespace ? ` (skipped: ${noNamespace})` : ''}`,
  () => {
    // The first test builds the peer (about 15 s of g++).
    topicScenarios({ name: 'fastdds', label: 'Fast DDS', firstTimeoutMs: 90_000 }, run);

    it('calls a Fast DDS SetBool server in the rmw_fastrtps convention (sample identity in inline QoS)', async () => {
      const out = await run('call');
      expect(out.result.replies).toEqual([
        { success: true, message: 'set to true (request 1)' },
        { success: false, message: 'set to false (request 2)' },
      ]);
      // Each request named our reply reader (a user reader: entity kind 0x04) for the answer.
      expect(out.result.served).toHaveLength(2);
      for (const line of out.result.served!)
        expect(line).toMatch(/^served [12] reply-to [0-9a-f]{24}[0-9a-f]{6}04$/);
    });

    it("answers a Fast DDS SetBool client's requests, naming each by its sample identity", async () => {
      const out = await run('serve');
      expect(out.result.requests).toEqual([
        { data: true, sequenceNumber: 1 },
        { data: false, sequenceNumber: 2 },
      ]);
      // The peer accepts a reply only when its related sample identity is the request's.
      expect(out.result.peerReceived).toEqual([
        'reply 1 true simbridge set to true (request 1)',
        'reply 2 false simbridge set to false (request 2)',
      ]);
    });

    // ROS 2 Humble's default RMW is rmw_fastrtps: a real gripper controller's action server is
    // most often this. The peer serves rcl_action's send_goal, cancel_goal and get_result services
    // in the rmw_fastrtps convention, the feedback topic and the transient-local status topic.
    actionCallScenario('Fast DDS', run);
    // Its client waits for all five channels to match (send_goal, cancel_goal, get_result services;
    // feedback, status topics), as rcl_action_server_is_available, then goes on as Cyclone's does.
    actionServeScenario('Fast DDS', run);
    actionCancelScenario('Fast DDS', run);
  },
);
