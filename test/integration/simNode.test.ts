// The sim node on the graph, seen only as a client sees it: a separate `test_client` node
// talks to it over the topic contract in DESIGN.md (topics, services, actions). The only
// direct call into the sim is `sim.tick()`, which advances sim time one physics step; between
// ticks the test yields to the event loop so action and service promises settle in order.
import { afterEach, describe, expect, it } from 'vitest';
import { FJT_ERROR, SimNode } from '../../sim/node/SimNode.ts';
import {
  type Context,
  createContext,
  GoalStatus,
  msgsValidator,
  type Node,
  QOS_CLOCK,
  QOS_TRANSIENT_LOCAL,
  SimClock,
  timeToNs,
} from '../../src/graph/index.ts';
import { fillDefaults, type MessageType } from '../../src/msgs/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { captureLogger } from '../graph/helpers.ts';

type JointState = MessageType<'sensor_msgs/msg/JointState'>;
type JointTrajectory = MessageType<'trajectory_msgs/msg/JointTrajectory'>;
type FjtFeedback = MessageType<'control_msgs/action/FollowJointTrajectory_Feedback'>;

/** Physics steps per second of sim time (the sim node's control rate). */
const STEPS_PER_SECOND = 240;

const ARM_JOINTS = [
  'shoulder_pan_joint',
  'shoulder_lift_joint',
  'elbow_joint',
  'wrist_1_joint',
  'wrist_2_joint',
  'wrist_3_joint',
] as const;

/** What /sim/status carries (JSON in a std_msgs/String). */
interface SimStatus {
  state: string;
  mode: string;
  watchdog: boolean;
  rejectedCommands: number;
  lastError: string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A sim node reset to an episode, and a client node that sees it only through the graph. */
async function startSim(task = 'pick_place', seed = 1) {
  const logger = captureLogger();
  const context: Context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    clock: new SimClock(),
    logger,
  });
  const sim = new SimNode(context);
  const client: Node = context.createNode('test_client');

  let jointState: JointState | undefined;
  let jointStateCount = 0;
  client.createSubscription('sensor_msgs/msg/JointState', '/joint_states', 10, (msg) => {
    jointState = msg;
    jointStateCount++;
  });
  let status: SimStatus | undefined;
  client.createSubscription('std_msgs/msg/String', '/sim/status', 10, (msg) => {
    status = JSON.parse(msg.data) as SimStatus;
  });
  let clockNs: bigint | undefined;
  client.createSubscription('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK, (msg) => {
    clockNs = timeToNs(msg.clock);
  });

  const reset = await client
    .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
    .call({ task, seed, split: 'seen' }, { timeoutSeconds: 10 });
  expect(reset.success, reset.message).toBe(true);

  const commands = client.createPublisher(
    'std_msgs/msg/Float64MultiArray',
    '/forward_position_controller/commands',
  );
  const estop = client.createPublisher('std_msgs/msg/Bool', '/emergency_stop');
  const fjt = client.createActionClient(
    'control_msgs/action/FollowJointTrajectory',
    '/joint_trajectory_controller/follow_joint_trajectory',
  );

  /** Advances sim time by `steps` physics steps, yielding to the event loop after each. */
  async function tick(steps: number): Promise<void> {
    for (let i = 0; i < steps; i++) {
      sim.tick();
      await yieldToEventLoop();
    }
  }

  /** Ticks until `promise` settles (at most `maxSteps`); returns its value. */
  async function tickUntil<T>(promise: Promise<T>, maxSteps: number): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    for (let i = 0; i < maxSteps && !settled; i++) {
      sim.tick();
      await yieldToEventLoop();
    }
    expect(settled, `still pending after ${maxSteps} physics steps`).toBe(true);
    return watched;
  }

  /** The arm's joint positions from the latest /joint_states, in ARM_JOINTS order. */
  function armPositions(): number[] {
    return armField('position');
  }
  function armVelocities(): number[] {
    return armField('velocity');
  }
  function armField(field: 'position' | 'velocity'): number[] {
    if (!jointState) throw new Error('no /joint_states received yet');
    const js = jointState;
    return ARM_JOINTS.map((name) => {
      const i = js.name.indexOf(name);
      if (i < 0) throw new Error(`/joint_states has no ${name}`);
      return js[field][i]!;
    });
  }

  function command(data: number[]): void {
    commands.publish(fillDefaults('std_msgs/msg/Float64MultiArray', { data }));
  }

  function trajectory(
    points: Array<{ positions: number[]; seconds: number }>,
    names: string[] = [...ARM_JOINTS],
  ) {
    return fillDefaults('trajectory_msgs/msg/JointTrajectory', {
      joint_names: names,
      points: points.map((p) =>
        fillDefaults('trajectory_msgs/msg/JointTrajectoryPoint', {
          positions: p.positions,
          time_from_start: { sec: Math.floor(p.seconds), nanosec: Math.round((p.seconds % 1) * 1e9) },
        }),
      ),
    }) as JointTrajectory;
  }

  function goal(traj: JointTrajectory) {
    return fillDefaults('control_msgs/action/FollowJointTrajectory_Goal', { trajectory: traj });
  }

  // Let the first /joint_states and /sim/status arrive.
  await tick(3);

  return {
    context,
    sim,
    client,
    logger,
    reset,
    fjt,
    estop,
    tick,
    tickUntil,
    armPositions,
    armVelocities,
    command,
    trajectory,
    goal,
    get status(): SimStatus {
      if (!status) throw new Error('no /sim/status received yet');
      return status;
    },
    get clockNs(): bigint {
      if (clockNs === undefined) throw new Error('no /clock received yet');
      return clockNs;
    },
    get jointStateCount(): number {
      return jointStateCount;
    },
  };
}

