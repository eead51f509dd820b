/**
 * One interop scenario between our RTPS participant and a peer program, run inside a private
 * network namespace by the interop tests (see netns.ts): prints one JSON line with what each
 * side received, and the test asserts on it.
 *
 *   node --import tsx test/interop/scenario.ts <scenario> <peer-binary>
 */
import { createContext, msgsValidator } from '../../src/graph/index.ts';
import { decodeCdr, encodeCdr } from '../../src/msgs/index.ts';
import type { Participant } from '../../src/transports/rtps/Participant.ts';
import { RtpsTransport } from '../../src/transports/rtps/RtpsTransport.ts';
import type { QosProfile } from '../../src/transports/Transport.ts';
import { PeerProcess } from './peerProcess.ts';

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
const STRING = 'std_msgs::msg::dds_::String_';
const JOINT = 'sensor_msgs::msg::dds_::JointState_';
const IMAGE = 'sensor_msgs::msg::dds_::Image_';
const TIMEOUT = 15_000;

const [scenario, peerBinary] = process.argv.slice(2) as [string, string];

async function until(check: () => boolean, what: string, timeoutMs = TIMEOUT): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function jointState(i: number) {
  return {
    header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'base' },
    name: Array.from({ length: 7 }, (_, j) => `panda_joint${j + 1}`),
    position: Array.from({ length: 7 }, (_, j) => i + j * 0.125),
    velocity: Array.from({ length: 7 }, (_, j) => -j),
    effort: Array.from({ length: 7 }, (_, j) => 0.5 * j),
  };
}

function fnv1a(bytes: Uint8Array): string {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function image(i: number) {
  const data = new Uint8Array(640 * 480 * 3);
  for (let k = 0; k < data.length; k++) data[k] = (k * 7 + i) & 0xff;
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' },
    height: 480,
    width: 640,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: 640 * 3,
    data,
  };
}

type Kind = 'string' | 'joint' | 'image';
const ROS_TYPE: Record<Kind, string> = {
  string: 'std_msgs/msg/String',
  joint: 'sensor_msgs/msg/JointState',
  image: 'sensor_msgs/msg/Image',
};
const DDS_TYPE: Record<Kind, string> = { string: STRING, joint: JOINT, image: IMAGE };

function message(kind: Kind, i: number): Record<string, unknown> {
  if (kind === 'string') return { data: `hello from simbridge ${i}` };
  if (kind === 'joint') return jointState(i);
  return image(i);
}

/** Summarises a received sample as the peer prints its own. */
function summary(kind: Kind, msg: Record<string, unknown>): string {
  if (kind === 'string') return String(msg.data);
  if (kind === 'joint') {
    const m = msg as { header: { frame_id: string }; name: string[]; position: ArrayLike<number> };
    const pos = Array.from(m.position);
    return `${m.header.frame_id} ${m.name.length} ${m.name.at(-1)} ${pos[0]!.toFixed(3)} ${pos.at(-1)!.toFixed(3)}`;
  }
  const m = msg as { width: number; height: number; encoding: string; step: number; data: Uint8Array };
  return `${m.width}x${m.height} ${m.encoding} ${m.step} ${m.data.length} ${fnv1a(m.data)}`;
}

async function toPeer(p: Participant, kind: Kind, count: number, latched: boolean): Promise<unknown> {
  const topic = latched ? 'rt/robot_description' : `rt/${kind}`;
  const w = p.createWriter(topic, DDS_TYPE[kind], latched ? LATCHED : RELIABLE);
  if (latched) {
    // Published before the peer exists: it must arrive as a late joiner.
    w.write(encodeCdr(ROS_TYPE[kind], message(kind, 0)));
    w.write(encodeCdr(ROS_TYPE[kind], message(kind, 1)));
  }
  const peer = new PeerProcess(peerBinary, [
    'sub',
    kind,
    topic,
    String(latched ? 1 : count),
    latched ? 'transient' : 'volatile',
  ]);
  try {
    if (!latched) {
      await peer.waitLine((l) => l === 'matched', TIMEOUT, 'peer reader matched');
      await until(() => w.readers.size > 0, 'our writer matched the peer reader');
      for (let i = 0; i < count; i++) w.write(encodeCdr(ROS_TYPE[kind], message(kind, i)));
    }
    await peer.waitLine((l) => l.startsWith('done'), TIMEOUT, 'peer done');
    return { peerReceived: peer.lines.filter((l) => l !== 'matched' && !l.startsWith('done')) };
  } finally {
    peer.stop();
  }
}

