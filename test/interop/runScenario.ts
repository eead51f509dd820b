/**
 * Runs one scenario of scenario.ts against a peer binary inside a fresh network namespace, and
 * the scenarios both peers (Cyclone DDS, Fast DDS) pass alike, for cyclone.test.ts and
 * fastdds.test.ts.
 */
import { expect, it } from 'vitest';
import { runInNamespace } from './netns.ts';

export interface Outcome {
  ok: boolean;
  error?: string;
  result: {
    peerReceived?: string[];
    weReceived?: string[];
    replies?: unknown[];
    requests?: unknown[];
    served?: string[];
  };
  stats: { datagramsDropped: number };
}

/** Fails with the scenario's own error; asserts that no datagram was dropped as malformed. */
export async function runScenario(peer: string, scenario: string): Promise<Outcome> {
  const out = JSON.parse(
    (await runInNamespace('test/interop/scenario.ts', [scenario, peer], 60_000)).trim().split('\n').at(-1)!,
  ) as Outcome;
  if (!out.ok) throw new Error(`${scenario}: ${out.error}`);
  expect(out.stats.datagramsDropped).toBe(0);
  return out;
}

/** Runs scenarios against the peer that `build` makes (built once, on first use). */
export function scenarioRunner(build: () => string): (scenario: string) => Promise<Outcome> {
  let peer: string | undefined;
  return (scenario) => {
    peer ??= build();
    return runScenario(peer, scenario);
  };
}

/** A received JointState as both sides print it: frame, joint count, last name, first and last position. */
export const jointLine = (i: number) => `base 7 panda_joint7 ${i.toFixed(3)} ${(i + 0.75).toFixed(3)}`;

/** FNV-1a of the 921,600 pixel bytes (k * 7 + i) & 0xff of images 0..2, as both sides compute it. */
export const IMAGE_LINES = [
  '640x480 rgb8 1920 921600 894e4dc5',
  '640x480 rgb8 1920 921600 03e43dc5',
  '640x480 rgb8 1920 921600 7ae23dc5',
];

/**
 * The topic scenarios every peer passes, both directions: std_msgs/String, sensor_msgs/JointState,
 * a transient-local late joiner, and fragmented 921,600-byte Images. `peer` is how the peer signs
 * its strings (`hello from cyclone 3`); `firstTimeoutMs` covers building the peer in the first test.
 */
export function topicScenarios(
  peer: { name: string; label: string; firstTimeoutMs?: number },
  run: (scenario: string) => Promise<Outcome>,
): void {
  const { name, label } = peer;
  it(
    `sends std_msgs/String to a ${label} reader, all 20 in order`,
    async () => {
      const out = await run('to:string');
      expect(out.result.peerReceived).toEqual(
        Array.from({ length: 20 }, (_, i) => `hello from simbridge ${i}`),
      );
    },
    peer.firstTimeoutMs,
  );

  it(`receives std_msgs/String from a ${label} writer, all 20 in order`, async () => {
    const out = await run('from:string');
    expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => `hello from ${name} ${i}`));
  });

  it(`sends sensor_msgs/JointState to ${label}`, async () => {
    const out = await run('to:joint');
    expect(out.result.peerReceived).toEqual(Array.from({ length: 20 }, (_, i) => jointLine(i)));
  });

  it(`receives sensor_msgs/JointState from ${label}`, async () => {
    const out = await run('from:joint');
    expect(out.result.weReceived).toEqual(Array.from({ length: 20 }, (_, i) => jointLine(i)));
  });

  it(`serves the last transient-local sample to a late-joining ${label} reader`, async () => {
    const out = await run('to:string:latched');
    expect(out.result.peerReceived).toEqual(['hello from simbridge 1']);
  });

  it(`gets the last transient-local sample from a ${label} writer when it joins late`, async () => {
    const out = await run('from:string:latched');
    expect(out.result.weReceived).toEqual([`hello from ${name} 1`]);
  });

  it(`sends 921,600-byte rgb8 Images as DATA_FRAG that ${label} reassembles`, async () => {
    const out = await run('to:image');
    expect(out.result.peerReceived).toEqual(IMAGE_LINES);
  });

  it(`reassembles ${label}'s fragmented 921,600-byte Images`, async () => {
    const out = await run('from:image');
    expect(out.result.weReceived).toEqual(IMAGE_LINES);
  });
}

