// The rosbridge server against the real roslib 2.1 (Node, over ws), with the sim node and the
// language policy node on one local context: the exchanges a web dashboard makes.
import * as ROSLIB from 'roslib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimNode } from '../../../sim/node/SimNode.ts';
import { getScene } from '../../../sim/scene/SceneSpec.ts';
import { type Context, createContext, msgsValidator, SimClock } from '../../../src/graph/index.ts';
import { decodeCdr } from '../../../src/msgs/index.ts';
import { LanguageNode } from '../../../src/policy/language/LanguageNode.ts';
import { LocalTransport } from '../../../src/transports/local/LocalTransport.ts';
import {
  type RosbridgeServer,
  startRosbridgeServer,
} from '../../../src/transports/rosbridge/server/index.ts';
import { captureLogger } from '../../graph/helpers.ts';

const INSTRUCTION = 'put the red block in the blue bowl';

let context: Context;
let sim: SimNode;
/** Made after the trajectory test: it streams hold commands, which preempt a trajectory goal. */
let language: LanguageNode | undefined;
let server: RosbridgeServer;
let ros: ROSLIB.Ros;

/**
 * Ticks the sim (which owns sim time) until `done()` holds, yielding to the event loop each
 * tick so socket traffic flows; fails after `maxTicks` (240 ticks = 1 s of sim time).
 */
async function tickUntil(done: () => boolean, maxTicks: number, what: string): Promise<void> {
  for (let i = 0; i < maxTicks; i++) {
    if (done()) return;
    sim.tick();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!done()) throw new Error(`gave up after ${maxTicks} ticks waiting for ${what}`);
}

/** Yields to the event loop (no ticks) until `done()`, for at most `maxTurns` turns. */
async function turnUntil(done: () => boolean, maxTurns: number, what: string): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`gave up after ${maxTurns} event-loop turns waiting for ${what}`);
}

beforeAll(async () => {
  context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    clock: new SimClock(),
    logger: captureLogger(),
  });
  sim = new SimNode(context, { robot: 'ur5e' });
  server = await startRosbridgeServer({ context, port: 0 });
  ros = new ROSLIB.Ros({ url: server.url });
  await new Promise<void>((resolve, reject) => {
    ros.on('connection', () => resolve());
    ros.on('error', (e) => reject(new Error(`roslib could not connect: ${String(e)}`)));
  });
});

afterAll(async () => {
  ros?.close();
  await server?.close();
  language?.destroy();
  sim?.destroy();
  context?.destroy();
});

