// The rosbridge client transport against rosbridge_suite's documented exchanges
// (ROSBRIDGE_PROTOCOL.md: advertise/publish, subscribe/publish, call_service/service_response,
// advertise_service, status, fragment), replayed frame by frame by a raw `ws` server on loopback.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext, GraphError, type Node } from '../../../src/graph/index.ts';
import type { MessageType } from '../../../src/msgs/index.ts';
import { Backoff } from '../../../src/transports/rosbridge/client/Backoff.ts';
import { RosbridgeTransport } from '../../../src/transports/rosbridge/client/RosbridgeTransport.ts';
import { captureLogger, realValidator } from '../../graph/helpers.ts';
import { counter, type ReplayServer, startReplayServer } from './clientReplayServer.ts';

type JointState = MessageType<'sensor_msgs/msg/JointState'>;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { connect?: boolean } = {}) {
  const server = await startReplayServer();
  cleanups.push(() => server.close());
  const logger = captureLogger();
  const transport = new RosbridgeTransport({
    url: server.url,
    logger,
    backoff: { initialDelayMs: 10, maxDelayMs: 40 },
    seed: 7,
  });
  const context = createContext({ transport, validator: realValidator, logger });
  cleanups.push(() => context.destroy());
  if (options.connect !== false) await transport.waitForConnection(5000);
  return { server, logger, transport, context, node: context.createNode('client_test') };
}

const jointState = (position: unknown[]) => ({
  header: { stamp: { sec: 12, nanosec: 500 }, frame_id: 'base_link' },
  name: ['shoulder', 'elbow'],
  position,
  velocity: [],
  effort: [],
});

function subscribeJointStates(node: Node) {
  const got = counter<JointState>();
  node.createSubscription('sensor_msgs/msg/JointState', '/joint_states', 10, (m) => got.push(m));
  return got;
}

async function expectSubscribed(server: ReplayServer, topic: string) {
  return server.expectFrame((f) => f.op === 'subscribe' && f.topic === topic, `subscribe ${topic}`);
}

describe('rosbridge client transport: topics', () => {
  it('subscribes with the ROS 2 type name and hands the graph the published message', async () => {
    const { server, node } = await setup();
    const got = subscribeJointStates(node);
    const sub = await expectSubscribed(server, '/joint_states');
    expect(sub.type).toBe('sensor_msgs/msg/JointState');
    server.send({ op: 'publish', topic: '/joint_states', msg: jointState([0.1, 0.2]) });
    const [msg] = await got.waitFor(1, '/joint_states');
    expect(msg!.name).toEqual(['shoulder', 'elbow']);
    expect(Array.from(msg!.position)).toEqual([0.1, 0.2]);
    expect(msg!.header.stamp).toEqual({ sec: 12, nanosec: 500 });
  });

  it('decodes base64 uint8[] and fills fields the server left out', async () => {
    const { server, node } = await setup();
    const got = counter<MessageType<'sensor_msgs/msg/Image'>>();
    node.createSubscription('sensor_msgs/msg/Image', '/camera/color/image_raw', 5, (m) => got.push(m));
    await expectSubscribed(server, '/camera/color/image_raw');
    // rosbridge sends uint8[] as base64 (ROSBRIDGE_PROTOCOL.md 4.6); "AAH/" is [0, 1, 255].
    server.send({
      op: 'publish',
      topic: '/camera/color/image_raw',
      msg: { height: 1, width: 3, encoding: 'mono8', step: 3, data: 'AAH/' },
    });
    const [img] = await got.waitFor(1, 'image');
    expect(img!.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(img!.data)).toEqual([0, 1, 255]);
    expect(img!.header.frame_id).toBe('');
    expect(img!.is_bigendian).toBe(0);
  });

  it('advertises before it publishes, with the type, and sends rosbridge JSON', async () => {
    const { server, node } = await setup();
    const pub = node.createPublisher(
      'std_msgs/msg/Float64MultiArray',
      '/forward_position_controller/commands',
    );
    const adv = await server.expectFrame((f) => f.op === 'advertise', 'advertise');
    expect(adv).toMatchObject({
      topic: '/forward_position_controller/commands',
      type: 'std_msgs/msg/Float64MultiArray',
    });
    pub.publish({ layout: { dim: [], data_offset: 0 }, data: Float64Array.of(0.5, -1.25) });
    const frame = await server.expectFrame((f) => f.op === 'publish', 'publish');
    expect(frame).toEqual({
      op: 'publish',
      topic: '/forward_position_controller/commands',
      msg: { layout: { dim: [], data_offset: 0 }, data: [0.5, -1.25] },
    });
    expect(server.frames.indexOf(adv)).toBeLessThan(server.frames.indexOf(frame));
  });

  it('declares endpoints created before the link was up as soon as it opens', async () => {
    const { server, node, transport } = await setup({ connect: false });
    subscribeJointStates(node);
    node.createPublisher('std_msgs/msg/String', '/instruction');
    await transport.waitForConnection(5000);
    await expectSubscribed(server, '/joint_states');
    await server.expectFrame((f) => f.op === 'advertise' && f.topic === '/instruction', 'advertise');
  });

  it('unsubscribes with the id it subscribed with once the last local subscription goes', async () => {
    const { server, node } = await setup();
    const a = node.createSubscription('std_msgs/msg/String', '/chatter', 10, () => {});
    const b = node.createSubscription('std_msgs/msg/String', '/chatter', 10, () => {});
    const sub = await expectSubscribed(server, '/chatter');
    a.destroy();
    b.destroy();
    const unsub = await server.expectFrame((f) => f.op === 'unsubscribe', 'unsubscribe');
    expect(unsub).toEqual({ op: 'unsubscribe', id: sub.id, topic: '/chatter' });
    expect(server.frames.filter((f) => f.op === 'subscribe')).toHaveLength(1);
  });

  it('reassembles a message the server split into fragment ops', async () => {
    const { server, node } = await setup();
    const got = subscribeJointStates(node);
    await expectSubscribed(server, '/joint_states');
    const text = JSON.stringify({ op: 'publish', topic: '/joint_states', msg: jointState([1, 2]) });
    const cut = [0, 20, 45, text.length];
    for (let i = 2; i >= 0; i--) {
      // Out of order on purpose: the fragment's num places it.
      server.send({ op: 'fragment', id: 'frag_1', data: text.slice(cut[i], cut[i + 1]), num: i, total: 3 });
    }
    const [msg] = await got.waitFor(1, 'reassembled message');
    expect(Array.from(msg!.position)).toEqual([1, 2]);
  });
});

