import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  type GraphErrorEvent,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
} from '../../src/graph/index.ts';
import { makeGraph } from './helpers.ts';

describe('publish and subscribe on the local transport', () => {
  it('delivers the same object to every subscriber before publish() returns', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const got: unknown[][] = [[], []];
    node.createSubscription('std_msgs/msg/String', 'level', QOS_DEFAULT, (m) => got[0]!.push(m));
    node.createSubscription('std_msgs/msg/String', '/level', 5, (m) => got[1]!.push(m));
    const pub = node.createPublisher('std_msgs/msg/String', 'level');
    const msg = { data: 'level 1.5' };
    pub.publish(msg);
    expect(got[0]).toEqual([msg]);
    expect(got[0]![0]).toBe(msg);
    expect(got[1]![0]).toBe(msg);
    expect(pub.subscriptionCount).toBe(2);
    context.destroy();
  });

  it('lists topics with their types', () => {
    const { context } = makeGraph();
    const node = context.createNode('n', { namespace: '/arm' });
    node.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
    node.createSubscription('std_msgs/msg/String', '/instruction', undefined, () => {});
    expect(node.getTopicNamesAndTypes()).toEqual([
      { name: '/arm/joint_states', types: ['sensor_msgs/msg/JointState'] },
      { name: '/instruction', types: ['std_msgs/msg/String'] },
    ]);
    context.destroy();
  });

  it('queues a publish made inside a callback and delivers it after the current one, in order', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const order: string[] = [];
    const echo = node.createPublisher('std_msgs/msg/String', 'echo');
    node.createSubscription('std_msgs/msg/String', 'in', undefined, (m) => {
      order.push(`a:${m.data}`);
      if (Number(m.data) < 3) echo.publish({ data: String(Number(m.data) + 1) });
    });
    node.createSubscription('std_msgs/msg/String', 'in', undefined, (m) => order.push(`b:${m.data}`));
    const pub = node.createPublisher('std_msgs/msg/String', 'in');
    node.createSubscription('std_msgs/msg/String', 'echo', undefined, (m) => {
      order.push(`echo:${m.data}`);
      pub.publish(m);
    });
    pub.publish({ data: '1' });
    // Depth-first recursion would interleave; the queue finishes each delivery first.
    expect(order).toEqual(['a:1', 'b:1', 'echo:2', 'a:2', 'b:2', 'echo:3', 'a:3', 'b:3']);
    context.destroy();
  });

  it('destroy() is safe to call twice on every entity, node and context', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const pub = node.createPublisher('std_msgs/msg/String', 't');
    const sub = node.createSubscription('std_msgs/msg/String', 't', undefined, () => {});
    sub.destroy();
    sub.destroy();
    pub.destroy();
    pub.destroy();
    node.destroy();
    node.destroy();
    context.destroy();
    context.destroy();
    expect(context.getNodeNames()).toEqual([]);
  });
});

describe('QoS', () => {
  it('does not connect a reliable subscription to a best-effort publisher, and reports it on both sides', () => {
    const { context, logger } = makeGraph();
    const node = context.createNode('n');
    const events: string[] = [];
    node.on('incompatibleQos', (e) => events.push(`${e.side}:${e.lastPolicyKind}:${e.totalCount}`));
    const pub = node.createPublisher('std_msgs/msg/String', 'cam', QOS_SENSOR_DATA);
    const got: unknown[] = [];
    const sub = node.createSubscription('std_msgs/msg/String', 'cam', QOS_DEFAULT, (m) => got.push(m));
    pub.publish({ data: '1' });
    expect(got).toEqual([]);
    expect(sub.publisherCount).toBe(0);
    expect(pub.incompatibleQosCount).toBe(1);
    expect(sub.incompatibleQosCount).toBe(1);
    expect(events).toEqual(['publisher:reliability:1', 'subscription:reliability:1']);
    expect(logger.lines.some((l) => l.includes('incompatible QoS on /cam (reliability)'))).toBe(true);
    context.destroy();
  });

  it('connects a best-effort subscription to a reliable publisher', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const got: unknown[] = [];
    node.createSubscription('std_msgs/msg/String', 'js', QOS_SENSOR_DATA, (m) => got.push(m));
    node.createPublisher('std_msgs/msg/String', 'js', QOS_DEFAULT).publish({ data: '2' });
    expect(got).toEqual([{ data: '2' }]);
    context.destroy();
  });

  it('does not connect a transient_local subscription to a volatile publisher', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const pub = node.createPublisher('std_msgs/msg/String', 'desc', QOS_DEFAULT);
    const sub = node.createSubscription('std_msgs/msg/String', 'desc', QOS_TRANSIENT_LOCAL, () => {});
    expect(sub.publisherCount).toBe(0);
    expect(pub.incompatibleQosCount).toBe(1);
    context.destroy();
  });

  it('does not connect endpoints of different types on one topic', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    node.createPublisher('std_msgs/msg/Bool', 't');
    const sub = node.createSubscription('std_msgs/msg/String', 't', undefined, () => {});
    expect(sub.publisherCount).toBe(0);
    expect(sub.incompatibleQosCount).toBe(1);
    context.destroy();
  });

  it('gives a late transient_local subscriber the last `depth` samples, after createSubscription returns', async () => {
    const { context } = makeGraph();
    const sim = context.createNode('sim');
    const pub = sim.createPublisher('std_msgs/msg/String', '/robot_description', {
      ...QOS_TRANSIENT_LOCAL,
      depth: 2,
    });
    pub.publish({ data: 'a' });
    pub.publish({ data: 'b' });
    pub.publish({ data: 'c' });
    const policy = context.createNode('policy');
    const got: unknown[] = [];
    const volatileGot: unknown[] = [];
    policy.createSubscription('std_msgs/msg/String', '/robot_description', QOS_TRANSIENT_LOCAL, (m) =>
      got.push(m),
    );
    policy.createSubscription('std_msgs/msg/String', '/robot_description', QOS_DEFAULT, (m) =>
      volatileGot.push(m),
    );
    expect(got).toEqual([]);
    await Promise.resolve();
    // keep last 1 on the subscription side bounds what it queues; its depth is 1.
    expect(got).toEqual([{ data: 'c' }]);
    expect(volatileGot).toEqual([]);
    const deep = context.createNode('deep');
    const all: unknown[] = [];
    deep.createSubscription(
      'std_msgs/msg/String',
      '/robot_description',
      { ...QOS_TRANSIENT_LOCAL, depth: 10 },
      (m) => all.push(m),
    );
    await Promise.resolve();
    expect(all).toEqual([{ data: 'b' }, { data: 'c' }]);
    context.destroy();
  });

  it('keeps only the newest `depth` queued samples per subscription and counts the rest as lost', () => {
    const { context, transport } = makeGraph({ local: { delivery: 'manual' } });
    const node = context.createNode('n');
    const shallow: string[] = [];
    const deep: string[] = [];
    const s1 = node.createSubscription('std_msgs/msg/String', 't', { ...QOS_SENSOR_DATA, depth: 3 }, (m) =>
      shallow.push(m.data),
    );
    node.createSubscription('std_msgs/msg/String', 't', { depth: 100 }, (m) => deep.push(m.data));
    const pub = node.createPublisher('std_msgs/msg/String', 't');
    for (let i = 0; i < 10; i++) pub.publish({ data: String(i) });
    expect(shallow).toEqual([]);
    transport.flush();
    expect(shallow).toEqual(['7', '8', '9']);
    expect(deep).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(s1.stats.lost).toBe(7);
    context.destroy();
  });
});