/**
 * Our graph action client sends a control_msgs/GripperCommand goal to the peer's action server, as
 * the policy node drives a real gripper controller: accepted, three feedbacks, SUCCEEDED, result.
 */
export function actionCallScenario(label: string, run: (scenario: string) => Promise<Outcome>): void {
  it(`sends a GripperCommand goal to a ${label} action server, as the policy drives a gripper controller`, async () => {
    const out = (await run('action_call')) as Outcome & {
      result: { goalId: string; accepted: boolean; feedback: number[]; status: number; result: unknown };
    };
    expect(out.result.accepted).toBe(true);
    expect(out.result.peerReceived).toEqual([`goal ${out.result.goalId} 0.080`]);
    expect(out.result.feedback.map((p) => p.toFixed(3))).toEqual(['0.020', '0.040', '0.060']);
    expect(out.result.status).toBe(4);
    expect(out.result.result).toEqual({ position: 0.08, effort: 2, stalled: false, reached_goal: true });
  });
}

export type ActionOutcome = Outcome & {
  result: { goals: { goalId: string; position: number; maxEffort: number; cancelRequested: boolean }[] };
};
/** The peers' fixed goal id (16 bytes 0x10..0x1f), as 32 hex digits. */
export const PEER_GOAL_ID = '101112131415161718191a1b1c1d1e1f';

/**
 * The peer's rcl_action-style GripperCommand client sends one goal to our graph action server:
 * what our server got, and what the peer saw of it (reply, feedback, status, result, and what a
 * status reader that joins after the goal ends gets).
 */
export function actionServeScenario(label: string, run: (scenario: string) => Promise<Outcome>): void {
  it(`serves a ${label} GripperCommand action client over rcl_action's services and topics`, async () => {
    const out = (await run('action')) as ActionOutcome;
    // What the peer sent, as our graph action server got it: the goal id and the command.
    expect(out.result.goals).toEqual([
      { goalId: PEER_GOAL_ID, position: 0.04, maxEffort: 40, cancelRequested: false },
    ]);
    const lines = out.result.peerReceived!;
    const of = (kind: string) => lines.filter((l) => l.startsWith(kind));
    expect(of('accepted')).toEqual(['accepted true']);
    expect(of('feedback')).toEqual(['feedback 0.000', 'feedback 0.020', 'feedback 0.036']);
    // What an rclcpp (ACCEPT_AND_EXECUTE) or rclpy server publishes for a goal it runs at once:
    // EXECUTING, then SUCCEEDED (action_msgs/GoalStatus codes); no ACCEPTED status of its own.
    expect(of('status')).toEqual(['status 2', 'status 4']);
    expect(of('result')).toEqual(['result 4 0.040 true']);
    expect(of('cancel')).toEqual([]);
    // A status reader that joins after the goal ends gets the last status array and only that:
    // the status writer is transient local, keep last 1 (rcl_action_qos_profile_status_default).
    expect(lines.filter((l) => l.startsWith('late'))).toEqual(['late status 4']);
    expect(lines.at(-1)).toBe('late status 4');
  });
}

/**
 * The peer's client cancels its goal after the first feedback; our graph action server accepts
 * the cancel and winds the goal down CANCELED.
 */
export function actionCancelScenario(label: string, run: (scenario: string) => Promise<Outcome>): void {
  it(`cancels a goal for a ${label} action client over cancel_goal (action_msgs/srv/CancelGoal)`, async () => {
    const out = (await run('action:cancel')) as ActionOutcome;
    expect(out.result.goals).toEqual([
      { goalId: PEER_GOAL_ID, position: 0.04, maxEffort: 40, cancelRequested: true },
    ]);
    const lines = out.result.peerReceived!;
    const of = (kind: string) => lines.filter((l) => l.startsWith(kind));
    expect(of('accepted')).toEqual(['accepted true']);
    expect(of('feedback')).toEqual(['feedback 0.010']);
    // ERROR_NONE (0), with the one goal now canceling in goals_canceling.
    expect(of('cancel')).toEqual([`cancel 0 ${PEER_GOAL_ID}`]);
    // EXECUTING, CANCELING, CANCELED.
    expect(of('status')).toEqual(['status 2', 'status 3', 'status 5']);
    expect(lines.at(-1)).toBe('result 5 0.010 false');
  });
}