type Harness = Awaited<ReturnType<typeof startSim>>;

function expectClose(
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number,
  what: string,
): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    expect(
      Math.abs(a - expected[i]!),
      `${what}: ${ARM_JOINTS[i] ?? i} is ${a}, expected ${expected[i]}`,
    ).toBeLessThan(tolerance);
  });
}

const add = (q: readonly number[], dq: readonly number[]) => q.map((v, i) => v + dq[i]!);

let harness: Harness | undefined;

async function open(task?: string, seed?: number): Promise<Harness> {
  harness = await startSim(task, seed);
  return harness;
}

afterEach(async () => {
  if (!harness) return;
  harness.sim.destroy();
  await yieldToEventLoop();
  harness.context.destroy();
  harness = undefined;
});

describe('SimNode follow_joint_trajectory action', () => {
  it('executes a valid trajectory with feedback and ends SUCCEEDED at the last point', async () => {
    const h = await open();
    const start = h.armPositions();
    const mid = add(start, [0.1, -0.1, 0.15, 0.05, -0.1, 0.15]);
    const end = add(start, [0.2, -0.2, 0.3, 0.1, -0.2, 0.3]);
    const feedback: FjtFeedback[] = [];
    const handle = await h.fjt.sendGoal(
      h.goal(
        h.trajectory([
          { positions: mid, seconds: 1 },
          { positions: end, seconds: 2 },
        ]),
      ),
      { onFeedback: (fb) => feedback.push(fb) },
    );
    expect(handle.accepted).toBe(true);

    const { status, result } = await h.tickUntil(handle.result(), 4 * STEPS_PER_SECOND);
    expect(result.error_string).toBe('');
    expect(result.error_code).toBe(FJT_ERROR.SUCCESSFUL);
    expect(status).toBe(GoalStatus.STATUS_SUCCEEDED);

    // Feedback at the sim's tf rate (50 Hz) over the 2 s trajectory.
    expect(feedback.length).toBeGreaterThanOrEqual(50);
    for (const fb of feedback) {
      expect(fb.joint_names).toEqual([...ARM_JOINTS]);
      expect(fb.desired.positions).toHaveLength(6);
      expect(fb.actual.positions).toHaveLength(6);
    }
    // Desired positions follow the plan from the start to the last point; the arm tracks them.
    expectClose(Array.from(feedback[0]!.desired.positions), start, 0.02, 'first desired');
    expectClose(Array.from(feedback.at(-1)!.desired.positions), end, 1e-9, 'last desired');
    for (const fb of feedback) {
      expectClose(Array.from(fb.actual.positions), Array.from(fb.desired.positions), 0.05, 'tracking');
    }
    // Feedback times from start never go back.
    const times = feedback.map(
      (fb) => fb.desired.time_from_start.sec + fb.desired.time_from_start.nanosec * 1e-9,
    );
    times.slice(1).forEach((t, i) => {
      expect(t, `feedback ${i + 1} time_from_start`).toBeGreaterThanOrEqual(times[i]!);
    });

    await h.tick(2);
    expectClose(h.armPositions(), end, 1e-3, '/joint_states after success');
  });

  it("refuses a point outside elbow_joint's URDF limit with INVALID_GOAL naming the joint, without moving", async () => {
    const h = await open();
    const start = h.armPositions();
    const elbowUpper = h.sim.env.robotDescription.chain.upper[2]!;
    const outside = [...start];
    outside[2] = elbowUpper + 0.1;
    const handle = await h.fjt.sendGoal(h.goal(h.trajectory([{ positions: outside, seconds: 5 }])));
    const { status, result } = await h.tickUntil(handle.result(), STEPS_PER_SECOND);
    expect(result.error_code).toBe(FJT_ERROR.INVALID_GOAL);
    expect(result.error_string).toContain('elbow_joint');
    expect(status).toBe(GoalStatus.STATUS_ABORTED);

    await h.tick(STEPS_PER_SECOND / 2);
    expectClose(h.armPositions(), start, 1e-6, 'arm after a refused goal');
  });

  it('refuses a trajectory naming an unknown joint with INVALID_JOINTS', async () => {
    const h = await open();
    const start = h.armPositions();
    const names = [...ARM_JOINTS].map((n) => (n === 'wrist_3_joint' ? 'wrist_9_joint' : n));
    const handle = await h.fjt.sendGoal(
      h.goal(h.trajectory([{ positions: add(start, [0.1, 0, 0, 0, 0, 0]), seconds: 1 }], names)),
    );
    const { status, result } = await h.tickUntil(handle.result(), STEPS_PER_SECOND);
    expect(result.error_code).toBe(FJT_ERROR.INVALID_JOINTS);
    expect(result.error_string).toContain('wrist_9_joint');
    expect(status).toBe(GoalStatus.STATUS_ABORTED);
    await h.tick(STEPS_PER_SECOND / 4);
    expectClose(h.armPositions(), start, 1e-6, 'arm after a refused goal');
  });

  it('refuses a trajectory faster than a joint velocity limit, naming the joint', async () => {
    const h = await open();
    const start = h.armPositions();
    // shoulder_pan_joint: 1 rad in 0.1 s = 10 rad/s, above its 3.14 rad/s limit.
    const handle = await h.fjt.sendGoal(
      h.goal(h.trajectory([{ positions: add(start, [1, 0, 0, 0, 0, 0]), seconds: 0.1 }])),
    );
    const { status, result } = await h.tickUntil(handle.result(), STEPS_PER_SECOND);
    expect(result.error_code).toBe(FJT_ERROR.INVALID_GOAL);
    expect(result.error_string).toContain('shoulder_pan_joint');
    expect(result.error_string).toContain('rad/s');
    expect(status).toBe(GoalStatus.STATUS_ABORTED);
    await h.tick(STEPS_PER_SECOND / 4);
    expectClose(h.armPositions(), start, 1e-6, 'arm after a refused goal');
  });
});

