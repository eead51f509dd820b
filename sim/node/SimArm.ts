import { Matrix4, Vector3 } from 'three';
import { JointTrajectoryPlan, TrajectoryError } from '../../src/control/JointTrajectoryPlan.ts';
import { assertFiniteJointValues } from '../../src/control/Limits.ts';
import { UserError } from '../../src/errors.ts';
import {
  type Node,
  type Publisher,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
  type ServerGoalHandle,
  type SimClock,
} from '../../src/graph/index.ts';
import { FollowJointTrajectory_Result, type MessageType } from '../../src/msgs/index.ts';
import type { Action, SimEnv } from '../Env.ts';
import type { RobotDescription } from '../robot/RobotConfig.ts';
import type { SimRobot } from '../robot/SimRobot.ts';
import type { Checks } from '../tasks/evaluateGoal.ts';

type FjtGoal = MessageType<'control_msgs/action/FollowJointTrajectory_Goal'>;
type FjtResult = MessageType<'control_msgs/action/FollowJointTrajectory_Result'>;
type FjtFeedback = MessageType<'control_msgs/action/FollowJointTrajectory_Feedback'>;
type GripGoal = MessageType<'control_msgs/action/GripperCommand_Goal'>;
type GripResult = MessageType<'control_msgs/action/GripperCommand_Result'>;
type GripFeedback = MessageType<'control_msgs/action/GripperCommand_Feedback'>;

/** control_msgs/FollowJointTrajectory result codes (ros2_controllers uses the same). */
export const FJT_ERROR = FollowJointTrajectory_Result;

/** What the arm is doing: holding, following streamed targets, or running a trajectory. */
type Mode = 'hold' | 'stream' | 'trajectory';

interface ActiveTrajectory {
  plan: JointTrajectoryPlan;
  startSeconds: number;
  handle: ServerGoalHandle<FjtGoal, FjtResult, FjtFeedback> | undefined;
  finish: (result: FjtResult) => void;
}

interface ActiveGrip {
  handle: ServerGoalHandle<GripGoal, GripResult, GripFeedback>;
  target: number;
  finish: (result: GripResult) => void;
  stillSteps: number;
}

/** What an arm needs from the sim node that owns it. */
export interface SimArmHost {
  readonly env: SimEnv;
  readonly clock: SimClock;
  /** An episode is running (the sim was reset). */
  readonly running: boolean;
  readonly paused: boolean;
  /** Called after the arm reports an error (the sim node may aggregate it). */
  onError(message: string): void;
}

export interface SimArmOptions {
  /** Index of the arm in the env (placement order). */
  index: number;
  /** Streamed commands older than this hold the arm, s (sim time). */
  watchdogSeconds: number;
  /** Box the tcp must stay in, world frame, m. */
  workspace: { min: [number, number, number]; max: [number, number, number] };
  /** Where this arm's status goes (`sim/status` in its namespace). */
  status: Publisher<MessageType<'std_msgs/msg/String'>>;
}

const _p = new Vector3();
const _m = new Matrix4();

/**
 * One arm of the sim on the graph, as its ros2_control stack presents it: `joint_states`,
 * `robot_description` (transient local), `<forward_position_controller>/commands`,
 * `<joint_trajectory_controller>/joint_trajectory` and its `follow_joint_trajectory` action,
 * `<gripper_controller>/gripper_cmd`, `emergency_stop`, and a JSON `sim/status` — all relative
 * to the graph node it is given, so an arm in `/left` is driven on `/left/...`.
 *
 * Safety is not optional: every command is checked against the joint limits, the velocity
 * limits and the workspace; a violation is refused with a status naming the joint; a watchdog
 * holds the arm when streamed commands stop; `emergency_stop` freezes it until released.
 *
 * The sim node steps the world: each step it asks every arm for its action (`prepare`), steps
 * the env once, then lets each arm finish its gripper goals (`afterStep`).
 */