async function fromPeer(p: Participant, kind: Kind, count: number, latched: boolean): Promise<unknown> {
  const topic = latched ? 'rt/robot_description' : `rt/${kind}`;
  const received: string[] = [];
  const subscribe = () =>
    p.createReader(topic, DDS_TYPE[kind], latched ? LATCHED : RELIABLE, (payload) => {
      received.push(summary(kind, decodeCdr(ROS_TYPE[kind], payload!) as Record<string, unknown>));
    });
  const peer = new PeerProcess(peerBinary, [
    'pub',
    kind,
    topic,
    String(latched ? 2 : count),
    latched ? 'transient' : 'volatile',
  ]);
  try {
    if (latched) {
      await peer.waitLine((l) => l === 'published', TIMEOUT, 'peer published');
      subscribe();
      await until(() => received.length >= 1, 'late-joiner sample');
      // Anything more would be a second, wrong delivery; give it a moment to show up.
      await until(() => p.remoteEndpoints.size > 0, 'peer endpoint known');
    } else {
      const r = subscribe();
      await until(() => received.length >= count, `${count} samples`).catch((err: Error) => {
        const lost = [...r.writers.values()].map((w) => w.next).join(',');
        throw new Error(
          `${err.message}; got ${received.length}: ${received.join(' | ')}; next SN per writer ${lost}; ` +
            `lost ${r.stats.samplesLost}`,
        );
      });
    }
    return { weReceived: received };
  } finally {
    peer.stop();
  }
}

async function serviceCall(p: Participant): Promise<unknown> {
  const peer = new PeerProcess(peerBinary, ['server', 'set_flag', '2']);
  const replies: { clientId: bigint; seq: bigint; success: boolean; message: string }[] = [];
  const rr = p.createReader(
    'rr/set_flagReply',
    'std_srvs::srv::dds_::SetBool_Response_',
    RELIABLE,
    (payload) => {
      const v = new DataView(payload!.buffer, payload!.byteOffset, payload!.byteLength);
      const clientId = v.getBigUint64(4, true);
      const seq = v.getBigInt64(12, true);
      const rest = decodeCdr(
        'std_srvs/srv/SetBool_Response',
        Uint8Array.from([0, 1, 0, 0, ...payload!.subarray(20)]),
      ) as {
        success: boolean;
        message: string;
      };
      replies.push({ clientId, seq, ...rest });
    },
  );
  const rq = p.createWriter('rq/set_flagRequest', 'std_srvs::srv::dds_::SetBool_Request_', RELIABLE);
  try {
    await peer.waitLine((l) => l === 'matched', TIMEOUT, 'server matched');
    await until(() => rq.readers.size > 0 && rr.writers.size > 0, 'request and reply topics matched');
    const clientId = 0x1122334455667788n;
    for (const [seq, data] of [
      [1n, true],
      [2n, false],
    ] as const) {
      const body = encodeCdr('std_srvs/srv/SetBool_Request', { data });
      const req = new Uint8Array(4 + 16 + body.length - 4);
      req.set(body.subarray(0, 4));
      const v = new DataView(req.buffer);
      v.setBigUint64(4, clientId, true);
      v.setBigInt64(12, seq, true);
      req.set(body.subarray(4), 20);
      rq.write(req);
    }
    await until(() => replies.length === 2, 'two replies');
    return { replies: replies.map((r) => ({ ...r, clientId: r.clientId.toString(16), seq: Number(r.seq) })) };
  } finally {
    peer.stop();
  }
}

/**
 * The transport's service client calls the peer's SetBool server twice (true, then false); the
 * transport picks the request-id convention (rmw_cyclonedds or rmw_fastrtps) from the peer.
 */