describe('SimNode streamed position commands', () => {
  it('follows streamed commands, refuses NaN and out-of-limit ones by joint name, and holds when they stop', async () => {
    const h = await open();
    const start = h.armPositions();
    const target = add(start, [0.1, -0.1, 0.1, 0.1, -0.1, 0.1]);
    for (let i = 0; i < STEPS_PER_SECOND; i++) {
      h.command(target);
      await h.tick(1);
    }
    expectClose(h.armPositions(), target, 1e-3, 'arm after 1 s of streamed commands');
    expect(h.status.rejectedCommands).toBe(0);

    // NaN: refused with the joint's name; the target is unchanged.
    const nan = [...target];
    nan[1] = Number.NaN;
    h.command(nan);
    await h.tick(1);
    expect(h.status.lastError).toContain('shoulder_lift_joint');
    expect(h.status.rejectedCommands).toBe(1);

    // Out of limit on elbow_joint: refused likewise.
    const elbowUpper = h.sim.env.robotDescription.chain.upper[2]!;
    const beyond = [...target];
    beyond[2] = elbowUpper + 0.5;
    h.command(beyond);
    await h.tick(1);
    expect(h.status.lastError).toContain('elbow_joint');
    expect(h.status.rejectedCommands).toBe(2);
    // Keep streaming the last good target so the watchdog stays quiet; the refusals changed nothing.
    for (let i = 0; i < STEPS_PER_SECOND / 4; i++) {
      h.command(target);
      await h.tick(1);
    }
    expectClose(h.armPositions(), target, 1e-3, 'arm after refused commands');
    expect(h.status.watchdog).toBe(false);

    // Stop streaming: after the 0.5 s watchdog timeout the arm holds still.
    await h.tick(STEPS_PER_SECOND / 2 + 2);
    expect(h.status.watchdog).toBe(true);
    expect(h.status.lastError).toContain('watchdog');
    const held = h.armPositions();
    for (let i = 0; i < STEPS_PER_SECOND / 2; i++) {
      await h.tick(1);
      expectClose(h.armVelocities(), [0, 0, 0, 0, 0, 0], 1e-6, 'velocity while held');
    }
    expectClose(h.armPositions(), held, 1e-9, 'arm 0.5 s after the watchdog tripped');
  });

  it('holds the arm where it is when commands stop mid-motion', async () => {
    const h = await open();
    const start = h.armPositions();
    // One far command: the velocity and acceleration limits keep the arm moving for > 0.5 s.
    const far = add(start, [0.8, 0, 0, 0, 0, 0]);
    h.command(far);
    await h.tick(STEPS_PER_SECOND / 2 + 2);
    expect(h.status.watchdog).toBe(true);
    const atTrip = h.armPositions();
    expect(Math.abs(atTrip[0]! - start[0]!)).toBeGreaterThan(0.05);
    expect(Math.abs(atTrip[0]! - far[0]!)).toBeGreaterThan(0.05);
    // Allow the arm to brake (acceleration-limited), then it must be still.
    await h.tick(STEPS_PER_SECOND / 2);
    const held = h.armPositions();
    expect(Math.abs(held[0]! - far[0]!), 'the arm must not finish the stale command').toBeGreaterThan(0.05);
    await h.tick(STEPS_PER_SECOND / 2);
    expectClose(h.armPositions(), held, 1e-9, 'arm while held by the watchdog');
    expectClose(h.armVelocities(), [0, 0, 0, 0, 0, 0], 1e-6, 'velocity while held');
  });
});

