// The language policy as a node: an instruction published on /instruction becomes a plan on
// /policy/plan, a status on /policy/status, and arm commands that achieve the task.
import { describe, expect, it } from 'vitest';
import { SimNode } from '../../sim/node/SimNode.ts';
import { getScene } from '../../sim/scene/SceneSpec.ts';
import { createContext, msgsValidator, SimClock } from '../../src/graph/index.ts';
import { LanguageNode } from '../../src/policy/language/LanguageNode.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';

describe('language policy node', () => {
  it('plans /instruction, publishes the plan and status, and completes the task', async () => {
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
    });
    const sim = new SimNode(context, { robot: 'ur5e' });
    // pick_place seed 16: a red block and a blue bowl are in the scene.
    sim.reset({ task: 'pick_place', seed: 16 });
    const node = new LanguageNode(context, { robot: sim.env.robotDescription, scene: getScene('tabletop') });
    const user = context.createNode('user');
    const plans: string[] = [];
    const states: string[] = [];
    user.createSubscription('std_msgs/msg/String', '/policy/plan', 10, (m) => plans.push(m.data));
    user.createSubscription('std_msgs/msg/String', '/policy/status', 10, (m) => {
      states.push((JSON.parse(m.data) as { state: string }).state);
    });
    user
      .createPublisher('std_msgs/msg/String', '/instruction')
      .publish({ data: 'please put the red cube in the blue bin' });
    for (let i = 0; i < 240 * 30 && !sim.done; i++) {
      sim.tick();
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(sim.checks.success).toBe(true);
    const plan = JSON.parse(plans.at(-1) ?? 'null') as {
      steps: Array<{ skill: string; object?: string; target?: string }>;
    };
    expect(plan.steps).toEqual([
      { skill: 'pick', object: 'red_block' },
      { skill: 'place', object: 'red_block', target: 'blue_bowl' },
    ]);
    expect(states).toContain('running');
    node.destroy();
    sim.destroy();
    context.destroy();
  });

  it('holds the arm and reports why for an impossible instruction', async () => {
    const context = createContext({
      transport: new LocalTransport(),
      validator: await msgsValidator(),
      clock: new SimClock(),
    });
    const sim = new SimNode(context, { robot: 'ur5e' });
    sim.reset({ task: 'pick_place', seed: 16 });
    const node = new LanguageNode(context, { robot: sim.env.robotDescription, scene: getScene('tabletop') });
    const user = context.createNode('user');
    let last: { state: string; reason?: string } = { state: '' };
    user.createSubscription('std_msgs/msg/String', '/policy/status', 10, (m) => {
      last = JSON.parse(m.data) as typeof last;
    });
    let joints: ArrayLike<number> = [];
    user.createSubscription('sensor_msgs/msg/JointState', '/joint_states', 10, (m) => {
      joints = m.position;
    });
    user
      .createPublisher('std_msgs/msg/String', '/instruction')
      .publish({ data: 'stack the bowl on the cable' });
    for (let i = 0; i < 60; i++) {
      sim.tick();
      await new Promise<void>((r) => setImmediate(r));
    }
    const before = Array.from(joints);
    for (let i = 0; i < 240; i++) {
      sim.tick();
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(last.state).toBe('failed');
    expect(last.reason).toBeTruthy();
    Array.from(joints).forEach((q, i) => {
      expect(q).toBeCloseTo(before[i]!, 6);
    });
    node.destroy();
    sim.destroy();
    context.destroy();
  });
});