export class SimArm {
  readonly node: Node;
  readonly index: number;
  readonly #host: SimArmHost;
  readonly #watchdogSeconds: number;
  readonly #workspace: { min: [number, number, number]; max: [number, number, number] };
  readonly #dof: number;
  readonly #jointStates: Publisher<MessageType<'sensor_msgs/msg/JointState'>>;
  readonly #status: Publisher<MessageType<'std_msgs/msg/String'>>;
  #mode: Mode = 'hold';
  #target: Float64Array;
  #gripper: number;
  #lastCommandSeconds = 0;
  #estop = false;
  #watchdogTripped = false;
  #trajectory: ActiveTrajectory | undefined;
  #grip: ActiveGrip | undefined;
  #lastError = '';
  #task = '';
  #instruction = '';
  /** The arm's task checks after the last step. */
  checks: Checks = { success: false };
  /** Commands refused by the safety checks. */
  rejectedCommands = 0;

  constructor(node: Node, host: SimArmHost, options: SimArmOptions) {
    this.node = node;
    this.#host = host;
    this.index = options.index;
    this.#watchdogSeconds = options.watchdogSeconds;
    this.#workspace = options.workspace;
    this.#status = options.status;
    const desc = this.description;
    this.#dof = desc.chain.dof;
    this.#target = Float64Array.from(desc.config.home);
    this.#gripper = desc.config.gripper.max_width;
    const c = desc.config.controllers;
    this.#jointStates = node.createPublisher('sensor_msgs/msg/JointState', 'joint_states', QOS_DEFAULT);
    const description = node.createPublisher('std_msgs/msg/String', 'robot_description', QOS_TRANSIENT_LOCAL);
    node.createSubscription(
      'std_msgs/msg/Float64MultiArray',
      `${c.forward_position_controller}/commands`,
      QOS_SENSOR_DATA,
      (msg) => this.#onStreamCommand(msg.data, `${this.#prefix}/${c.forward_position_controller}/commands`),
    );
    node.createSubscription(
      'trajectory_msgs/msg/JointTrajectory',
      `${c.joint_trajectory_controller}/joint_trajectory`,
      QOS_DEFAULT,
      (msg) => {
        void this.#startTrajectory(
          msg,
          undefined,
          `${this.#prefix}/${c.joint_trajectory_controller}/joint_trajectory`,
        );
      },
    );
    node.createSubscription('std_msgs/msg/Bool', 'emergency_stop', QOS_DEFAULT, (msg) =>
      this.setEmergencyStop(msg.data),
    );
    node.createActionServer(
      'control_msgs/action/FollowJointTrajectory',
      `${c.joint_trajectory_controller}/follow_joint_trajectory`,
      {
        onGoal: () => !this.#estop,
        execute: (handle) =>
          this.#startTrajectory(
            handle.goal.trajectory,
            handle,
            `${this.#prefix}/${c.joint_trajectory_controller}/follow_joint_trajectory`,
          ),
      },
    );
    node.createActionServer('control_msgs/action/GripperCommand', `${c.gripper_controller}/gripper_cmd`, {
      onGoal: () => !this.#estop,
      execute: (handle) => this.#startGrip(handle),
    });
    description.publish({ data: desc.urdfText });
  }

  /** The arm's robot description (its mount is where it stands on the table). */
  get description(): RobotDescription {
    return this.#host.env.robotDescriptions[this.index]!;
  }

  get robot(): SimRobot {
    return this.#host.env.arms[this.index]!.robot;
  }

  get emergencyStopped(): boolean {
    return this.#estop;
  }

  /** Last safety error, '' if none. */
  get lastError(): string {
    return this.#lastError;
  }

  /** The arm's namespace ('' at the root), for messages. */
  get #prefix(): string {
    const ns = this.node.namespace;
    return ns === '/' ? '' : ns;
  }

  /** A new episode: hold the reset pose, forget commands and errors. */
  reset(position: ArrayLike<number>, width: number, task: string, instruction: string): void {
    this.abortAll('episode reset');
    this.#target = Float64Array.from(position);
    this.#gripper = width;
    this.#mode = 'hold';
    this.#lastCommandSeconds = 0;
    this.#watchdogTripped = false;
    this.#lastError = '';
    this.#task = task;
    this.#instruction = instruction;
  }

  /** The action for the next step: the trajectory's sample, the streamed target, or a hold. */
  prepare(now: number): Action {
    const arm = this.robot.arm;
    if (this.#estop) {
      // Frozen: hold where the arm is.
    } else if (this.#mode === 'trajectory' && this.#trajectory) {
      const t = now - this.#trajectory.startSeconds;
      this.#trajectory.plan.sample(t, this.#target);
      if (t >= this.#trajectory.plan.duration && arm.maxSpeed() < 1e-3) {
        const tr = this.#trajectory;
        this.#trajectory = undefined;
        this.#mode = 'hold';
        tr.handle?.succeed();
        tr.finish({ error_code: FJT_ERROR.SUCCESSFUL, error_string: '' });
      }
    } else if (this.#mode === 'stream' && now - this.#lastCommandSeconds > this.#watchdogSeconds) {
      this.#target.set(arm.position);
      this.#mode = 'hold';
      this.#watchdogTripped = true;
      this.#error(`watchdog: no command for ${this.#watchdogSeconds} s, holding position`);
    }
    return { joints: Array.from(this.#target), gripper: this.#gripper };
  }

  /** After the step: finish gripper goals that reached their width or stalled on an object. */
  afterStep(): void {
    this.#updateGrip();
  }

  /** Engages or releases this arm's emergency stop. */
  setEmergencyStop(engaged: boolean): void {
    if (engaged === this.#estop) return;
    this.#estop = engaged;
    if (engaged) {
      if (this.#host.running) this.#target.set(this.robot.arm.position);
      this.#mode = 'hold';
      this.abortAll('emergency stop');
      this.#error(`emergency stop engaged: arm frozen until ${this.#prefix}/emergency_stop is false`);
    } else {
      this.#error('emergency stop released');
    }
  }

  abortAll(reason: string): void {
    if (this.#trajectory) this.#preemptTrajectory(reason);
    if (this.#grip) {
      const g = this.#grip;
      this.#grip = undefined;
      g.handle.abort();
      g.finish(
        this.#host.running
          ? this.#gripState(false)
          : { position: 0, effort: 0, stalled: false, reached_goal: false },
      );
    }
  }

  // ---- publishing -----------------------------------------------------------------

  publishJointStates(): void {
    const desc = this.description;
    const robot = this.robot;
    const arm = robot.arm;
    const g = robot.gripper;
    const [left, right] = desc.config.gripper.joints;
    const half = g.width / 2;
    this.#jointStates.publish({
      header: { stamp: this.#host.clock.now(), frame_id: '' },
      name: [...desc.config.arm_joints, left, right],
      position: [...arm.position, half, half],
      velocity: [...arm.velocity, g.fingerVelocity, g.fingerVelocity],
      effort: [],
    });
  }

  /** Feedback of a running follow_joint_trajectory goal. */
  publishTrajectoryFeedback(): void {
    if (this.#trajectory?.handle) this.#trajectoryFeedback(this.#trajectory);
  }

  /** The arm's status, as JSON fields. */
  status(): Record<string, unknown> {
    const host = this.#host;
    const state = this.#estop ? 'estop' : host.paused ? 'paused' : host.running ? 'running' : 'idle';
    return {
      state,
      mode: this.#mode,
      task: this.#task,
      instruction: this.#instruction,
      time: host.running ? host.env.timeSeconds : 0,
      checks: this.checks,
      watchdog: this.#watchdogTripped,
      rejectedCommands: this.rejectedCommands,
      lastError: this.#lastError,
    };
  }

  publishStatus(): void {
    this.#status.publish({ data: JSON.stringify(this.status()) });
  }

  // ---- commands -----------------------------------------------------------------

  #onStreamCommand(data: ArrayLike<number>, source: string): void {
    if (!this.#host.running) return;
    if (this.#estop) {
      this.#refuse('emergency stop is active; command ignored', source);
      return;
    }
    const q = this.#checkJoints(data, source);
    if (!q) return;
    if (this.#trajectory) this.#preemptTrajectory('preempted by a streamed command');
    this.#target.set(q);
    this.#mode = 'stream';
    this.#lastCommandSeconds = this.#host.env.timeSeconds;
    this.#watchdogTripped = false;
  }

  /** Validates a joint position command; returns it, or undefined after reporting why not. */
  #checkJoints(data: ArrayLike<number>, source: string): Float64Array | undefined {
    const desc = this.description;
    const names = desc.config.arm_joints;
    const { lower, upper } = desc.chain;
    try {
      assertFiniteJointValues(names, data); // count and finiteness, naming the joint
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      this.#refuse(err.message, source);
      return undefined;
    }
    for (let i = 0; i < names.length; i++) {
      const v = data[i]!;
      // Out of limits is refused, not clamped: a real arm must not run a command it was not given.
      if (v < lower[i]! || v > upper[i]!) {
        this.#refuse(
          `joint "${names[i]}" position ${v} is outside its limits [${lower[i]}, ${upper[i]}]`,
          source,
        );
        return undefined;
      }
    }
    const q = Float64Array.from(data);
    const outside = this.#outsideWorkspace(q);
    if (outside) {
      this.#refuse(outside, source);
      return undefined;
    }
    return q;
  }

  #outsideWorkspace(q: ArrayLike<number>): string | undefined {
    this.description.chain.fk(q, _m).premultiply(this.robot.articulation.mount);
    _p.setFromMatrixPosition(_m);
    const { min, max } = this.#workspace;
    const p = [_p.x, _p.y, _p.z];
    for (let k = 0; k < 3; k++) {
      if (p[k]! < min[k]! || p[k]! > max[k]!) {
        const axis = 'xyz'[k];
        return `tcp ${axis} = ${p[k]!.toFixed(3)} m would leave the workspace [${min[k]}, ${max[k]}]`;
      }
    }
    return undefined;
  }

  #startTrajectory(
    traj: MessageType<'trajectory_msgs/msg/JointTrajectory'>,
    handle: ServerGoalHandle<FjtGoal, FjtResult, FjtFeedback> | undefined,
    source: string,
  ): Promise<FjtResult> {
    const fail = (code: number, message: string): Promise<FjtResult> => {
      this.#refuse(message, source);
      handle?.abort();
      return Promise.resolve({ error_code: code, error_string: message });
    };
    if (!this.#host.running) return fail(FJT_ERROR.INVALID_GOAL, 'no episode: call /sim/reset first');
    if (this.#estop) return fail(FJT_ERROR.INVALID_GOAL, 'emergency stop is active');
    const desc = this.description;
    let plan: JointTrajectoryPlan;
    try {
      plan = new JointTrajectoryPlan(
        traj,
        {
          names: desc.config.arm_joints,
          lower: desc.chain.lower,
          upper: desc.chain.upper,
          velocity: desc.chain.velocity,
        },
        this.robot.arm.position,
      );
    } catch (err) {
      if (!(err instanceof TrajectoryError)) throw err;
      return fail(FJT_ERROR[err.code], err.message);
    }
    const pos = new Float64Array(this.#dof);
    for (let k = 1; k < plan.times.length; k++) {
      for (let i = 0; i < this.#dof; i++) pos[i] = plan.positions[k * this.#dof + i]!;
      const outside = this.#outsideWorkspace(pos);
      if (outside) return fail(FJT_ERROR.INVALID_GOAL, `point ${k - 1}: ${outside}`);
    }
    if (this.#trajectory) this.#preemptTrajectory('preempted by a new trajectory');
    return new Promise<FjtResult>((resolve) => {
      this.#trajectory = { plan, startSeconds: this.#host.env.timeSeconds, handle, finish: resolve };
      this.#mode = 'trajectory';
      if (handle) {
        // A cancel request holds the arm where it is and ends the goal CANCELED.
        const poll = this.node.createTimer(0.01, () => {
          if (this.#trajectory?.handle !== handle) return poll.cancel();
          if (handle.isCancelRequested) {
            this.#target.set(this.robot.arm.position);
            this.#mode = 'hold';
            this.#trajectory = undefined;
            handle.canceled();
            poll.cancel();
            resolve({ error_code: FJT_ERROR.SUCCESSFUL, error_string: 'canceled' });
          }
        });
      }
    });
  }

  #trajectoryFeedback(tr: ActiveTrajectory): void {
    const desc = this.description;
    const arm = this.robot.arm;
    const desired = new Float64Array(this.#dof);
    const desiredVel = new Float64Array(this.#dof);
    const t = this.#host.env.timeSeconds - tr.startSeconds;
    tr.plan.sample(t, desired, desiredVel);
    const point = (positions: ArrayLike<number>, velocities: ArrayLike<number>) => ({
      positions: Array.from(positions),
      velocities: Array.from(velocities),
      accelerations: [],
      effort: [],
      time_from_start: secondsToDuration(t),
    });
    const empty = {
      transforms: [],
      velocities: [],
      accelerations: [],
      time_from_start: { sec: 0, nanosec: 0 },
    };
    tr.handle?.publishFeedback({
      header: { stamp: this.#host.clock.now(), frame_id: '' },
      joint_names: [...desc.config.arm_joints],
      desired: point(desired, desiredVel),
      actual: point(arm.position, arm.velocity),
      error: point(
        Array.from(desired, (d, i) => d - arm.position[i]!),
        Array.from(desiredVel, (d, i) => d - arm.velocity[i]!),
      ),
      multi_dof_joint_names: [],
      multi_dof_desired: empty,
      multi_dof_actual: empty,
      multi_dof_error: empty,
    });
  }

  #preemptTrajectory(reason: string): void {
    const tr = this.#trajectory;
    if (!tr) return;
    this.#trajectory = undefined;
    tr.handle?.abort();
    tr.finish({ error_code: FJT_ERROR.INVALID_GOAL, error_string: reason });
  }

  #startGrip(handle: ServerGoalHandle<GripGoal, GripResult, GripFeedback>): Promise<GripResult> {
    const width = handle.goal.command.position;
    const max = this.description.config.gripper.max_width;
    if (!Number.isFinite(width) || width < 0 || width > max) {
      const message = `gripper position ${width} m is outside [0, ${max}] m`;
      this.#refuse(message, handle.goal ? 'gripper_cmd' : 'gripper');
      handle.abort();
      return Promise.resolve({
        position: this.robot.gripper.width,
        effort: 0,
        stalled: false,
        reached_goal: false,
      });
    }
    if (this.#grip) {
      const old = this.#grip;
      this.#grip = undefined;
      old.handle.abort();
      old.finish(this.#gripState(false));
    }
    this.#gripper = width;
    return new Promise<GripResult>((resolve) => {
      this.#grip = { handle, target: width, finish: resolve, stillSteps: 0 };
    });
  }

  #gripState(reached: boolean): GripResult {
    const g = this.robot.gripper;
    return { position: g.width, effort: g.effort, stalled: g.grasping, reached_goal: reached };
  }

  #updateGrip(): void {
    const grip = this.#grip;
    if (!grip) return;
    const g = this.robot.gripper;
    if (grip.handle.isCancelRequested) {
      this.#grip = undefined;
      grip.handle.canceled();
      grip.finish(this.#gripState(false));
      return;
    }
    grip.handle.publishFeedback(this.#gripState(Math.abs(g.width - grip.target) < 1e-4));
    grip.stillSteps = g.fingerVelocity === 0 ? grip.stillSteps + 1 : 0;
    const reached = Math.abs(g.width - grip.target) < 1e-4;
    if (reached || (g.stalled && grip.stillSteps > 2)) {
      this.#grip = undefined;
      grip.handle.succeed();
      grip.finish(this.#gripState(reached));
    }
  }

  #refuse(message: string, source: string): void {
    this.rejectedCommands++;
    this.#error(`${source}: refused: ${message}`);
  }

  #error(message: string): void {
    this.#lastError = message;
    this.node.logger.warn(message);
    this.publishStatus();
    this.#host.onError(message);
  }
}

function secondsToDuration(t: number): { sec: number; nanosec: number } {
  const ns = Math.round(t * 1e9);
  return { sec: Math.floor(ns / 1e9), nanosec: ns % 1_000_000_000 };
}