describe('SimNode emergency stop', () => {
  it('aborts the active goal, refuses commands and freezes the arm until released', async () => {
    const h = await open();
    const start = h.armPositions();
    const end = add(start, [0.3, -0.2, 0.3, 0.1, -0.2, 0.3]);
    const handle = await h.fjt.sendGoal(h.goal(h.trajectory([{ positions: end, seconds: 3 }])));
    expect(handle.accepted).toBe(true);
    const result = handle.result();
    await h.tick(STEPS_PER_SECOND / 2);
    expect(Math.abs(h.armPositions()[0]! - start[0]!)).toBeGreaterThan(0.01);

    h.estop.publish({ data: true });
    const aborted = await h.tickUntil(result, 10);
    expect(aborted.status).toBe(GoalStatus.STATUS_ABORTED);
    expect(aborted.result.error_string).toContain('emergency stop');
    expect(h.status.state).toBe('estop');

    // A streamed command is refused; a new goal is rejected.
    const rejectedBefore = h.status.rejectedCommands;
    h.command(start);
    await h.tick(1);
    expect(h.status.rejectedCommands).toBe(rejectedBefore + 1);
    expect(h.status.lastError).toContain('emergency stop');
    const refused = await h.fjt.sendGoal(h.goal(h.trajectory([{ positions: start, seconds: 2 }])));
    expect(refused.accepted).toBe(false);

    // Frozen: after the arm has braked, its joints stay where they are while time runs.
    await h.tick(STEPS_PER_SECOND / 4);
    const frozen = h.armPositions();
    expect(Math.abs(frozen[0]! - end[0]!), 'the arm must not finish the aborted trajectory').toBeGreaterThan(
      0.05,
    );
    for (let i = 0; i < STEPS_PER_SECOND / 2; i++) {
      h.command(start);
      await h.tick(1);
    }
    expectClose(h.armPositions(), frozen, 1e-9, 'arm while e-stopped');

    // Released: commands work again.
    h.estop.publish({ data: false });
    await h.tick(1);
    expect(h.status.state).toBe('running');
    const target = add(frozen, [-0.1, 0, 0, 0, 0, 0]);
    for (let i = 0; i < STEPS_PER_SECOND / 2; i++) {
      h.command(target);
      await h.tick(1);
    }
    expectClose(h.armPositions(), target, 1e-3, 'arm after release');
  });
});