describe('validation and isolation', () => {
  it('rejects a bad message at publish() on the in-process transport, naming field, value and topic', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const got: unknown[] = [];
    node.createSubscription('std_msgs/msg/String', 't', undefined, (m) => got.push(m));
    const pub = node.createPublisher('std_msgs/msg/String', 't');
    expect(() => pub.publish({ data: 5 as unknown as string })).toThrow(UserError);
    expect(() => pub.publish({ data: 5 as unknown as string })).toThrow(
      /^\/t .*: data: expected string \(got 5\)/,
    );
    expect(() => pub.publish({ data: 'ok', extra: 1 } as { data: string })).toThrow(
      /^\/t .*: extra: unknown field \(got 1\)/,
    );
    expect(got).toEqual([]);
    context.destroy();
  });

  it('drops a bad message from outside, counts and reports it, and keeps the subscription alive', () => {
    const { context, transport, logger } = makeGraph({ validation: 'at-receive' });
    const node = context.createNode('n');
    const errors: GraphErrorEvent[] = [];
    node.on('error', (e) => errors.push(e));
    const got: boolean[] = [];
    const sub = node.createSubscription('std_msgs/msg/Bool', 'level', undefined, (m) => got.push(m.data));
    // A remote peer, as a bridge would inject it: no graph publisher, so no check at publish.
    const peer = transport.advertise({ topic: '/level', type: 'std_msgs/msg/Bool', qos: QOS_DEFAULT });
    peer.publish({ data: true });
    peer.publish({ data: 'high' });
    peer.publish({ data: false });
    expect(got).toEqual([true, false]);
    expect(sub.stats).toMatchObject({ received: 3, dropped: 1, callbackErrors: 0 });
    expect(sub.stats.lastError?.message).toMatch(/^\/level: .*data: expected boolean \(got "high"\)/);
    expect(errors.map((e) => [e.kind, e.topic])).toEqual([['invalid_message', '/level']]);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/ERROR \[\/n\] dropped invalid message on \/level: .*data.*"high"/),
    );
    context.destroy();
  });

  it('isolates a throwing callback: counted, reported, and the other subscribers still get the message', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    const errors: GraphErrorEvent[] = [];
    node.on('error', (e) => errors.push(e));
    const bad = node.createSubscription('std_msgs/msg/String', 't', undefined, () => {
      throw new Error('boom');
    });
    const got: string[] = [];
    node.createSubscription('std_msgs/msg/String', 't', undefined, (m) => got.push(m.data));
    const pub = node.createPublisher('std_msgs/msg/String', 't');
    pub.publish({ data: '1' });
    pub.publish({ data: '2' });
    expect(got).toEqual(['1', '2']);
    expect(bad.stats).toMatchObject({ received: 2, dropped: 0, callbackErrors: 2 });
    expect(errors[0]).toMatchObject({ kind: 'callback', topic: '/t' });
    expect(errors[0]!.error.message).toBe('boom');
    context.destroy();
  });
});
