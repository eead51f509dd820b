/**
 * Our RTPS participant against Fast DDS 2.9 (the DDS under rmw_fastrtps), both directions, inside
 * a private network namespace made by the test (no traffic leaves it). The peer's ROS 2 types
 * are written by hand with Fast CDR (peers/fastdds_peer.cpp). Skips only when the namespace
 * cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildFastddsPeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import { runScenario } from './runScenario.ts';

const noNamespace = namespaceUnavailable();

let peer: string | undefined;
function run(scenario: string) {
  peer ??= buildFastddsPeer();
  return runScenario(peer, scenario);
}

const joint = (i: number) => `base 7 panda_joint7 ${i.toFixed(3)} ${(i + 0.75).toFixed(3)}`;
// FNV-1a of the 921,600 pixel bytes (k * 7 + i) & 0xff, as both sides compute it.
const IMAGES = [
  '640x480 rgb8 1920 921600 894e4dc5',
  '640x480 rgb8 1920 921600 03e43dc5',
  '640x480 rgb8 1920 921600 7ae23dc5',
];

describe.skipIf(noNamespace !== undefined)(
  `rtps interop with Fast DDS${noNamespace ? ` (skipped: ${noNamespace})` : ''}`,
  () => {
    it('sends std_msgs/String to a Fast DDS reader, all 20 in order', async () => {
      const out = await run('to:string');
      expect(out.result.peerReceived).toEqual(
        Array.from({ length: 20 }, (_, i) => `hello from simbridge ${i}`),
      );
    }, 90_000);

    it('receives std_msgs/String from a Fast DDS writer, all 20 in order', async () => {
      const out = await run('from:string');
      expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => `hello from fastdds ${i}`));
    });

    it('sends sensor_msgs/JointState to Fast DDS', async () => {
      const out = await run('to:joint');
      expect(out.result.peerReceived).toEqual(Array.from({ length: 20 }, (_, i) => joint(i)));
    });

    it('receives sensor_msgs/JointState from Fast DDS', async () => {
      const out = await run('from:joint');
      expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => joint(i)));
    });

    it('serves the last transient-local sample to a late-joining Fast DDS reader', async () => {
      const out = await run('to:string:latched');
      expect(out.result.peerReceived).toEqual(['hello from simbridge 1']);
    });

    it('gets the last transient-local sample from a Fast DDS writer when it joins late', async () => {
      const out = await run('from:string:latched');
      expect(out.result.weReceived).toEqual(['hello from fastdds 1']);
    });

    it('sends 921,600-byte rgb8 Images as DATA_FRAG that Fast DDS reassembles', async () => {
      const out = await run('to:image');
      expect(out.result.peerReceived).toEqual(IMAGES);
    });

    it("reassembles Fast DDS's fragmented 921,600-byte Images", async () => {
      const out = await run('from:image');
      expect(out.result.weReceived).toEqual(IMAGES);
    });

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
  },
);
