/**
 * ros_discovery_info (rmw_dds_common/msg/ParticipantEntitiesInfo, Humble layout): the bytes we
 * write, reading them back, refusing hostile ones, and two transports seeing each other's nodes.
 * The Cyclone interop test checks the layout against idlc's own decoder.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext, msgsValidator, QOS_DEFAULT } from '../../src/graph/index.ts';
import {
  DISCOVERY_INFO_QOS,
  DISCOVERY_INFO_TOPIC,
  DISCOVERY_INFO_TYPE,
  decodeParticipantEntitiesInfo,
  encodeParticipantEntitiesInfo,
  type ParticipantEntitiesInfo,
} from '../../src/transports/rtps/DiscoveryInfo.ts';
import { RtpsTransport } from '../../src/transports/rtps/RtpsTransport.ts';
import { waitFor } from './rtpsHelpers.ts';

const PREFIX = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const hexPrefix = '0102030405060708090a0b0c';

const transports: RtpsTransport[] = [];
let nextDomain = 180 + (process.pid % 40);

/** Transports on a domain of their own, discovering each other by unicast on loopback. */
function pair(): (nodeName: string) => Promise<RtpsTransport> {
  const domainId = nextDomain++;
  return (nodeName) =>
    RtpsTransport.create({
      domainId,
      multicast: false,
      peers: ['127.0.0.1'],
      announcePeriodMs: 200,
      nodeName,
    }).then((t) => {
      transports.push(t);
      return t;
    });
}
afterEach(() => {
  for (const t of transports.splice(0)) t.destroy();
});