async function transportCall(t: RtpsTransport): Promise<unknown> {
  const peer = new PeerProcess(peerBinary, ['server', 'set_flag', '2']);
  const client = t.createServiceClient({ service: '/set_flag', type: 'std_srvs/srv/SetBool' });
  try {
    await peer.waitLine((l) => l === 'matched', TIMEOUT, 'server matched');
    await until(() => client.isServiceAvailable(), 'service available');
    const replies: unknown[] = [];
    for (const [seq, data] of [
      [1, true],
      [2, false],
    ] as const) {
      const reply = (await client.call(encodeCdr('std_srvs/srv/SetBool_Request', { data }), {
        clientId: 7,
        sequenceNumber: seq,
      })) as Uint8Array;
      replies.push(decodeCdr('std_srvs/srv/SetBool_Response', reply));
    }
    await peer.waitLine((l) => l.startsWith('done'), TIMEOUT, 'server done');
    return { replies, served: peer.lines.filter((l) => l.startsWith('served')) };
  } finally {
    client.close();
    peer.stop();
  }
}

/** The peer's SetBool client calls the transport's server twice; the server answers in its convention. */
async function transportServe(t: RtpsTransport): Promise<unknown> {
  const requests: unknown[] = [];
  const server = t.advertiseService({ service: '/set_flag', type: 'std_srvs/srv/SetBool' }, (raw, id) => {
    const req = decodeCdr('std_srvs/srv/SetBool_Request', raw as Uint8Array) as { data: boolean };
    requests.push({ data: req.data, sequenceNumber: id.sequenceNumber });
    return encodeCdr('std_srvs/srv/SetBool_Response', {
      success: req.data,
      message: `simbridge set to ${req.data} (request ${id.sequenceNumber})`,
    });
  });
  const peer = new PeerProcess(peerBinary, ['client', 'set_flag', '2']);
  try {
    await peer.waitLine((l) => l.startsWith('done'), TIMEOUT, 'client done');
    return {
      requests,
      peerReceived: peer.lines.filter((l) => l.startsWith('reply') || l.startsWith('stray')),
    };
  } finally {
    server.close();
    peer.stop();
  }
}

/**
 * ros_discovery_info both ways: the peer prints the node this transport announces (with its
 * endpoints: 2 readers, 2 writers), and the transport lists the peer's /cyclone_node.
 */
async function nodes(t: RtpsTransport): Promise<unknown> {
  const qos = RELIABLE;
  const pub = t.advertise({ topic: '/chatter', type: 'std_msgs/msg/String', qos });
  const sub = t.subscribe({ topic: '/joint_states', type: 'sensor_msgs/msg/JointState', qos }, () => {});
  const srv = t.advertiseService({ service: '/set_flag', type: 'std_srvs/srv/SetBool' }, () => undefined);
  const peer = new PeerProcess(peerBinary, ['nodes', '8']);
  const ours = t.participant.key.slice(0, 24);
  try {
    await peer.waitLine((l) => l.startsWith(`participant ${ours}`), TIMEOUT, 'our node at the peer');
    await until(() => t.nodeNames().some((n) => n.name === 'cyclone_node'), 'the peer node');
    return {
      peerReceived: peer.lines.filter((l) => l.startsWith('participant')),
      participantGuid: t.participant.key,
      nodes: t.nodeNames(),
    };
  } finally {
    pub.close();
    sub.close();
    srv.close();
    peer.stop();
  }
}

/**
 * The peer's control_msgs/GripperCommand action client against a graph action server on this
 * transport (/gripper_cmd): three feedbacks from 0 towards the goal, then SUCCEEDED at the goal.
 * With `cancel`, the peer cancels after the first feedback (at a quarter of the way), and the
 * executor winds down CANCELED there once the cancel request has been accepted.
 */
