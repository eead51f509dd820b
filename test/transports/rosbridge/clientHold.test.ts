// The policy node holds the arm while its rosbridge link is down: on a wall clock (a real arm has
// no /clock to stop it) it runs no control cycles while disconnected, and after the reconnect it
// commands nothing until fresh /joint_states and /detections have arrived.
import { afterEach, describe, expect, it } from 'vitest';
import { getScene } from '../../../sim/scene/SceneSpec.ts';
import { resolveRobot } from '../../../src/eval/resolve.ts';
import { createContext } from '../../../src/graph/index.ts';
import { PolicyNode } from '../../../src/policy/PolicyNode.ts';
import { RosbridgeTransport } from '../../../src/transports/rosbridge/client/RosbridgeTransport.ts';
import { captureLogger, realValidator } from '../../graph/helpers.ts';
import { counter, startReplayServer } from './clientReplayServer.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('policy node over a rosbridge link that drops', () => {
  it('runs no cycles while disconnected and waits for fresh observations after the reconnect', async () => {
    const robot = resolveRobot('ur5e');
    const cfg = robot.config;
    const server = await startReplayServer();
    cleanups.push(() => server.close());
    const logger = captureLogger();
    // A slow first retry (at least 300 ms) gives the 60 Hz policy timer many chances to misbehave.
    const transport = new RosbridgeTransport({
      url: server.url,
      logger,
      backoff: { initialDelayMs: 600, maxDelayMs: 600, jitter: 0.5 },
      seed: 3,
    });
    const context = createContext({ transport, validator: realValidator, logger, clock: 'wall' });
    cleanups.push(() => context.destroy());
    const policy = new PolicyNode(context, {
      robot,
      scene: getScene('tabletop'),
      controlHz: 60,
      name: 'hold_test',
      createPolicy: () => ({
        act: (obs) => ({ joints: obs.joints.position, gripper: obs.gripper.width }),
        finished: false,
        failure: undefined,
      }),
    });
    await transport.waitForConnection(5000);
    const commandTopic = `/${cfg.controllers.forward_position_controller}/commands`;
    const links = counter<boolean>();
    transport.connection.onConnectionChange((up) => links.push(up));

    const names = [...cfg.arm_joints, ...cfg.gripper.joints];
    const observe = () => {
      server.send({
        op: 'publish',
        topic: '/joint_states',
        msg: {
          header: { stamp: { sec: 1, nanosec: 0 }, frame_id: '' },
          name: names,
          position: names.map((_, i) => (i < cfg.arm_joints.length ? (cfg.home[i] ?? 0) : 0.02)),
          velocity: names.map(() => 0),
          effort: [],
        },
      });
      server.send({ op: 'publish', topic: '/detections', msg: { header: {}, detections: [] } });
    };
    const subscribed = async (since: number) => {
      for (const topic of ['/robot_description', '/joint_states', '/detections']) {
        await server.expectFrame(
          (f) => server.frames.indexOf(f) >= since && f.op === 'subscribe' && f.topic === topic,
          `subscribe ${topic}`,
        );
      }
    };
    /** Matches the n-th command published at or after frame `since` (expectFrame tries each frame once). */
    const nthCommand = (n: number, since: number) => {
      let count = 0;
      return (f: Record<string, unknown>) =>
        server.frames.indexOf(f) >= since && f.op === 'publish' && f.topic === commandTopic && ++count >= n;
    };

    await subscribed(0);
    server.send({ op: 'publish', topic: '/robot_description', msg: { data: robot.urdfText } });
    observe();
    await server.expectFrame(nthCommand(3, 0), 'three commands before the drop');

    server.dropClients();
    await links.waitFor(1, 'disconnect');
    const cyclesAtDrop = policy.cycles;
    await links.waitFor(2, 'reconnect', 5000);
    // At least 300 ms passed: ~18 periods of the 60 Hz timer, and not one cycle ran.
    expect(policy.cycles).toBe(cyclesAtDrop);

    const sinceReconnect = server.frames.length;
    await subscribed(sinceReconnect);
    // Connected again, but the observations from before the drop are gone: wait for ten periods
    // of a timer at the policy's rate, and the policy must not have run once.
    const periods = counter<number>();
    const probe = context.createNode('probe');
    probe.createTimer(1 / 60, () => periods.push(0));
    await periods.waitFor(10, 'ten control periods');
    expect(policy.cycles).toBe(cyclesAtDrop);
    expect(
      server.frames.slice(sinceReconnect).some((f) => f.op === 'publish' && f.topic === commandTopic),
    ).toBe(false);

    observe();
    await server.expectFrame(nthCommand(1, sinceReconnect), 'a command after fresh observations');
    expect(policy.cycles).toBeGreaterThan(cyclesAtDrop);
    // The gripper goal is sent again: the one before the drop may have been lost with the link.
    expect(
      server.frames
        .slice(sinceReconnect)
        .some((f) => f.op === 'send_action_goal' && String(f.action).endsWith('/gripper_cmd')),
    ).toBe(true);
  });
});
