/**
 * Our RTPS participant against Cyclone DDS 0.10 (the rmw_cyclonedds of ROS 2 Humble), both
 * directions, inside a private network namespace made by the test (no traffic leaves it).
 * Skips only when the namespace cannot be made (not root, no unshare).
 */
import { describe, expect, it } from 'vitest';
import { buildCyclonePeer } from './buildPeers.ts';
import { namespaceUnavailable } from './netns.ts';
import { runScenario } from './runScenario.ts';

const noNamespace = namespaceUnavailable();

let peer: string | undefined;
function run(scenario: string) {
  peer ??= buildCyclonePeer();
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
  `rtps interop with Cyclone DDS${noNamespace ? ` (skipped: ${noNamespace})` : ''}`,
  () => {
    it('sends std_msgs/String on rt/chatter-style topics to a Cyclone reader, all 20 in order', async () => {
      const out = await run('to:string');
      expect(out.result.peerReceived).toEqual(
        Array.from({ length: 20 }, (_, i) => `hello from simbridge ${i}`),
      );
    });

    it('receives std_msgs/String from a Cyclone writer, all 20 in order', async () => {
      const out = await run('from:string');
      expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => `hello from cyclone ${i}`));
    });

    it('sends sensor_msgs/JointState to Cyclone', async () => {
      const out = await run('to:joint');
      expect(out.result.peerReceived).toEqual(Array.from({ length: 20 }, (_, i) => joint(i)));
    });

    it('receives sensor_msgs/JointState from Cyclone', async () => {
      const out = await run('from:joint');
      expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => joint(i)));
    });

    it('serves the last transient-local sample to a late-joining Cyclone reader', async () => {
      const out = await run('to:string:latched');
      expect(out.result.peerReceived).toEqual(['hello from simbridge 1']);
    });

    it('gets the last transient-local sample from a Cyclone writer when it joins late', async () => {
      const out = await run('from:string:latched');
      expect(out.result.weReceived).toEqual(['hello from cyclone 1']);
    });

    it('sends 921,600-byte rgb8 Images as DATA_FRAG that Cyclone reassembles', async () => {
      const out = await run('to:image');
      expect(out.result.peerReceived).toEqual(IMAGES);
    });

    it("reassembles Cyclone's fragmented 921,600-byte Images", async () => {
      const out = await run('from:image');
      expect(out.result.weReceived).toEqual(IMAGES);
    });

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

    it('calls a Cyclone std_srvs/SetBool server over rq/…Request and rr/…Reply with the request id', async () => {
      const out = await run('service');
      expect(out.result.replies).toEqual([
        { clientId: '1122334455667788', seq: 1, success: true, message: 'set to true (request 1)' },
        { clientId: '1122334455667788', seq: 2, success: false, message: 'set to false (request 2)' },
      ]);
    });
  },
);