describe('rosbridge client transport: bad input from the server', () => {
  it('drops an invalid message, logs its topic, field and value, and goes on', async () => {
    const { server, node, logger } = await setup();
    const got = subscribeJointStates(node);
    await expectSubscribed(server, '/joint_states');
    server.send({ op: 'publish', topic: '/joint_states', msg: jointState([0.1, 'x']) });
    server.send({ op: 'publish', topic: '/joint_states', msg: jointState([0.3, 0.4]) });
    const [msg] = await got.waitFor(1, 'the good message');
    expect(Array.from(msg!.position)).toEqual([0.3, 0.4]);
    const line = logger.lines.find((l) => l.startsWith('ERROR') && l.includes('/joint_states'));
    expect(line).toContain('position.1');
    expect(line).toContain('"x"');
    expect(got.items).toHaveLength(1);
  });

  it('counts and logs frames that are not rosbridge, and keeps the connection', async () => {
    const { server, node, transport, logger } = await setup();
    const got = subscribeJointStates(node);
    await expectSubscribed(server, '/joint_states');
    server.send('this is not json');
    server.send({ op: 'frobnicate' });
    server.send([1, 2, 3]);
    server.send({ op: 'publish', topic: '/joint_states' });
    server.send(Buffer.from([0xa1, 0x62, 0x6f, 0x70]));
    server.send({ op: 'service_response', id: 'nobody', service: '/x', result: true });
    server.send({ op: 'publish', topic: '/joint_states', msg: jointState([5, 6]) });
    await got.waitFor(1, 'the good message after the garbage');
    expect(transport.stats.badFrames).toBe(6);
    expect(transport.connected).toBe(true);
    expect(logger.lines.some((l) => l.includes('unknown op "frobnicate"'))).toBe(true);
    expect(logger.lines.some((l) => l.includes('field msg: missing'))).toBe(true);
  });

  it('survives thousands of random and mutated frames (fast-check)', async () => {
    const { server, node, transport } = await setup();
    const got = subscribeJointStates(node);
    await expectSubscribed(server, '/joint_states');
    const valid = JSON.stringify({ op: 'publish', topic: '/joint_states', msg: jointState([1, 2]) });
    const mutated = fc
      .tuple(fc.nat(valid.length), fc.nat(8), fc.string({ maxLength: 8 }))
      .map(([at, cut, insert]) => valid.slice(0, at) + insert + valid.slice(at + cut));
    const ops = fc.constantFrom(
      'publish',
      'service_response',
      'call_service',
      'status',
      'fragment',
      'send_action_goal',
      'x',
    );
    const structured = fc
      .record({
        op: ops,
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
        topic: fc.oneof(fc.constant('/joint_states'), fc.string()),
        service: fc.string(),
        msg: fc.oneof(fc.anything(), fc.constant(jointState([1, 'y']))),
        values: fc.anything(),
        result: fc.anything(),
        data: fc.string(),
        num: fc.integer({ min: -2, max: 5 }),
        total: fc.integer({ min: -1, max: 5 }),
        level: fc.constantFrom('info', 'warning', 'error', 'bogus'),
      })
      .map((r) => JSON.stringify(r));
    const frames = fc.sample(fc.oneof(fc.string(), fc.json(), mutated, structured), {
      numRuns: 3000,
      seed: 42,
    });
    for (const f of frames) server.send(f);
    const marker = { op: 'publish', topic: '/joint_states', msg: jointState([42, 43]) };
    server.send(marker);
    await got.waitFor(1, 'the marker', 20_000);
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('marker never arrived')), 20_000);
      const check = () => {
        if (got.items.some((m) => m.position[0] === 42)) {
          clearTimeout(deadline);
          resolve();
        } else setImmediate(check);
      };
      check();
    });
    expect(transport.connected).toBe(true);
    expect(transport.stats.badFrames).toBeGreaterThan(1000);
  });
});

