// The rclnodejs transport. rclnodejs needs a sourced ROS 2 install, which this machine lacks:
// the round trip over real ROS 2 runs only where it is present and is skipped here, saying why.
import { describe, expect, it } from 'vitest';
import { createContext, QOS_TRANSIENT_LOCAL } from '../../src/graph/index.ts';
import { loadRclnodejs } from '../../src/transports/ros2/loadRclnodejs.ts';
import { createRos2Transport } from '../../src/transports/ros2/Ros2Transport.ts';
import type { RclnodejsModule } from '../../src/transports/ros2/rclnodejsTypes.ts';
import { createTransport } from '../../src/transports/select.ts';
import { captureLogger, realValidator } from '../graph/helpers.ts';

const rclnodejs = await loadRclnodejs().then(
  (m) => m,
  () => undefined,
);
const rosSourced = Boolean(process.env['AMENT_PREFIX_PATH']);

describe('ros2 transport (rclnodejs)', () => {
  it('says how to install rclnodejs when it is absent', async (ctx) => {
    if (rclnodejs) ctx.skip('rclnodejs is installed here');
    const err = await createTransport('ros2').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).toBe('UserError');
    expect((err as Error).message).toBe(
      '--transport ros2: rclnodejs is not installed: source a ROS 2 install first ' +
        '(e.g. `source /opt/ros/humble/setup.bash`), then run `npm install rclnodejs` in the simbridge ' +
        'folder; or use --transport rosbridge or --transport rtps, which need no ROS install',
    );
  });

  it('says to rebuild it when it is installed but its native addon does not load', async () => {
    // Stand-in for a state this machine cannot reach (rclnodejs installed without ROS 2 sourced):
    // the importer fails the way `bindings` does when the addon was never built.
    const unbuilt = Object.assign(
      new Error('Could not locate the bindings file. Tried:\n → build/rclnodejs.node'),
      {
        code: undefined,
      },
    );
    const err = await loadRclnodejs(() => Promise.reject(unbuilt)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err!.name).toBe('UserError');
    expect(err!.message).toMatch(
      /rclnodejs is installed but cannot load.*: Could not locate the bindings file\. Tried:; source a ROS 2/,
    );
    expect(err!.message).toContain('`npm rebuild rclnodejs`');
    if (!rosSourced) expect(err!.message).toContain('AMENT_PREFIX_PATH is unset');
  });

  it('maps graph QoS onto rmw QoS and validates what rclnodejs hands over on receipt', async () => {
    // Stand-in rclnodejs (this machine has no ROS 2): one in-process topic table with the
    // subset of rclnodejs's API the transport uses. It checks our side of the contract only.
    const made: Array<{ topic: string; qos: unknown[] }> = [];
    const callbacks = new Map<string, Array<(m: unknown) => void>>();
    class QoS {
      args: unknown[];
      constructor(...args: unknown[]) {
        this.args = args;
      }
    }
    const fake = {
      init: async () => {},
      shutdown: () => {},
      QoS,
      Node: class {
        createPublisher(_type: string, topic: string, o: { qos: QoS }) {
          made.push({ topic, qos: o.qos.args });
          return {
            publish: (m: unknown) => {
              for (const cb of callbacks.get(topic) ?? []) cb(m);
            },
          };
        }
        createSubscription(_type: string, topic: string, o: { qos: QoS }, cb: (m: unknown) => void) {
          made.push({ topic, qos: o.qos.args });
          callbacks.set(topic, [...(callbacks.get(topic) ?? []), cb]);
          return {};
        }
        countSubscribers = (t: string) => callbacks.get(t)?.length ?? 0;
        countPublishers = () => 1;
        destroyPublisher() {}
        destroySubscription() {}
        spin() {}
        destroy() {}
      },
    } as unknown as RclnodejsModule;
    const transport = await createRos2Transport({}, async () => fake);
    const logger = captureLogger();
    const context = createContext({ transport, validator: realValidator, logger });
    const node = context.createNode('t');
    const got: unknown[] = [];
    node.createSubscription('std_msgs/msg/String', '/robot_description', QOS_TRANSIENT_LOCAL, (m) =>
      got.push(m),
    );
    node.createSubscription('builtin_interfaces/msg/Time', '/stamp', 5, (m) => got.push(m));
    const pub = node.createPublisher('std_msgs/msg/String', '/robot_description', QOS_TRANSIENT_LOCAL);
    // rmw: keep_last 1, reliable 1, transient_local 1; volatile 2.
    expect(made[0]).toEqual({ topic: '/robot_description', qos: [1, 1, 1, 1] });
    expect(made[1]).toEqual({ topic: '/stamp', qos: [1, 5, 1, 2] });
    pub.publish({ data: '<robot/>' });
    for (const cb of callbacks.get('/stamp')!) cb({ sec: 'soon', nanosec: 0 });
    expect(got).toEqual([{ data: '<robot/>' }]);
    expect(logger.lines.some((l) => l.includes('/stamp') && l.includes('sec') && l.includes('"soon"'))).toBe(
      true,
    );
    context.destroy();
  });

  it('round-trips a message over real ROS 2', async (ctx) => {
    if (!rclnodejs || !rosSourced) {
      ctx.skip(
        'needs rclnodejs and a sourced ROS 2 (AMENT_PREFIX_PATH); this machine has neither, see the test above',
      );
    }
    const transport = await createRos2Transport({ nodeName: 'simbridge_test' });
    const context = createContext({ transport, validator: realValidator, logger: captureLogger() });
    try {
      const node = context.createNode('t');
      const received = new Promise<unknown>((resolve) =>
        node.createSubscription('std_msgs/msg/String', '/simbridge_ros2_test', 10, resolve),
      );
      const pub = node.createPublisher('std_msgs/msg/String', '/simbridge_ros2_test');
      const timer = setInterval(() => pub.publish({ data: 'hello' }), 100);
      try {
        await expect(received).resolves.toEqual({ data: 'hello' });
      } finally {
        clearInterval(timer);
      }
    } finally {
      context.destroy();
    }
  });
});
