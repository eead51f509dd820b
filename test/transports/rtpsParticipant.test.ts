/**
 * Two of our participants in one process, on 127.0.0.1, multicast off, discovering each other
 * through unicast peers. Each test uses its own domain id so the ports never collide.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Participant, rtpsPorts } from '../../src/transports/rtps/Participant.ts';
import type { IncompatibleQosEvent, QosProfile } from '../../src/transports/Transport.ts';
import { waitFor } from './rtpsHelpers.ts';

const RELIABLE: QosProfile = {
  reliability: 'reliable',
  durability: 'volatile',
  history: 'keep_last',
  depth: 10,
};
const LATCHED: QosProfile = {
  reliability: 'reliable',
  durability: 'transient_local',
  history: 'keep_last',
  depth: 1,
};
const BEST_EFFORT: QosProfile = {
  reliability: 'best_effort',
  durability: 'volatile',
  history: 'keep_last',
  depth: 5,
};
const TYPE = 'std_msgs::msg::dds_::String_';

let nextDomain = 150 + (process.pid % 40);
const open: Participant[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.destroy();
});

async function pair(options: { leaseDurationSeconds?: number } = {}): Promise<[Participant, Participant]> {
  const domainId = nextDomain++;
  const mk = () =>
    Participant.create({
      domainId,
      multicast: false,
      peers: ['127.0.0.1'],
      announcePeriodMs: 200,
      ...options,
    });
  const a = await mk();
  const b = await mk();
  open.push(a, b);
  await waitFor(() => a.participants.size === 1 && b.participants.size === 1, 5000, 'SPDP discovery');
  return [a, b];
}

function cdrString(s: string): Uint8Array {
  const text = new TextEncoder().encode(s);
  const out = new Uint8Array(8 + text.length + 1);
  out.set([0, 1, 0, 0]);
  new DataView(out.buffer).setUint32(4, text.length + 1, true);
  out.set(text, 8);
  return out;
}

describe('rtps participant (unicast, two participants)', () => {
  it('discovers the other participant with its enclave USER_DATA and standard ports', async () => {
    const [a, b] = await pair();
    const seen = [...a.participants.values()][0]!;
    expect(seen.userData).toBe('enclave=/;');
    expect(seen.metaLocators[0]?.port).toBe(rtpsPorts(b.domainId, b.participantId).metaUnicast);
    expect(seen.userLocators[0]?.port).toBe(rtpsPorts(b.domainId, b.participantId).userUnicast);
  });

  it('delivers reliable samples in order, matched through SEDP', async () => {
    const [a, b] = await pair();
    const got: string[] = [];
    b.createReader('rt/chatter', TYPE, RELIABLE, (p) =>
      got.push(new TextDecoder().decode(p!.subarray(8, -1))),
    );
    const w = a.createWriter('rt/chatter', TYPE, RELIABLE);
    await waitFor(() => w.readers.size === 1, 5000, 'writer matched the remote reader');
    for (let i = 0; i < 200; i++) w.write(cdrString(`hello ${i}`));
    await waitFor(() => got.length === 200, 5000, '200 samples');
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `hello ${i}`));
    await waitFor(() => w.allAcknowledged(), 5000, 'acknowledged');
  });

  it('gives a transient-local late joiner the last sample', async () => {
    const [a, b] = await pair();
    const w = a.createWriter('rt/robot_description', TYPE, LATCHED);
    w.write(cdrString('<robot name="old"/>'));
    w.write(cdrString('<robot name="panda"/>'));
    const got: string[] = [];
    b.createReader('rt/robot_description', TYPE, LATCHED, (p) =>
      got.push(new TextDecoder().decode(p!.subarray(8, -1))),
    );
    await waitFor(() => got.length === 1, 5000, 'late-joiner sample');
    expect(got).toEqual(['<robot name="panda"/>']);
  });

  it('reports, on both ends of the wire, a reliable subscription against a best-effort publisher', async () => {
    const [a, b] = await pair();
    const events: IncompatibleQosEvent[] = [];
    a.createWriter('rt/joint_states', TYPE, BEST_EFFORT, (e) => events.push(e));
    const r = b.createReader(
      'rt/joint_states',
      TYPE,
      RELIABLE,
      () => {},
      (e) => events.push(e),
    );
    await waitFor(() => events.length >= 1, 5000, 'incompatible QoS event');
    expect(events[0]).toMatchObject({
      lastPolicyKind: 'reliability',
      reason: 'reliable subscription vs best_effort publisher',
    });
    expect(r.writers.size).toBe(0);
  });

  it('fragments and reassembles a 921,600-byte image payload', async () => {
    const [a, b] = await pair();
    const image = new Uint8Array(921_600 + 4);
    image.set([0, 1, 0, 0]);
    for (let i = 4; i < image.length; i++) image[i] = (i * 31) & 0xff;
    const got: Uint8Array[] = [];
    b.createReader('rt/camera/color/image_raw', 'sensor_msgs::msg::dds_::Image_', RELIABLE, (p) =>
      got.push(p!),
    );
    const w = a.createWriter('rt/camera/color/image_raw', 'sensor_msgs::msg::dds_::Image_', RELIABLE);
    await waitFor(() => w.readers.size === 1, 5000, 'matched');
    for (let i = 0; i < 3; i++) w.write(image);
    await waitFor(() => got.length === 3, 10_000, 'three images');
    for (const g of got) expect(Buffer.compare(g, image)).toBe(0);
  });

  it('removes a participant whose lease expires, with its endpoints', async () => {
    const [a, b] = await pair({ leaseDurationSeconds: 1 });
    b.createWriter('rt/chatter', TYPE, RELIABLE);
    await waitFor(() => a.remoteEndpoints.size === 1, 5000, 'endpoint discovered');
    b.destroy();
    await waitFor(
      () => a.participants.size === 0 && a.remoteEndpoints.size === 0,
      5000,
      'lease expiry or dispose',
    );
  });

  it('drops and counts hostile datagrams on its sockets and keeps working', async () => {
    const [a, b] = await pair();
    const sock = dgram.createSocket('udp4');
    const port = rtpsPorts(a.domainId, a.participantId).userUnicast;
    const samples = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 200 }), 200);
    const rtpsish = fc.sample(fc.uint8Array({ minLength: 24, maxLength: 200 }), 200).map((u) => {
      u.set([0x52, 0x54, 0x50, 0x53, 2, 1], 0);
      return u;
    });
    for (const d of [...samples, ...rtpsish])
      await new Promise((res) => sock.send(d, port, '127.0.0.1', res));
    sock.close();
    await waitFor(() => a.stats.datagramsDropped >= 200, 5000, 'drops counted');
    expect(a.stats.lastDropReason).toMatch(/from 127\.0\.0\.1/);
    // Still works afterwards.
    const got: string[] = [];
    a.createReader('rt/after', TYPE, RELIABLE, (p) => got.push(new TextDecoder().decode(p!.subarray(8, -1))));
    const w = b.createWriter('rt/after', TYPE, RELIABLE);
    await waitFor(() => w.readers.size === 1, 5000, 'matched after garbage');
    w.write(cdrString('still alive'));
    await waitFor(() => got.length === 1, 5000, 'sample after garbage');
  });

  it('refuses an address that is not one of this host, naming it, and frees the ports it bound', async () => {
    const domainId = nextDomain++;
    // Multicast on: joining 239.255.0.1 on that address fails before anything is sent.
    await expect(Participant.create({ domainId, address: '203.0.113.7' })).rejects.toThrow(
      /cannot join 239\.255\.0\.1 on 203\.0\.113\.7 .*address of an interface of this host/,
    );
    const p = await Participant.create({ domainId, multicast: false });
    open.push(p);
    expect(p.participantId).toBe(0); // index 0's ports were released
  });
});
