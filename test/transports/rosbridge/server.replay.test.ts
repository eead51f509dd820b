// rosbridge_suite's documented exchanges (fixtures/rosbridgeProtocolExamples.ts), replayed as
// raw ws frames against the server with a real graph behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext, msgsValidator } from '../../../src/graph/index.ts';
import { LocalTransport } from '../../../src/transports/local/LocalTransport.ts';
import {
  type RosbridgeServer,
  startRosbridgeServer,
} from '../../../src/transports/rosbridge/server/index.ts';
import { captureLogger } from '../../graph/helpers.ts';
import { RawClient } from './fixtures/rawClient.ts';
import { EXCHANGES } from './fixtures/rosbridgeProtocolExamples.ts';

let context: Context;
let server: RosbridgeServer;
let graph: Record<string, () => Promise<void> | void>;

/** Waits until `done()` holds, yielding to the event loop; bounded. */
async function until(done: () => boolean, what: string, maxTurns = 5000): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await new Promise<void>((r) => setImmediate(r));
  if (!done()) throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    logger: captureLogger(),
  });
  const peer = context.createNode('peer');
  const chatter: string[] = [];
  peer.createSubscription('std_msgs/msg/String', '/chatter', 10, (m) => chatter.push(m.data));
  const pub = peer.createPublisher('std_msgs/msg/String', '/chatter');
  const image = peer.createPublisher('sensor_msgs/msg/Image', '/image');
  peer.createService('std_srvs/srv/Trigger', '/trigger', () => ({ success: true, message: 'triggered' }));
  peer.createActionServer('control_msgs/action/GripperCommand', '/gripper_cmd', {
    execute: async (h) => {
      h.publishFeedback({ position: 0.01, effort: 0, stalled: false, reached_goal: false });
      await new Promise<void>((r) => setImmediate(r));
      return { position: h.goal.command.position, effort: 0, stalled: false, reached_goal: true };
    },
  });
  const setFlag = peer.createClient('std_srvs/srv/SetBool', '/set_flag');
  const extGripper = peer.createActionClient('control_msgs/action/GripperCommand', '/ext_gripper');
  let setBoolResponse: { success: boolean; message: string } | undefined;
  let gripperResult: { status: number; result: { position: number; reached_goal: boolean } } | undefined;
  const gripperFeedback: number[] = [];
  graph = {
    publishChatter: () => pub.publish({ data: 'hello' }),
    expectChatter: async () => {
      // The peer also hears its own 'hello's; the client's message must be among what arrived.
      await until(() => chatter.includes('hello world'), '"hello world" on /chatter on the graph');
      chatter.length = 0;
    },
    callSetBool: () => {
      void setFlag.call({ data: true }, { timeoutSeconds: 5 }).then((r) => {
        setBoolResponse = r;
      });
    },
    expectSetBoolResponse: async () => {
      await until(() => setBoolResponse !== undefined, 'the /set_flag response');
      expect(setBoolResponse).toEqual({ success: true, message: 'flag set' });
    },
    sendGripperGoal: () => {
      void extGripper
        .sendGoal(
          { command: { position: 0.03, max_effort: 5 } },
          { onFeedback: (fb) => gripperFeedback.push(fb.position) },
        )
        .then((h) => h.result())
        .then((r) => {
          gripperResult = r;
        });
    },
    expectGripperResult: async () => {
      await until(() => gripperResult !== undefined, 'the /ext_gripper result');
      expect(gripperFeedback).toEqual([0.015]);
      expect(gripperResult?.status).toBe(4);
      expect(gripperResult?.result).toMatchObject({ position: 0.03, reached_goal: true });
    },
    publishImage: () =>
      image.publish({
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' },
        height: 1,
        width: 2,
        encoding: 'rgb8',
        is_bigendian: 0,
        step: 6,
        data: new Uint8Array(6),
      }),
  };
  server = await startRosbridgeServer({ context, port: 0 });
});

afterAll(async () => {
  await server?.close();
  context?.destroy();
});

describe('rosbridge_suite protocol examples, replayed', () => {
  for (const exchange of EXCHANGES) {
    it(exchange.name, async () => {
      const client = await RawClient.connect(server.url);
      let lastId: unknown;
      const base = server.stats().received;
      let sent = 0;
      try {
        for (const step of exchange.steps) {
          if ('send' in step) {
            const text = JSON.stringify(step.send).replaceAll('"$id"', JSON.stringify(lastId));
            client.send(text);
            sent++;
          } else if ('expect' in step) {
            const frame = await client.next();
            expect(frame).toMatchObject(step.expect);
            lastId = frame.id;
          } else {
            const action = graph[step.graph];
            if (!action) throw new Error(`fixture names an unknown graph step ${step.graph}`);
            // The frames sent so far reach the server first.
            await until(() => server.stats().received >= base + sent, 'the server to read the frames');
            await action();
          }
        }
        expect(client.closed).toBeUndefined();
      } finally {
        await client.close();
      }
    });
  }

  it('reassembles fragments of a fragmented reply into the original message', async () => {
    const client = await RawClient.connect(server.url);
    client.send({
      op: 'subscribe',
      id: 'whole',
      topic: '/chatter',
      type: 'std_msgs/String',
      fragment_size: 10,
    });
    // Frames are handled in order: the answer to a later call proves the subscribe is in place.
    client.send({ op: 'call_service', id: 'ping', service: '/trigger' });
    expect(await client.next()).toMatchObject({ op: 'service_response', id: 'ping' });
    graph.publishChatter!();
    const parts: string[] = [];
    let total = 1;
    while (parts.length < total) {
      const f = (await client.next()) as { data: string; total: number };
      total = f.total;
      parts.push(f.data);
    }
    expect(JSON.parse(parts.join(''))).toEqual({ op: 'publish', topic: '/chatter', msg: { data: 'hello' } });
    await client.close();
  });
});
