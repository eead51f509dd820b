// The graph over this project's rosbridge server: the sim node on a local context behind the
// server, the language policy node on a second context over the rosbridge client transport,
// completing "put the red block in the blue bowl" — and surviving a cut link mid-episode.
import { afterEach, describe, expect, it } from 'vitest';
import { getScene } from '../../../sim/scene/SceneSpec.ts';
import { resolveRobot } from '../../../src/eval/resolve.ts';
import { createContext, QOS_SENSOR_DATA } from '../../../src/graph/index.ts';
import { LanguageNode } from '../../../src/policy/language/LanguageNode.ts';
import { counter } from './clientReplayServer.ts';
import { simBehindServer } from './simBehindServer.ts';

const INSTRUCTION = 'put the red block in the blue bowl';
/** Sim ticks per policy control period (240 Hz sim, 60 Hz policy). */
const TICKS_PER_PERIOD = 4;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig() {
  const {
    validator,
    simContext,
    sim,
    server,
    proxy,
    transport,
    logger: policyLogger,
  } = await simBehindServer(cleanups, { proxy: true, seed: 1 });
  if (!proxy) throw new Error('the rig was asked for a proxy');
  const policyContext = createContext({ transport, validator, clock: 'sim', logger: policyLogger });
  cleanups.push(() => policyContext.destroy());
  const language = new LanguageNode(policyContext, {
    robot: resolveRobot('ur5e'),
    scene: getScene('tabletop'),
  });
  await transport.waitForConnection(5000);

  // What reaches the arm, counted on the sim's side of the server.
  const harness = simContext.createNode('harness');
  const commands = counter<number>();
  harness.createSubscription(
    'std_msgs/msg/Float64MultiArray',
    '/forward_position_controller/commands',
    QOS_SENSOR_DATA,
    () => commands.push(sim.env.timeSeconds),
  );
  const states: string[] = [];
  harness.createSubscription('std_msgs/msg/String', '/policy/status', 10, (m) => {
    states.push((JSON.parse(m.data) as { state: string }).state);
  });
  const instruction = harness.createPublisher('std_msgs/msg/String', '/instruction');

  /**
   * Ticks the sim until the task is done. Soft lockstep: while the policy is commanding, each
   * control period waits (up to 200 ms) for its command, so a busy machine slows the episode
   * instead of starving the policy of time. `onPeriod` runs after every period.
   */
  async function run(onPeriod: (period: number) => Promise<void> = async () => {}) {
    const deadline = performance.now() + 100_000;
    let sent = false;
    let seen = 0;
    for (let tick = 1; !sim.done && performance.now() < deadline && !language.failure; tick++) {
      if (!sent && instruction.subscriptionCount > 0) {
        instruction.publish({ data: INSTRUCTION });
        sent = true;
      }
      sim.tick();
      if (tick % TICKS_PER_PERIOD !== 0) {
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const commanding = commands.items.length > seen;
      seen = commands.items.length;
      if (commanding) await commands.waitFor(seen + 1, 'next command', 200).catch(() => {});
      else await new Promise<void>((r) => setImmediate(r));
      await onPeriod(tick / TICKS_PER_PERIOD);
    }
  }

  return { sim, server, proxy, transport, language, commands, states, run, policyLogger };
}

describe('rosbridge client transport against the project server', () => {
  it('runs the language policy over rosbridge and completes a pick_place episode', async () => {
    const { sim, run, states, language, transport, commands } = await rig();
    await run();
    expect(language.failure).toBeUndefined();
    expect(sim.checks.success).toBe(true);
    expect(states).toContain('running');
    expect(language.language?.plan?.steps).toEqual([
      { skill: 'pick', object: 'red_block' },
      { skill: 'place', object: 'red_block', target: 'blue_bowl' },
    ]);
    expect(commands.items.length).toBeGreaterThan(100);
    expect(transport.stats).toMatchObject({ connects: 1, disconnects: 0, badFrames: 0 });
  });

  it('sends no commands while the link is cut, resubscribes after, and still completes the task', async () => {
    const { sim, run, proxy, transport, language, commands, server } = await rig();
    const links = counter<boolean>();
    transport.connection.onConnectionChange((up) => links.push(up));
    let cutAt = -1;
    let duringOutage = -1;
    await run(async () => {
      // Cut once the arm has been commanded for 1 s of sim time: mid-pick.
      if (cutAt >= 0 || commands.items.length < 60) return;
      proxy.cut();
      await links.waitFor(1, 'the client sees the drop');
      expect(transport.connected).toBe(false);
      cutAt = commands.items.length;
      const cycles = language.policyNode.cycles;
      // 0.6 s of sim time with the link down: longer than the sim's 0.5 s watchdog.
      for (let i = 0; i < 144; i++) {
        sim.tick();
        await new Promise<void>((r) => setImmediate(r));
      }
      duringOutage = commands.items.length - cutAt;
      expect(language.policyNode.cycles).toBe(cycles);
      expect(sim.node).toBeDefined();
      proxy.restore();
      await links.waitFor(2, 'the client reconnects', 10_000);
      expect(transport.connected).toBe(true);
    });
    expect(cutAt).toBeGreaterThan(0);
    expect(duringOutage).toBe(0);
    // Resubscribed: fresh /joint_states reached the policy, which commanded again.
    expect(commands.items.length).toBeGreaterThan(cutAt + 30);
    expect(sim.checks.success).toBe(true);
    expect(transport.stats).toMatchObject({ connects: 2, disconnects: 1 });
    expect(server.stats().clients).toBe(1);
  });
});