describe('SimNode latched topics', () => {
  it('gives a late /robot_description subscriber the URDF and a late /tf_static subscriber world → base_link', async () => {
    const h = await open();
    await h.tick(10);
    const late = h.context.createNode('late_joiner');
    const descriptions: string[] = [];
    late.createSubscription('std_msgs/msg/String', '/robot_description', QOS_TRANSIENT_LOCAL, (msg) => {
      descriptions.push(msg.data);
    });
    const statics: Array<{ parent: string; child: string }> = [];
    late.createSubscription('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TRANSIENT_LOCAL, (msg) => {
      for (const t of msg.transforms) statics.push({ parent: t.header.frame_id, child: t.child_frame_id });
    });
    await h.tick(1);
    expect(descriptions).toHaveLength(1);
    expect(descriptions[0]).toContain('<robot');
    expect(descriptions[0]).toContain('elbow_joint');
    expect(statics).toContainEqual({ parent: 'world', child: 'base_link' });
  });
});

describe('SimNode services', () => {
  it('answers /sim/reset for an unknown task with success false naming the task', async () => {
    const h = await open();
    const reset = await h.client
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: 'juggle_bowls', seed: 1, split: 'seen' }, { timeoutSeconds: 10 });
    expect(reset.success).toBe(false);
    expect(reset.message).toContain('juggle_bowls');
  });

  it('leaves the running episode untouched when /sim/reset is refused', async () => {
    const h = await open();
    const start = h.armPositions();
    const end = add(start, [0.2, 0, 0, 0, 0, 0]);
    const handle = await h.fjt.sendGoal(h.goal(h.trajectory([{ positions: end, seconds: 1 }])));
    const result = handle.result();
    await h.tick(STEPS_PER_SECOND / 4);
    const before = h.clockNs;
    const reset = await h.client
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: 'juggle_bowls', seed: 1, split: 'seen' }, { timeoutSeconds: 10 });
    expect(reset.success).toBe(false);
    await h.tick(1);
    expect(h.clockNs).toBeGreaterThan(before);
    const { status, result: r } = await h.tickUntil(result, 2 * STEPS_PER_SECOND);
    expect(r.error_string).toBe('');
    expect(status).toBe(GoalStatus.STATUS_SUCCEEDED);
    expectClose(h.armPositions(), end, 1e-3, 'arm after the goal');
  });

  it('restarts the current task when /sim/reset names no task (Reset.srv: empty keeps the current task)', async () => {
    const h = await open('pick_place', 1);
    const reset = await h.client
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: '', seed: 2, split: 'seen' }, { timeoutSeconds: 10 });
    expect(reset.message).toBe('');
    expect(reset.success).toBe(true);
    expect(JSON.parse(reset.goal_json)).toMatchObject({ type: 'pick_place' });
  });

  it('answers /sim/evaluate with named checks including success', async () => {
    const h = await open();
    const res = await h.client
      .createClient('simbridge_msgs/srv/Evaluate', '/sim/evaluate')
      .call({}, { timeoutSeconds: 10 });
    const checks = JSON.parse(res.checks_json) as Record<string, unknown>;
    expect(typeof checks['success']).toBe('boolean');
    expect(checks['success']).toBe(res.success);
    expect(res.success).toBe(false);
  });

  it('stops time while paused and advances exactly N physics steps on /sim/step', async () => {
    const h = await open();
    const pause = h.client.createClient('std_srvs/srv/SetBool', '/sim/pause');
    const step = h.client.createClient('simbridge_msgs/srv/Step', '/sim/step');

    const refused = await step.call({ steps: 3 }, { timeoutSeconds: 10 });
    expect(refused.success).toBe(false);
    expect(refused.message).toContain('/sim/pause');

    const t0 = h.clockNs;
    await h.tick(1);
    const dtNs = h.clockNs - t0;
    expect(Number(dtNs) / 1e9).toBeCloseTo(1 / STEPS_PER_SECOND, 9);

    expect((await pause.call({ data: true }, { timeoutSeconds: 10 })).success).toBe(true);
    const pausedAt = h.clockNs;
    await h.tick(20);
    expect(h.clockNs).toBe(pausedAt);

    const stepped = await step.call({ steps: 7 }, { timeoutSeconds: 10 });
    expect(stepped.success).toBe(true);
    // Exactly 7 steps of 1/240 s (4.17 ms each); the clock is rounded to whole ns, so allow a few ns.
    const advancedNs = Number(h.clockNs - pausedAt);
    expect(Math.abs(advancedNs - (7 * 1e9) / STEPS_PER_SECOND)).toBeLessThanOrEqual(2);
    expect(timeToNs(stepped.stamp)).toBe(h.clockNs);
    await h.tick(5);
    expect(timeToNs(stepped.stamp)).toBe(h.clockNs);

    expect((await pause.call({ data: false }, { timeoutSeconds: 10 })).success).toBe(true);
    const resumedAt = h.clockNs;
    await h.tick(4);
    expect(h.clockNs).toBeGreaterThan(resumedAt);
  });
});