async function actionServe(t: RtpsTransport, cancel: boolean): Promise<unknown> {
  const validator = await msgsValidator();
  const context = createContext({ transport: t, validator, codec: validator, clock: 'wall' });
  const goals: { goalId: string; position: number; maxEffort: number; cancelRequested: boolean }[] = [];
  const node = context.createNode('gripper_server');
  node.createActionServer('control_msgs/action/GripperCommand', '/gripper_cmd', {
    onCancel: () => true,
    execute: async (handle) => {
      const { position, max_effort } = handle.goal.command;
      const feedback = (f: number) => ({
        position: position * f,
        effort: 1,
        stalled: false,
        reached_goal: false,
      });
      if (cancel) {
        handle.publishFeedback(feedback(0.25));
        await until(() => handle.isCancelRequested, 'the cancel request');
        goals.push({ goalId: handle.goalId, position, maxEffort: max_effort, cancelRequested: true });
        handle.canceled();
        return feedback(0.25);
      }
      for (const f of [0, 0.5, 0.9]) {
        handle.publishFeedback(feedback(f));
        await new Promise((r) => setTimeout(r, 20));
      }
      goals.push({ goalId: handle.goalId, position, maxEffort: max_effort, cancelRequested: false });
      handle.succeed();
      return { position, effort: 1, stalled: false, reached_goal: true };
    },
  });
  const peer = new PeerProcess(peerBinary, ['action', '/gripper_cmd', '0.04', ...(cancel ? ['cancel'] : [])]);
  try {
    await peer.waitLine((l) => l === 'done', TIMEOUT, 'the action client done');
    return { goals, peerReceived: peer.lines.filter((l) => l !== 'done' && l !== 'matched') };
  } finally {
    peer.stop();
    context.destroy();
  }
}

/**
 * A graph action client on this transport sends a GripperCommand goal to the peer's action
 * server (as the policy node drives a real gripper controller): feedback, status, result.
 */
async function actionCall(t: RtpsTransport): Promise<unknown> {
  const validator = await msgsValidator();
  const context = createContext({ transport: t, validator, codec: validator, clock: 'wall' });
  const peer = new PeerProcess(peerBinary, ['action_server', '/gripper_cmd']);
  try {
    const node = context.createNode('gripper_user');
    const client = node.createActionClient('control_msgs/action/GripperCommand', '/gripper_cmd');
    await until(() => client.isServerAvailable(), 'the peer action server');
    const feedback: number[] = [];
    const handle = await client.sendGoal(
      { command: { position: 0.08, max_effort: 30 } },
      { onFeedback: (f) => feedback.push(f.position), timeoutSeconds: 10 },
    );
    const { status, result } = await handle.result();
    await peer.waitLine((l) => l === 'done', TIMEOUT, 'the action server done');
    return {
      goalId: handle.goalId,
      accepted: handle.accepted,
      feedback,
      status,
      result,
      peerReceived: peer.lines.filter((l) => l.startsWith('goal')),
    };
  } finally {
    peer.stop();
    context.destroy();
  }
}

const transport = await RtpsTransport.create({
  domainId: 0,
  ...(scenario === 'nodes' ? { nodeName: 'simbridge_test', nodeNamespace: '/robot' } : {}),
});
const participant = transport.participant;
let result: unknown;
try {
  const [direction, kind, extra] = scenario.split(':') as [string, Kind, string | undefined];
  const count = kind === 'image' ? 3 : 20;
  if (direction === 'to') result = await toPeer(participant, kind, count, extra === 'latched');
  else if (direction === 'from') result = await fromPeer(participant, kind, count, extra === 'latched');
  else if (direction === 'service') result = await serviceCall(participant);
  else if (direction === 'call') result = await transportCall(transport);
  else if (direction === 'serve') result = await transportServe(transport);
  else if (direction === 'nodes') result = await nodes(transport);
  else if (direction === 'action') result = await actionServe(transport, (kind as string) === 'cancel');
  else if (direction === 'action_call') result = await actionCall(transport);
  else throw new Error(`unknown scenario ${scenario}`);
  process.stdout.write(`${JSON.stringify({ ok: true, result, stats: participant.stats })}\n`);
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, error: (err as Error).message, stats: participant.stats })}\n`,
  );
} finally {
  transport.destroy();
}