describe('ros_discovery_info', () => {
  it('lays out a ParticipantEntitiesInfo as CDR with 24-byte Gids', () => {
    const bytes = encodeParticipantEntitiesInfo(PREFIX, [
      { namespace: '/', name: 'ab', readers: [0x104], writers: [] },
    ]);
    // encapsulation, gid (16 GUID + 8 zero), node count, "/" (len 2), "ab" (len 3, padded), 1 reader, 0 writers
    const expected = [
      ...[0, 1, 0, 0],
      ...PREFIX,
      ...[0, 0, 1, 0xc1],
      ...new Array(8).fill(0),
      ...[1, 0, 0, 0],
      ...[2, 0, 0, 0, 0x2f, 0, 0, 0],
      ...[3, 0, 0, 0, 0x61, 0x62, 0, 0],
      ...[1, 0, 0, 0, ...PREFIX, 0, 0, 1, 4, ...new Array(8).fill(0)],
      ...[0, 0, 0, 0],
    ];
    expect([...bytes]).toEqual(expected);
  });

  it('reads back what it writes', () => {
    const bytes = encodeParticipantEntitiesInfo(PREFIX, [
      { namespace: '/arm', name: 'sim', readers: [0x104, 0x204], writers: [0x303] },
      { namespace: '/', name: 'policy', readers: [], writers: [0x403] },
    ]);
    expect(decodeParticipantEntitiesInfo(bytes)).toEqual({
      participant: `${hexPrefix}000001c1`,
      nodes: [
        {
          namespace: '/arm',
          name: 'sim',
          readers: [`${hexPrefix}00000104`, `${hexPrefix}00000204`],
          writers: [`${hexPrefix}00000303`],
        },
        { namespace: '/', name: 'policy', readers: [], writers: [`${hexPrefix}00000403`] },
      ],
    });
  });

  it('names what is wrong with a truncated or lying sample, and never throws', () => {
    const good = encodeParticipantEntitiesInfo(PREFIX, [
      { namespace: '/', name: 'n', readers: [], writers: [] },
    ]);
    expect(decodeParticipantEntitiesInfo(good.subarray(0, 30))).toMatch(
      /^ParticipantEntitiesInfo: node_entities_info_seq length at offset 28 runs past 30 bytes$/,
    );
    const lying = good.slice();
    lying.set([0xff, 0xff, 0xff, 0x7f], 28); // node count 2^31-1
    expect(decodeParticipantEntitiesInfo(lying)).toMatch(/node count 2147483647 exceeds the payload/);
    expect(decodeParticipantEntitiesInfo(Uint8Array.from([0, 3, 0, 0]))).toBe('not a plain CDR payload');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (noise, at) => {
        const mutated = good.slice();
        mutated.set(
          noise.subarray(0, Math.max(0, mutated.length - Math.min(at, mutated.length))),
          Math.min(at, mutated.length),
        );
        const r = decodeParticipantEntitiesInfo(mutated);
        expect(typeof r === 'string' || Array.isArray(r.nodes)).toBe(true);
        const raw = decodeParticipantEntitiesInfo(Uint8Array.from([0, 1, 0, 0, ...noise]));
        expect(typeof raw === 'string' || Array.isArray(raw.nodes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("two transports list each other's nodes, and forget one that leaves", async () => {
    const mk = pair();
    const sim = await mk('simbridge_sim');
    const policy = await mk('simbridge_policy');
    sim.advertise({ topic: '/joint_states', type: 'sensor_msgs/msg/JointState', qos: QOS_DEFAULT });
    await waitFor(() => sim.nodeNames().length === 2, 5000, 'the policy node at the sim');
    expect(sim.nodeNames()).toEqual([
      { name: 'simbridge_sim', namespace: '/' },
      { name: 'simbridge_policy', namespace: '/' },
    ]);
    await waitFor(() => policy.nodeNames().length === 2, 5000, 'the sim node at the policy');
    policy.destroy();
    await waitFor(() => sim.nodeNames().length === 1, 5000, 'the policy node gone');
  });

  it('announces each graph node as its own entry, with the GUIDs of its own readers and writers', async () => {
    const mk = pair();
    const ours = await mk('unused_default');
    const watcher = await mk('watcher');
    // The last ros_discovery_info sample of `ours`, read off the wire.
    let last: ParticipantEntitiesInfo | undefined;
    const oursPrefix = ours.participant.key.slice(0, 24);
    watcher.participant.createReader(
      DISCOVERY_INFO_TOPIC,
      DISCOVERY_INFO_TYPE,
      { ...DISCOVERY_INFO_QOS, depth: 100 },
      (payload, info) => {
        const decoded = decodeParticipantEntitiesInfo(payload!);
        if (typeof decoded !== 'string' && info.writerKey.startsWith(oursPrefix)) last = decoded;
      },
    );
    const validator = await msgsValidator();
    const context = createContext({ transport: ours, validator, codec: validator });
    const sim = context.createNode('sim');
    sim.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
    sim.createSubscription('std_msgs/msg/String', 'instruction', QOS_DEFAULT, () => {});
    sim.createService('std_srvs/srv/SetBool', 'sim/pause', () => ({ success: true, message: '' }));
    const policy = context.createNode('policy', { namespace: '/arm' });
    policy.createSubscription('sensor_msgs/msg/JointState', '/joint_states', QOS_DEFAULT, () => {});
    policy.createClient('std_srvs/srv/SetBool', '/sim/pause');
    const idle = context.createNode('idle');
    const summary = () =>
      last?.nodes.map((n) => `${n.namespace} ${n.name} r${n.readers.length} w${n.writers.length}`) ?? [];
    const expected = [
      '/ sim r2 w2', // instruction + /sim/pause requests; joint_states + /sim/pause replies
      '/arm policy r2 w1', // joint_states + /sim/pause replies; /sim/pause requests
      '/ idle r0 w0',
    ];
    await waitFor(() => summary().join() === expected.join(), 5000, `nodes ${expected.join(', ')}`);
    // Every GID is one of ours, and no endpoint is listed twice.
    const gids = last!.nodes.flatMap((n) => [...n.readers, ...n.writers]);
    expect(new Set(gids).size).toBe(4 + 3);
    for (const g of gids) expect(g.slice(0, 24)).toBe(oursPrefix);
    expect(last!.participant).toBe(ours.participant.key);
    await waitFor(() => watcher.nodeNames().length === 4, 5000, 'our three nodes at the watcher');
    expect(watcher.nodeNames().slice(1)).toEqual([
      { name: 'sim', namespace: '/' },
      { name: 'policy', namespace: '/arm' },
      { name: 'idle', namespace: '/' },
    ]);
    idle.destroy();
    policy.destroy();
    await waitFor(() => summary().join() === expected[0], 5000, 'only /sim left');
    context.destroy();
  });
});