describe('rosbridge client transport: services', () => {
  it('calls a remote service: call_service with type and args, resolved by service_response', async () => {
    const { server, node } = await setup();
    const client = node.createClient('std_srvs/srv/SetBool', '/sim/pause');
    const reply = client.call({ data: true }, { timeoutSeconds: 5 });
    const call = await server.expectFrame((f) => f.op === 'call_service', 'call_service');
    expect(call).toMatchObject({ service: '/sim/pause', type: 'std_srvs/srv/SetBool', args: { data: true } });
    server.send({
      op: 'service_response',
      id: call.id,
      service: '/sim/pause',
      values: { success: true, message: 'paused' },
      result: true,
    });
    await expect(reply).resolves.toEqual({ success: true, message: 'paused' });
  });

  it('rejects the call with the server text when service_response says result false', async () => {
    const { server, node } = await setup();
    const reply = node.createClient('std_srvs/srv/Trigger', '/missing').call({}, { timeoutSeconds: 5 });
    const call = await server.expectFrame((f) => f.op === 'call_service', 'call_service');
    server.send({
      op: 'service_response',
      id: call.id,
      service: '/missing',
      values: 'no such service',
      result: false,
    });
    const err = await reply.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).code).toBe('SERVICE_FAILED');
    expect((err as Error).message).toContain('no such service');
  });

  it('rejects the call when the server answers it with an error status', async () => {
    const { server, node } = await setup();
    const reply = node.createClient('std_srvs/srv/Trigger', '/x').call({}, { timeoutSeconds: 5 });
    const call = await server.expectFrame((f) => f.op === 'call_service', 'call_service');
    server.send({ op: 'status', level: 'error', id: call.id, msg: 'call_service: unknown service /x' });
    await expect(reply).rejects.toThrow(/unknown service \/x/);
  });

  it('serves a local service: advertise_service, then answers call_service with service_response', async () => {
    const { server, node } = await setup();
    node.createService('std_srvs/srv/SetBool', '/gripper/enable', (req) => ({
      success: req.data,
      message: req.data ? 'on' : 'off',
    }));
    const adv = await server.expectFrame((f) => f.op === 'advertise_service', 'advertise_service');
    expect(adv).toEqual({
      op: 'advertise_service',
      service: '/gripper/enable',
      type: 'std_srvs/srv/SetBool',
    });
    server.send({
      op: 'call_service',
      id: 'service_request:/gripper/enable:1',
      service: '/gripper/enable',
      args: { data: true },
    });
    const res = await server.expectFrame((f) => f.op === 'service_response', 'service_response');
    expect(res).toEqual({
      op: 'service_response',
      id: 'service_request:/gripper/enable:1',
      service: '/gripper/enable',
      values: { success: true, message: 'on' },
      result: true,
    });
  });

  it('answers an invalid request with result false naming the field', async () => {
    const { server, node } = await setup();
    node.createService('std_srvs/srv/SetBool', '/enable', () => ({ success: true, message: '' }));
    await server.expectFrame((f) => f.op === 'advertise_service', 'advertise_service');
    server.send({ op: 'call_service', id: 7, service: '/enable', args: { data: 'yes' } });
    const res = await server.expectFrame((f) => f.op === 'service_response', 'service_response');
    expect(res).toMatchObject({ id: 7, result: false });
    expect(String(res.values)).toContain('data');
    expect(String(res.values)).toContain('"yes"');
  });
});

