// Graph actions over the rosbridge client transport, mapped onto rosbridge's action ops
// (send_action_goal, action_feedback, action_result, cancel_action_goal, advertise_action):
// (a) against this project's server with the sim's gripper and trajectory servers behind it;
// (b) against rosbridge_suite's documented action exchange, replayed frame by frame;
// (c) a link lost during a goal fails the caller at once, with the reason.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { goalIdKey } from '../../../src/graph/GoalStatus.ts';
import { createContext, GoalStatus, GraphError, QOS_TRANSIENT_LOCAL } from '../../../src/graph/index.ts';
import { fillDefaults, type MessageType } from '../../../src/msgs/index.ts';
import { RosbridgeTransport } from '../../../src/transports/rosbridge/client/RosbridgeTransport.ts';
import { captureLogger, realValidator, within } from '../../graph/helpers.ts';
import { counter, startReplayServer } from './clientReplayServer.ts';
import { simBehindServer } from './simBehindServer.ts';

type GripFeedback = MessageType<'control_msgs/action/GripperCommand_Feedback'>;

const GRIPPER = '/gripper_controller/gripper_cmd';
const GRIPPER_TYPE = 'control_msgs/action/GripperCommand';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Rejects after `ms` naming `what`: every wait in these tests is bounded. */
/** How a promise ended, without throwing: for asserting on rejections with a bound. */
async function settle<T>(promise: Promise<T>, ms: number, what: string) {
  try {
    return { ok: true as const, value: await within(promise, ms, what) };
  } catch (error) {
    return { ok: false as const, error: error as Error };
  }
}

// ---- (a) against this project's server, with the sim behind it ---------------------------------

async function simRig(options: { proxy?: boolean } = {}) {
  const { validator, simContext, sim, server, proxy, transport, logger } = await simBehindServer(cleanups, {
    proxy: options.proxy ?? false,
    seed: 3,
  });
  const context = createContext({ transport, validator, logger });
  cleanups.push(() => context.destroy());
  await transport.waitForConnection(5000);
  const node = context.createNode('action_user');
  const gripper = node.createActionClient(GRIPPER_TYPE, GRIPPER);
  const harness = simContext.createNode('harness');

  /** Ticks the sim (yielding to the sockets each step) until `done()`, at most `maxTicks` steps. */
  async function tickUntil(done: () => boolean, what: string, maxTicks = 2400) {
    for (let i = 0; i < maxTicks && !done(); i++) {
      sim.tick();
      await new Promise<void>((r) => setImmediate(r));
    }
    if (!done()) throw new Error(`${what}: not within ${maxTicks} sim steps`);
  }

  return { sim, server, proxy, transport, node, gripper, harness, logger, tickUntil };
}