describe('rosbridge server with roslib 2.1', () => {
  it('binds 127.0.0.1 and names its node /rosbridge_server', () => {
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    expect(context.getNodeNames()).toContain('/rosbridge_server');
  });

  it('calls /sim/reset (simbridge_msgs/srv/Reset) and gets the episode instruction', async () => {
    const reset = new ROSLIB.Service<
      { task: string; seed: number; split: string },
      { success: boolean; message: string; instruction: string; goal_json: string }
    >({ ros, name: '/sim/reset', serviceType: 'simbridge_msgs/srv/Reset' });
    const response = await new Promise<{ success: boolean; instruction: string; goal_json: string }>(
      (resolve, reject) =>
        reset.callService({ task: 'pick_place', seed: 16, split: 'seen' }, resolve, reject),
    );
    expect(response.success).toBe(true);
    expect(response.instruction.length).toBeGreaterThan(0);
    expect(JSON.parse(response.goal_json)).toBeTypeOf('object');
  });

  it('delivers /joint_states with the arm and finger joints', async () => {
    const topic = new ROSLIB.Topic<{
      name: string[];
      position: number[];
      header: { stamp: { sec: number } };
    }>({
      ros,
      name: '/joint_states',
      messageType: 'sensor_msgs/JointState',
    });
    const got: Array<{ name: string[]; position: number[] }> = [];
    topic.subscribe((m) => got.push(m));
    await tickUntil(() => got.length >= 5, 240, '5 /joint_states messages');
    topic.unsubscribe();
    const arm = sim.env.robotDescription.config.arm_joints;
    expect(got[0]!.name.slice(0, arm.length)).toEqual(arm);
    expect(got[0]!.position).toHaveLength(arm.length + 2);
    expect(got.every((m) => m.position.every(Number.isFinite))).toBe(true);
  });

  it('hands a late subscriber the latched /robot_description, CBOR-encoded', async () => {
    const topic = new ROSLIB.Topic<{ data: string }>({
      ros,
      name: '/robot_description',
      messageType: 'std_msgs/msg/String',
      compression: 'cbor',
    });
    let urdf: string | undefined;
    topic.subscribe((m) => {
      urdf = m.data;
    });
    await turnUntil(() => urdf !== undefined, 2000, 'the latched /robot_description');
    topic.unsubscribe();
    expect(urdf).toBe(sim.env.robotDescription.urdfText);
  });

  it('sends cbor-raw /joint_states as CDR bytes that decode to the published message', async () => {
    const topic = new ROSLIB.Topic<{ bytes: Uint8Array; secs: number; nsecs: number }>({
      ros,
      name: '/joint_states',
      messageType: 'sensor_msgs/msg/JointState',
      compression: 'cbor-raw',
    });
    const got: Array<{ bytes: Uint8Array; secs: number }> = [];
    topic.subscribe((m) => got.push(m));
    await tickUntil(() => got.length >= 2, 240, 'cbor-raw /joint_states');
    topic.unsubscribe();
    const decoded = decodeCdr('sensor_msgs/msg/JointState', got[0]!.bytes);
    expect(decoded.name.slice(0, 6)).toEqual(sim.env.robotDescription.config.arm_joints.slice(0, 6));
    expect(Number.isInteger(got[0]!.secs)).toBe(true);
  });

  it('runs a FollowJointTrajectory goal with feedback and a result', async () => {
    const joints = sim.env.robotDescription.config.arm_joints;
    const start = Array.from(sim.env.robot.arm.position);
    const target = start.map((q, i) => (i === 0 ? q + 0.1 : q));
    const action = new ROSLIB.Action<
      Record<string, unknown>,
      { actual: { positions: number[] } },
      { error_code: number; error_string: string }
    >({
      ros,
      name: '/joint_trajectory_controller/follow_joint_trajectory',
      actionType: 'control_msgs/action/FollowJointTrajectory',
    });
    const feedback: Array<{ actual: { positions: number[] } }> = [];
    let result: { error_code: number } | undefined;
    let failure: string | undefined;
    action.sendGoal(
      {
        trajectory: {
          joint_names: joints,
          points: [{ positions: target, time_from_start: { sec: 0, nanosec: 500_000_000 } }],
        },
      },
      (r) => {
        result = r;
      },
      (fb) => feedback.push(fb),
      (e) => {
        failure = e;
      },
    );
    await tickUntil(() => result !== undefined || failure !== undefined, 240 * 5, 'the action result');
    expect(failure).toBeUndefined();
    expect(result?.error_code).toBe(0);
    expect(feedback.length).toBeGreaterThan(3);
    expect(feedback.at(-1)!.actual.positions).toHaveLength(joints.length);
    expect(sim.env.robot.arm.position[0]).toBeCloseTo(target[0]!, 2);
  });

  it('publishes an /instruction that the language policy node plans', async () => {
    language = new LanguageNode(context, { robot: sim.env.robotDescription, scene: getScene('tabletop') });
    const user = context.createNode('instruction_probe');
    const seen: string[] = [];
    user.createSubscription('std_msgs/msg/String', '/instruction', 10, (m) => seen.push(m.data));
    const plans = new ROSLIB.Topic<{ data: string }>({
      ros,
      name: '/policy/plan',
      messageType: 'std_msgs/msg/String',
    });
    const planTexts: string[] = [];
    plans.subscribe((m) => planTexts.push(m.data));
    // Let the subscribe op reach the server before anything is published.
    await turnUntil(
      () =>
        server.stats().received >= 1 &&
        context.transport.getTopicNamesAndTypes().some((t) => t.name === '/policy/plan'),
      1000,
      'the /policy/plan subscription',
    );
    const instruction = new ROSLIB.Topic<{ data: string }>({
      ros,
      name: '/instruction',
      messageType: 'std_msgs/String',
    });
    instruction.publish({ data: INSTRUCTION });
    await tickUntil(() => planTexts.length > 0, 240 * 5, 'a plan on /policy/plan');
    expect(seen).toEqual([INSTRUCTION]);
    const plan = JSON.parse(planTexts.at(-1)!) as { steps: Array<{ skill: string; object?: string }> };
    expect(plan.steps.map((s) => s.skill)).toEqual(['pick', 'place']);
    plans.unsubscribe();
    user.destroy();
  });

  it('answers an invalid publish with a status naming the field and value, and stays connected', async () => {
    const statuses: Array<{ level: string; msg: string }> = [];
    ros.on('status', (s) => statuses.push(s as unknown as { level: string; msg: string }));
    const bad = new ROSLIB.Topic<Record<string, unknown>>({
      ros,
      name: '/forward_position_controller/commands',
      messageType: 'std_msgs/msg/Float64MultiArray',
    });
    bad.advertise();
    ros.callOnConnection({
      op: 'publish',
      topic: '/forward_position_controller/commands',
      msg: { data: [0, 'x'] },
    });
    await turnUntil(() => statuses.length > 0, 2000, 'a status message');
    expect(statuses[0]!.level).toBe('error');
    expect(statuses[0]!.msg).toContain('publish');
    expect(statuses[0]!.msg).toContain('data.1');
    expect(statuses[0]!.msg).toContain('"x"');
    expect(ros.isConnected).toBe(true);
  });
});