describe('rosbridge client transport: reconnecting', () => {
  it('reports the drop, drops publishes while down, and re-declares everything after', async () => {
    const { server, node, transport } = await setup();
    const got = subscribeJointStates(node);
    const pub = node.createPublisher('std_msgs/msg/String', '/instruction');
    const plan = node.createPublisher('std_msgs/msg/String', '/policy/plan', {
      durability: 'transient_local',
      depth: 1,
    });
    node.createService('std_srvs/srv/Trigger', '/policy/stop', () => ({ success: true, message: '' }));
    await server.expectFrame((f) => f.op === 'advertise_service', 'advertise_service');
    plan.publish({ data: '{"steps":[]}' });
    await server.expectFrame((f) => f.op === 'publish' && f.topic === '/policy/plan', 'latched publish');
    const changes = counter<boolean>();
    transport.connection.onConnectionChange((up) => changes.push(up));
    const before = server.frames.length;

    server.dropClients();
    await changes.waitFor(1, 'disconnect event');
    expect(changes.items[0]).toBe(false);
    expect(transport.connected).toBe(false);
    pub.publish({ data: 'lost' });
    expect(transport.stats.droppedDisconnected).toBe(1);
    expect(node.createClient('std_srvs/srv/Trigger', '/x').isServiceAvailable()).toBe(false);

    await changes.waitFor(2, 'reconnect event');
    expect(changes.items[1]).toBe(true);
    const again = (op: string, key: string, value: string) =>
      server.expectFrame(
        (f) => server.frames.indexOf(f) >= before && f.op === op && f[key] === value,
        `${op} ${value}`,
      );
    await again('subscribe', 'topic', '/joint_states');
    await again('advertise', 'topic', '/instruction');
    await again('advertise_service', 'service', '/policy/stop');
    // The latched plan is sent again, so a late joiner on the server still gets it.
    await again('publish', 'topic', '/policy/plan');
    server.send({ op: 'publish', topic: '/joint_states', msg: jointState([7, 8]) });
    await got.waitFor(1, 'message after reconnect');
    expect(
      server.frames.some((f) => f.op === 'publish' && (f.msg as { data?: string }).data === 'lost'),
    ).toBe(false);
    expect(transport.stats).toMatchObject({ connects: 2, disconnects: 1 });
  });

  it('fails the calls in flight when the link drops', async () => {
    const { server, node } = await setup();
    const reply = node.createClient('std_srvs/srv/Trigger', '/slow').call({}, { timeoutSeconds: 5 });
    await server.expectFrame((f) => f.op === 'call_service', 'call_service');
    server.dropClients();
    await expect(reply).rejects.toThrow(/was lost/);
  });

  it('keeps retrying with backoff until a server appears, then connects', async () => {
    const first = await startReplayServer();
    const port = first.port;
    await first.close();
    const logger = captureLogger();
    const transport = new RosbridgeTransport({
      url: `ws://127.0.0.1:${port}`,
      logger,
      backoff: { initialDelayMs: 5, maxDelayMs: 20 },
      random: () => 0.5,
    });
    cleanups.push(() => transport.destroy());
    await expect(transport.waitForConnection(300)).rejects.toThrow(
      /no rosbridge server answered at ws:\/\/127/,
    );
    expect(transport.stats.failedAttempts).toBeGreaterThan(2);
    expect(logger.lines.filter((l) => l.includes('cannot connect')).length).toBeLessThan(
      transport.stats.failedAttempts,
    );
  });

  it('refuses a URL that is not ws:// with a UserError naming it', () => {
    expect(() => new RosbridgeTransport({ url: 'http://robot:9090' })).toThrow(
      /--url: 'http:\/\/robot:9090' must start with ws:\/\//,
    );
    expect(() => new RosbridgeTransport({ url: 'robot' })).toThrow(/'robot' is not a URL/);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially, stays within the bound, and jitters from the injected source', () => {
    const draws = [0, 0.5, 0.999, 0, 0, 0, 0, 0];
    let i = 0;
    const b = new Backoff(
      { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0.5 },
      () => draws[i++]!,
    );
    const delays = Array.from({ length: 7 }, () => b.next());
    expect(delays[0]).toBe(100);
    expect(delays[1]).toBe(150); // 200 * (1 - 0.5 * 0.5)
    expect(delays[2]).toBeCloseTo(400 * (1 - 0.5 * 0.999));
    expect(delays.slice(3)).toEqual([800, 1000, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('gives the same delays for the same seed', () => {
    const run = (seed: number) => {
      const b = new Backoff({}, undefined, seed);
      return Array.from({ length: 6 }, () => b.next());
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
    for (const d of run(5)) expect(d).toBeLessThanOrEqual(5000);
  });

  it('rejects out-of-range options naming the field', () => {
    expect(() => new Backoff({ maxDelayMs: 10, initialDelayMs: 100 })).toThrow(/backoff.maxDelayMs/);
    expect(() => new Backoff({ jitter: 2 })).toThrow(/backoff.jitter.*2/);
  });
});