describe('SimNode sensor topics', () => {
  it('publishes one detection per object, classed like "red block"', async () => {
    const h = await open();
    let detections: MessageType<'vision_msgs/msg/Detection3DArray'> | undefined;
    h.client.createSubscription('vision_msgs/msg/Detection3DArray', '/detections', 10, (msg) => {
      detections = msg;
    });
    // Objects' frames on /tf are world → <object id>.
    const objectFrames = new Set<string>();
    const robotLinks = new Set<string>();
    h.client.createSubscription('tf2_msgs/msg/TFMessage', '/tf', 10, (msg) => {
      for (const t of msg.transforms) {
        if (t.header.frame_id === 'world') objectFrames.add(t.child_frame_id);
        else robotLinks.add(t.child_frame_id);
      }
    });
    await h.tick(STEPS_PER_SECOND / 10);
    expect(detections).toBeDefined();
    const ids = detections!.detections.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(objectFrames);
    const goal = JSON.parse(h.reset.goal_json) as { object: string; target: string };
    expect(ids).toContain(goal.object);
    expect(ids).toContain(goal.target);
    for (const d of detections!.detections) {
      expect(d.results).toHaveLength(1);
      const classId = d.results[0]!.hypothesis.class_id;
      expect(classId).toMatch(/^[a-z]+ (block|bowl)$/);
      expect(d.id.startsWith(classId.replace(' ', '_'))).toBe(true);
    }
  });

  it('publishes /joint_states at no less than 100 Hz of sim time', async () => {
    const h = await open();
    const before = h.jointStateCount;
    await h.tick(STEPS_PER_SECOND);
    const perSecond = h.jointStateCount - before;
    expect(perSecond).toBeGreaterThanOrEqual(100);
  });
});
