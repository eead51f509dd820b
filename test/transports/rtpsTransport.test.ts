/**
 * The graph on the rtps transport: two contexts, each with its own RTPS participant, talking
 * over real UDP on 127.0.0.1 (multicast off, unicast peers), with the real CDR codec.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Context,
  createContext,
  type IncompatibleQosEvent,
  msgsValidator,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
} from '../../src/graph/index.ts';
import { fillDefaults } from '../../src/msgs/index.ts';
import { ddsTypeName, RtpsTransport, rosTypeName } from '../../src/transports/rtps/RtpsTransport.ts';
import { captureLogger } from '../graph/helpers.ts';
import { waitFor } from './rtpsHelpers.ts';

let nextDomain = 100 + (process.pid % 40);
const contexts: Context[] = [];
afterEach(() => {
  for (const c of contexts.splice(0)) c.destroy();
});

async function twoContexts(): Promise<[Context, Context]> {
  const domainId = nextDomain++;
  const codec = await msgsValidator();
  const mk = async () => {
    const transport = await RtpsTransport.create({
      domainId,
      multicast: false,
      peers: ['127.0.0.1'],
      announcePeriodMs: 200,
    });
    const ctx = createContext({ transport, validator: codec, codec, logger: captureLogger() });
    contexts.push(ctx);
    return ctx;
  };
  const a = await mk();
  const b = await mk();
  const pa = (a.transport as RtpsTransport).participant;
  await waitFor(() => pa.participants.size === 1, 5000, 'discovery');
  return [a, b];
}

describe('rtps transport', () => {
  it('maps ROS 2 type names to DDS ones and back', () => {
    expect(ddsTypeName('sensor_msgs/msg/JointState')).toBe('sensor_msgs::msg::dds_::JointState_');
    expect(ddsTypeName('std_srvs/srv/SetBool', '_Request')).toBe('std_srvs::srv::dds_::SetBool_Request_');
    expect(rosTypeName('std_msgs::msg::dds_::String_')).toBe('std_msgs/msg/String');
    expect(rosTypeName('NotRos')).toBeUndefined();
  });

  it('carries JointState between two processes-worth of graph, encoded and validated', async () => {
    const [a, b] = await twoContexts();
    const got: { name: string[]; position: ArrayLike<number> }[] = [];
    b.createNode('policy').createSubscription(
      'sensor_msgs/msg/JointState',
      '/joint_states',
      QOS_DEFAULT,
      (m) => {
        got.push(m);
      },
    );
    const pub = a
      .createNode('sim')
      .createPublisher('sensor_msgs/msg/JointState', '/joint_states', QOS_DEFAULT);
    await waitFor(() => pub.subscriptionCount === 1, 5000, 'subscription matched');
    for (let i = 0; i < 50; i++) {
      pub.publish(
        fillDefaults('sensor_msgs/msg/JointState', {
          name: ['j1', 'j2'],
          position: [i, -i],
          velocity: [],
          effort: [],
        }),
      );
    }
    await waitFor(() => got.length === 50, 5000, '50 joint states');
    expect(got.map((m) => Array.from(m.position)[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(got[0]!.name).toEqual(['j1', 'j2']);
    expect(b.createNode('lister').getTopicNamesAndTypes()).toEqual(
      expect.arrayContaining([{ name: '/joint_states', types: ['sensor_msgs/msg/JointState'] }]),
    );
  });

  it('gives a late transient-local subscription /robot_description', async () => {
    const [a, b] = await twoContexts();
    const pub = a
      .createNode('sim')
      .createPublisher('std_msgs/msg/String', '/robot_description', QOS_TRANSIENT_LOCAL);
    pub.publish({ data: '<robot name="panda"/>' });
    const got: string[] = [];
    b.createNode('viewer').createSubscription(
      'std_msgs/msg/String',
      '/robot_description',
      QOS_TRANSIENT_LOCAL,
      (m) => {
        got.push(m.data);
      },
    );
    await waitFor(() => got.length === 1, 5000, 'late-joiner sample');
    expect(got).toEqual(['<robot name="panda"/>']);
  });

  it('answers a service call across participants with the request id', async () => {
    const [a, b] = await twoContexts();
    a.createNode('server').createService('std_srvs/srv/SetBool', '/set_flag', (req) => ({
      success: req.data,
      message: req.data ? 'on' : 'off',
    }));
    const client = b.createNode('client').createClient('std_srvs/srv/SetBool', '/set_flag');
    await waitFor(() => client.isServiceAvailable(), 5000, 'service available');
    await expect(client.call({ data: true })).resolves.toEqual({ success: true, message: 'on' });
    await expect(client.call({ data: false })).resolves.toEqual({ success: false, message: 'off' });
    expect(b.createNode('lister').getServiceNamesAndTypes()).toEqual([
      { name: '/set_flag', types: ['std_srvs/srv/SetBool'] },
    ]);
  });

  it("holds a reply until the caller's reply reader has matched (discovery is not symmetric)", async () => {
    const [a, b] = await twoContexts();
    let handled = 0;
    a.createNode('server').createService('std_srvs/srv/SetBool', '/set_flag', (req) => {
      handled++;
      return { success: req.data, message: 'late reader' };
    });
    // A caller whose reply reader comes up only after the server has handled its request.
    const pb = (b.transport as RtpsTransport).participant;
    const qos = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 } as const;
    const requests = pb.createWriter('rq/set_flagRequest', 'std_srvs::srv::dds_::SetBool_Request_', qos);
    await waitFor(() => [...requests.readers.values()].some((r) => r.lastAckCount >= 0), 5000, 'server');
    // rmw_cyclonedds's request: encapsulation, client id 9, sequence 1, data true.
    const request = new Uint8Array(4 + 16 + 1);
    request.set([0, 1, 0, 0]);
    new DataView(request.buffer).setBigUint64(4, 9n, true);
    new DataView(request.buffer).setBigInt64(12, 1n, true);
    request[20] = 1;
    requests.write(request);
    await waitFor(() => handled === 1, 5000, 'the request handled');
    const replies: Uint8Array[] = [];
    pb.createReader('rr/set_flagReply', 'std_srvs::srv::dds_::SetBool_Response_', qos, (payload) => {
      if (payload) replies.push(payload);
    });
    await waitFor(() => replies.length === 1, 5000, 'the reply');
    const v = new DataView(replies[0]!.buffer, replies[0]!.byteOffset);
    expect([v.getBigUint64(4, true), v.getBigInt64(12, true), replies[0]![20]]).toEqual([9n, 1n, 1]);
  });

  it("starts a goal only once its send_goal reply is out, even when the caller's reply reader matches late", async () => {
    const [a, b] = await twoContexts();
    const codec = await msgsValidator();
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let handled = 0;
    a.createNode('gripper').createActionServer('control_msgs/action/GripperCommand', '/gripper_cmd', {
      onGoal: () => {
        handled++;
        return true;
      },
      execute: async () => {
        await released;
        return { position: 0.04, effort: 0, stalled: false, reached_goal: true };
      },
    });
    // An rclcpp-like client: its status reader is up before the goal, its reply reader only after
    // the server has handled the goal. rclcpp ignores the status of a goal it does not know yet.
    const pb = (b.transport as RtpsTransport).participant;
    const events: string[] = [];
    const goalId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const status = pb.createReader(
      'rt/gripper_cmd/_action/status',
      ddsTypeName('action_msgs/msg/GoalStatusArray'),
      { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 1 },
      (payload) => {
        const array = codec.decode('action_msgs/msg/GoalStatusArray', payload!) as {
          status_list: { goal_info: { goal_id: { uuid: ArrayLike<number> } }; status: number }[];
        };
        for (const s of array.status_list)
          if (Array.from(s.goal_info.goal_id.uuid).join() === goalId.join())
            events.push(`status ${s.status}`);
      },
    );
    const qos = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 } as const;
    const sendGoalType = 'control_msgs/action/GripperCommand_SendGoal';
    const requests = pb.createWriter(
      'rq/gripper_cmd/_action/send_goalRequest',
      ddsTypeName(sendGoalType, '_Request'),
      qos,
    );
    await waitFor(() => status.writers.size === 1, 5000, 'the status writer');
    await waitFor(() => [...requests.readers.values()].some((r) => r.lastAckCount >= 0), 5000, 'server');
    // rmw_cyclonedds's request: encapsulation, client id 9, sequence 1, then the request's CDR.
    const body = codec.encode(`${sendGoalType}_Request`, {
      goal_id: { uuid: goalId },
      goal: { command: { position: 0.04, max_effort: 10 } },
    });
    const request = new Uint8Array(body.length + 16);
    request.set(body.subarray(0, 4));
    new DataView(request.buffer).setBigUint64(4, 9n, true);
    new DataView(request.buffer).setBigInt64(12, 1n, true);
    request.set(body.subarray(4), 20);
    requests.write(request);
    await waitFor(() => handled === 1, 5000, 'the goal handled');
    pb.createReader(
      'rr/gripper_cmd/_action/send_goalReply',
      ddsTypeName(sendGoalType, '_Response'),
      qos,
      () => events.push('reply'),
    );
    await waitFor(() => events.includes('status 2'), 5000, 'EXECUTING');
    release();
    await waitFor(() => events.includes('status 4'), 5000, 'SUCCEEDED');
    expect(events).toEqual(['reply', 'status 2', 'status 4']);
  });

  it('reports an incompatible QoS between a best-effort publisher and a reliable subscription', async () => {
    const [a, b] = await twoContexts();
    const events: (IncompatibleQosEvent & { side: string })[] = [];
    const sim = a.createNode('sim');
    const policy = b.createNode('policy');
    sim.on('incompatibleQos', (e) => events.push(e));
    policy.on('incompatibleQos', (e) => events.push(e));
    sim.createPublisher('sensor_msgs/msg/JointState', '/joint_states', QOS_SENSOR_DATA);
    policy.createSubscription('sensor_msgs/msg/JointState', '/joint_states', QOS_DEFAULT, () => {});
    await waitFor(() => events.length >= 2, 5000, 'incompatible QoS events on both sides');
    expect(events.map((e) => e.side).sort()).toEqual(['publisher', 'subscription']);
    for (const e of events)
      expect(e).toMatchObject({ topic: '/joint_states', lastPolicyKind: 'reliability' });
  });
});