/** Tracks a promise's settlement for tickUntil. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('rosbridge client actions against the project server and the sim', () => {
  it('sends a GripperCommand goal as send_action_goal and gets feedback and the result', async () => {
    const { gripper, tickUntil, sim, transport } = await simRig();
    const feedback: GripFeedback[] = [];
    const sent = track(
      gripper.sendGoal(
        { command: { position: 0.02, max_effort: 50 } },
        { onFeedback: (f) => feedback.push(f) },
      ),
    );
    await tickUntil(() => sent.done, 'the goal accepted');
    const handle = sent.value!;
    expect(handle.accepted).toBe(true);
    const result = track(handle.result());
    await tickUntil(() => result.done, 'the gripper result');
    expect(result.error).toBeUndefined();
    expect(result.value!.status).toBe(GoalStatus.STATUS_SUCCEEDED);
    expect(result.value!.result.reached_goal).toBe(true);
    expect(result.value!.result.position).toBeCloseTo(0.02, 3);
    expect(sim.env.robot.gripper.width).toBeCloseTo(0.02, 3);
    // Feedback streamed while the fingers closed, narrowing towards the target.
    expect(feedback.length).toBeGreaterThan(10);
    expect(feedback[0]!.position).toBeGreaterThan(feedback.at(-1)!.position);
    expect(handle.status).toBe(GoalStatus.STATUS_SUCCEEDED);
    expect(transport.stats.badFrames).toBe(0);
  });

  it('sends a FollowJointTrajectory goal and gets feedback and a successful result', async () => {
    const { node, tickUntil, sim } = await simRig();
    const fjt = node.createActionClient(
      'control_msgs/action/FollowJointTrajectory',
      '/joint_trajectory_controller/follow_joint_trajectory',
    );
    const desc = sim.env.robotDescription;
    const start = [...sim.env.robot.arm.position];
    const target = start.map((q, i) => (i === 0 ? q + 0.1 : q));
    let feedbacks = 0;
    const sent = track(
      fjt.sendGoal(
        fillDefaults('control_msgs/action/FollowJointTrajectory_Goal', {
          trajectory: {
            joint_names: [...desc.config.arm_joints],
            points: [
              fillDefaults('trajectory_msgs/msg/JointTrajectoryPoint', {
                positions: target,
                time_from_start: { sec: 0, nanosec: 500_000_000 },
              }),
            ],
          },
        }),
        { onFeedback: () => feedbacks++ },
      ),
    );
    await tickUntil(() => sent.done, 'the trajectory accepted');
    expect(sent.value?.accepted).toBe(true);
    const result = track(sent.value!.result());
    await tickUntil(() => result.done, 'the trajectory result');
    expect(result.value?.status).toBe(GoalStatus.STATUS_SUCCEEDED);
    expect(result.value?.result.error_code).toBe(0);
    expect(feedbacks).toBeGreaterThan(0);
    expect(sim.env.robot.arm.position[0]).toBeCloseTo(target[0]!, 2);
  });

  it('cancels a goal: cancel_action_goal, and the result comes back canceled', async () => {
    const { gripper, tickUntil } = await simRig();
    let feedbacks = 0;
    const sent = track(
      gripper.sendGoal({ command: { position: 0, max_effort: 50 } }, { onFeedback: () => feedbacks++ }),
    );
    await tickUntil(() => sent.done && feedbacks > 0, 'the goal accepted and moving');
    const handle = sent.value!;
    const cancel = await within(handle.cancel(), 2000, 'the cancel answer');
    expect(cancel.return_code).toBe(0);
    expect(cancel.goals_canceling).toHaveLength(1);
    const result = track(handle.result());
    await tickUntil(() => result.done, 'the canceled result');
    expect(result.value?.status).toBe(GoalStatus.STATUS_CANCELED);
    expect(result.value?.result.reached_goal).toBe(false);
  });

  it('reports a goal the server rejects (emergency stop engaged) as not accepted', async () => {
    const { gripper, harness, tickUntil } = await simRig();
    const estop = harness.createPublisher('std_msgs/msg/Bool', '/emergency_stop');
    estop.publish({ data: true });
    await tickUntil(() => true, 'one step');
    const sent = track(gripper.sendGoal({ command: { position: 0.04, max_effort: 50 } }));
    // Bounded by the sim steps, far below the 1.5 s accept window: the refusal came back.
    await tickUntil(() => sent.done, 'the rejection', 240);
    const handle = sent.value!;
    expect(handle.accepted).toBe(false);
    expect(handle.status).toBe(GoalStatus.STATUS_UNKNOWN);
    const result = await settle(handle.result(), 1000, 'result of a rejected goal');
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.error).toBeInstanceOf(GraphError);
    expect(result.ok === false && (result.error as GraphError).code).toBe('GOAL_REJECTED');
  });

  it('fails the goal at once, naming the lost link, when the connection drops mid-goal', async () => {
    const { gripper, tickUntil, proxy, transport } = await simRig({ proxy: true });
    let feedbacks = 0;
    const sent = track(
      gripper.sendGoal({ command: { position: 0, max_effort: 50 } }, { onFeedback: () => feedbacks++ }),
    );
    await tickUntil(() => sent.done && feedbacks > 0, 'the goal accepted and moving');
    const result = settle(sent.value!.result(), 3000, 'the result after the drop');
    proxy!.cut();
    // The sim is not ticked any more: nothing but the drop can end the wait.
    const r = await result;
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.message).toMatch(/connection to the rosbridge server at ws:.* was lost/);
    expect(r.ok === false && r.error.message).toMatch(/outcome is unknown/);
    expect(transport.connected).toBe(false);
  });
});

// ---- (b) rosbridge_suite's action exchange, replayed -------------------------------------------

async function replayRig(options: { acceptWindowMs?: number } = {}) {
  const server = await startReplayServer();
  cleanups.push(() => server.close());
  const logger = captureLogger();
  const transport = new RosbridgeTransport({
    url: server.url,
    logger,
    backoff: { initialDelayMs: 10, maxDelayMs: 40 },
    seed: 9,
    actionAcceptWindowMs: options.acceptWindowMs ?? 10_000,
  });
  const context = createContext({ transport, validator: realValidator, logger });
  cleanups.push(() => context.destroy());
  await transport.waitForConnection(5000);
  const node = context.createNode('replay_user');
  return { server, transport, node, logger, gripper: node.createActionClient(GRIPPER_TYPE, GRIPPER) };
}

const goalFrame = (f: Record<string, unknown>) => f.op === 'send_action_goal';

describe('rosbridge client actions against replayed rosbridge_suite frames', () => {
  it('send_action_goal -> action_feedback -> action_result, as ROSBRIDGE_PROTOCOL.md 3.2.12-3.2.15', async () => {
    const { server, gripper, transport, node } = await replayRig();
    const statuses = counter<MessageType<'action_msgs/msg/GoalStatusArray'>>();
    node.createSubscription(
      'action_msgs/msg/GoalStatusArray',
      `${GRIPPER}/_action/status`,
      QOS_TRANSIENT_LOCAL,
      (m) => statuses.push(m),
    );
    const feedback = counter<GripFeedback>();
    const sending = gripper.sendGoal(
      { command: { position: 0.02, max_effort: 10 } },
      { onFeedback: (f) => feedback.push(f) },
    );
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    expect(goal).toEqual({
      op: 'send_action_goal',
      id: expect.any(String),
      action: GRIPPER,
      action_type: GRIPPER_TYPE,
      args: { command: { position: 0.02, max_effort: 10 } },
      feedback: true,
    });
    // rosbridge_suite's _feedback: {op, action, values: feedback, id}.
    server.send({ op: 'action_feedback', id: goal.id, action: GRIPPER, values: { position: 0.01 } });
    // Accepted at the first feedback, long before the 10 s window.
    const handle = await within(sending, 2000, 'acceptance by feedback');
    expect(handle.accepted).toBe(true);
    await feedback.waitFor(1, 'the feedback');
    expect(feedback.items[0]).toEqual({ position: 0.01, effort: 0, stalled: false, reached_goal: false });
    // The synthesized GoalStatusArray says executing, for this goal.
    const [status] = await statuses.waitFor(1, 'a status message');
    expect(status!.status_list.map((s) => [goalIdKey(s.goal_info.goal_id), s.status])).toEqual([
      [handle.goalId, GoalStatus.STATUS_EXECUTING],
    ]);
    expect(handle.status).toBe(GoalStatus.STATUS_EXECUTING);
    // rosbridge_suite's _success: {op, action, values: result, status, result: true, id}.
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: { position: 0.02, effort: 3.5, stalled: false, reached_goal: true },
      status: 4,
      result: true,
    });
    const r = await within(handle.result(), 2000, 'the result');
    expect(r).toEqual({
      status: GoalStatus.STATUS_SUCCEEDED,
      result: { position: 0.02, effort: 3.5, stalled: false, reached_goal: true },
    });
    // Nothing went through the hidden _action services or topics.
    expect(server.frames.some((f) => JSON.stringify(f).includes('_action/'))).toBe(false);
    expect(transport.stats.badFrames).toBe(0);
  });

  it('reports "Action goal was rejected" (result false, status 0) as a rejected goal', async () => {
    const { server, gripper } = await replayRig();
    const sending = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: 'Action goal was rejected',
      status: 0,
      result: false,
    });
    const handle = await within(sending, 2000, 'the rejection');
    expect(handle.accepted).toBe(false);
    expect(handle.status).toBe(GoalStatus.STATUS_UNKNOWN);
    await expect(handle.result()).rejects.toMatchObject({ code: 'GOAL_REJECTED' });
  });

  it('fails sendGoal with the server text when no action server is available', async () => {
    const { server, gripper } = await replayRig();
    const sending = settle(
      gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } }),
      2000,
      'sendGoal',
    );
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: 'No action server available',
      status: 0,
      result: false,
    });
    const r = await sending;
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.message).toContain('No action server available');
  });

  it('counts a goal with no answer as accepted after the accept window, then takes its result', async () => {
    const { server, gripper } = await replayRig({ acceptWindowMs: 50 });
    const sending = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    const handle = await within(sending, 2000, 'acceptance by the window');
    expect(handle.accepted).toBe(true);
    expect(handle.status).toBe(GoalStatus.STATUS_ACCEPTED);
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: { position: 0.02 },
      status: 6,
      result: true,
    });
    const r = await within(handle.result(), 2000, 'the result');
    expect(r.status).toBe(GoalStatus.STATUS_ABORTED);
    expect(r.result.position).toBe(0.02);
  });

  it('a refusal after the accept window rejects the result with GOAL_REJECTED', async () => {
    const { server, gripper } = await replayRig({ acceptWindowMs: 20 });
    const sending = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    const handle = await within(sending, 2000, 'acceptance by the window');
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: 'Action goal was rejected',
      status: 0,
      result: false,
    });
    await expect(within(handle.result(), 2000, 'the result')).rejects.toMatchObject({
      code: 'GOAL_REJECTED',
    });
  });

  it('cancels with cancel_action_goal {id, action}; the canceled result follows', async () => {
    const { server, gripper } = await replayRig();
    const sending = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    server.send({ op: 'action_feedback', id: goal.id, action: GRIPPER, values: { position: 0.05 } });
    const handle = await within(sending, 2000, 'acceptance');
    const cancel = await within(handle.cancel(), 2000, 'the cancel answer');
    expect(cancel.return_code).toBe(0);
    const frame = await server.expectFrame((f) => f.op === 'cancel_action_goal', 'cancel_action_goal');
    expect(frame).toEqual({ op: 'cancel_action_goal', id: goal.id, action: GRIPPER });
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: { position: 0.05 },
      status: 5,
      result: true,
    });
    const r = await within(handle.result(), 2000, 'the result');
    expect(r.status).toBe(GoalStatus.STATUS_CANCELED);
    // The goal is over: a second cancel says so.
    expect((await handle.cancel()).return_code).toBe(3);
  });

  it('serves a graph action: advertise_action, goals as send_action_goal, feedback and result back', async () => {
    const { server, node } = await replayRig();
    let cancelSeen = false;
    node.createActionServer(GRIPPER_TYPE, '/ext_gripper', {
      execute: async (handle) => {
        handle.publishFeedback({ position: 0.015, effort: 1, stalled: false, reached_goal: false });
        if (handle.goal.command.position < 0) {
          // Runs until canceled (bounded by the test's timeouts).
          await new Promise<void>((resolve) => {
            const poll = setInterval(() => {
              if (!handle.isCancelRequested) return;
              cancelSeen = true;
              clearInterval(poll);
              resolve();
            }, 5);
          });
          handle.canceled();
          return { position: 0.03, effort: 0, stalled: false, reached_goal: false };
        }
        return { position: handle.goal.command.position, effort: 1, stalled: false, reached_goal: true };
      },
    });
    const adv = await server.expectFrame((f) => f.op === 'advertise_action', 'advertise_action');
    expect(adv).toEqual({ op: 'advertise_action', action: '/ext_gripper', type: GRIPPER_TYPE });
    // As rosbridge_suite's AdvertisedActionHandler.execute_callback sends it.
    const id = 'action_goal:/ext_gripper:1';
    server.send({
      op: 'send_action_goal',
      id,
      action: '/ext_gripper',
      action_type: GRIPPER_TYPE,
      args: { command: { position: 0.03, max_effort: 5 } },
      feedback: true,
    });
    const fb = await server.expectFrame((f) => f.op === 'action_feedback' && f.id === id, 'action_feedback');
    expect(fb).toMatchObject({ action: '/ext_gripper', values: { position: 0.015, effort: 1 } });
    const res = await server.expectFrame((f) => f.op === 'action_result' && f.id === id, 'action_result');
    expect(res).toEqual({
      op: 'action_result',
      id,
      action: '/ext_gripper',
      values: { position: 0.03, effort: 1, stalled: false, reached_goal: true },
      status: 4,
      result: true,
    });
    // rosbridge_suite's cancel_callback: cancel_action_goal {id, action}.
    const id2 = 'action_goal:/ext_gripper:2';
    server.send({
      op: 'send_action_goal',
      id: id2,
      action: '/ext_gripper',
      action_type: GRIPPER_TYPE,
      args: { command: { position: -1, max_effort: 5 } },
      feedback: true,
    });
    await server.expectFrame((f) => f.op === 'action_feedback' && f.id === id2, 'feedback of goal 2');
    server.send({ op: 'cancel_action_goal', id: id2, action: '/ext_gripper' });
    const res2 = await server.expectFrame(
      (f) => f.op === 'action_result' && f.id === id2,
      'result of goal 2',
    );
    expect(res2).toMatchObject({ status: 5, result: true });
    expect(cancelSeen).toBe(true);
  });

  it('answers a goal its action server rejects with result false, and unadvertises on destroy', async () => {
    const { server, node } = await replayRig();
    const srv = node.createActionServer(GRIPPER_TYPE, '/ext_gripper', {
      onGoal: () => false,
      execute: () => ({ position: 0, effort: 0, stalled: false, reached_goal: false }),
    });
    await server.expectFrame((f) => f.op === 'advertise_action', 'advertise_action');
    server.send({
      op: 'send_action_goal',
      id: 'g1',
      action: '/ext_gripper',
      action_type: GRIPPER_TYPE,
      args: { command: { position: 0.03, max_effort: 5 } },
      feedback: true,
    });
    const res = await server.expectFrame((f) => f.op === 'action_result' && f.id === 'g1', 'action_result');
    expect(res).toMatchObject({ action: '/ext_gripper', result: false, status: GoalStatus.STATUS_ABORTED });
    srv.destroy();
    await server.expectFrame((f) => f.op === 'unadvertise_action', 'unadvertise_action');
  });

  it('advertises its actions again after a reconnect', async () => {
    const { server, node, transport } = await replayRig();
    node.createActionServer(GRIPPER_TYPE, '/ext_gripper', {
      execute: () => ({ position: 0, effort: 0, stalled: false, reached_goal: false }),
    });
    await server.expectFrame((f) => f.op === 'advertise_action', 'advertise_action');
    const before = server.frames.length;
    server.dropClients();
    await server.expectFrame(
      (f) => f.op === 'advertise_action' && server.frames.indexOf(f) >= before,
      'advertise_action after the reconnect',
    );
    expect(transport.stats.connects).toBe(2);
  });

  it('survives random and mutated action frames with goals in flight (fast-check)', async () => {
    const { server, gripper, transport } = await replayRig();
    const inFlight = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    server.send({ op: 'action_feedback', id: goal.id, action: GRIPPER, values: { position: 0.01 } });
    const handle = await within(inFlight, 2000, 'acceptance');
    const frames = fc.sample(
      fc.record({
        op: fc.constantFrom('action_feedback', 'action_result', 'send_action_goal', 'cancel_action_goal'),
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
        action: fc.oneof(fc.constant(GRIPPER), fc.constant('/ext_gripper'), fc.string()),
        action_type: fc.oneof(fc.constant(GRIPPER_TYPE), fc.string()),
        values: fc.anything(),
        args: fc.anything(),
        status: fc.anything(),
        result: fc.anything(),
      }),
      { numRuns: 2000, seed: 5 },
    );
    for (const f of frames) server.send(f);
    // The goal in flight still ends by its own result.
    server.send({
      op: 'action_result',
      id: goal.id,
      action: GRIPPER,
      values: { position: 0.02 },
      status: 4,
      result: true,
    });
    const r = await within(handle.result(), 20_000, 'the result after the fuzz');
    expect(r.status).toBe(GoalStatus.STATUS_SUCCEEDED);
    expect(transport.connected).toBe(true);
    expect(transport.stats.badFrames).toBeGreaterThan(100);
  });
});

// ---- (c) a lost link during a goal ---------------------------------------------------------

describe('rosbridge client actions when the link drops', () => {
  it('fails an accepted goal’s result at once, naming the lost link', async () => {
    const { server, gripper } = await replayRig();
    const sending = gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } });
    const goal = await server.expectFrame(goalFrame, 'send_action_goal');
    server.send({ op: 'action_feedback', id: goal.id, action: GRIPPER, values: { position: 0.01 } });
    const handle = await within(sending, 2000, 'acceptance');
    const result = settle(handle.result(), 2000, 'the result after the drop');
    server.dropClients();
    const r = await result;
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.message).toMatch(
      /was lost while goal [0-9a-f]{32} on \/gripper_controller/,
    );
  });

  it('fails a goal still waiting for acceptance, and refuses new goals while down', async () => {
    const { server, gripper, transport } = await replayRig();
    const sending = settle(
      gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } }),
      2000,
      'sendGoal',
    );
    await server.expectFrame(goalFrame, 'send_action_goal');
    await server.close(); // down for good: no reconnect can answer
    const r = await sending;
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.message).toMatch(/was lost/);
    expect(transport.connected).toBe(false);
    const again = await settle(
      gripper.sendGoal({ command: { position: 0.02, max_effort: 10 } }),
      2000,
      'again',
    );
    expect(again.ok).toBe(false);
    expect(again.ok === false && again.error).toBeInstanceOf(GraphError);
  });
});
