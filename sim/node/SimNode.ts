import { Matrix4, Vector3 } from 'three';
import { JointTrajectoryPlan, TrajectoryError } from '../../src/control/JointTrajectoryPlan.ts';
import { assertFiniteJointValues } from '../../src/control/Limits.ts';
import { UserError } from '../../src/errors.ts';
import {
  type Context,
  type Node,
  QOS_CLOCK,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
  type ServerGoalHandle,
  type SimClock,
} from '../../src/graph/index.ts';
import { FollowJointTrajectory_Result, type MessageType } from '../../src/msgs/index.ts';
import { type CameraPublisher, createSimCamera, type SimCameraOption } from '../camera/CameraPublisher.ts';
import { type Action, createEnv, type ResetResult, type SimEnv } from '../Env.ts';
import type { RobotDescription } from '../robot/RobotConfig.ts';
import type { Split } from '../scene/Layout.ts';
import type { SceneSpec } from '../scene/SceneSpec.ts';
import type { DisturbanceOptions } from '../tasks/disturbances.ts';
import type { Checks } from '../tasks/evaluateGoal.ts';
import { getTask } from '../tasks/Task.ts';
import { buildDetections } from './detections.ts';
import { TransformTree } from './TransformTree.ts';
import { transform } from './transform.ts';

type FjtGoal = MessageType<'control_msgs/action/FollowJointTrajectory_Goal'>;
type FjtResult = MessageType<'control_msgs/action/FollowJointTrajectory_Result'>;
type FjtFeedback = MessageType<'control_msgs/action/FollowJointTrajectory_Feedback'>;
type GripGoal = MessageType<'control_msgs/action/GripperCommand_Goal'>;
type GripResult = MessageType<'control_msgs/action/GripperCommand_Result'>;
type GripFeedback = MessageType<'control_msgs/action/GripperCommand_Feedback'>;

/** control_msgs/FollowJointTrajectory result codes (ros2_controllers uses the same). */
export const FJT_ERROR = FollowJointTrajectory_Result;

export interface SimNodeOptions {
  /** Robot id (robots/<id>) or a loaded description. @default 'ur5e' */
  robot?: string | RobotDescription;
  /** Scene spec or built-in scene name. @default 'tabletop' */
  scene?: SceneSpec | string;
  /** Node name. @default 'sim' */
  name?: string;
  /**
   * Namespace of every topic, service and action the node uses (`/left` gives `/left/joint_states`,
   * `/left/clock`, `/left/sim/reset`): two sims on one graph keep apart. @default '/'
   */
  namespace?: string;
  /** Publish rates, Hz (sim time). */
  rates?: {
    /** @default 250 */
    jointStates?: number;
    /** @default 50 */
    tf?: number;
    /** @default 30 */
    detections?: number;
    /** @default 10 */
    status?: number;
  };
  /**
   * Streamed commands older than this (sim time) make the arm hold where it is, as a
   * hardware watchdog does when its command stream stops. @default 0.5 s
   */
  watchdogTimeoutSeconds?: number;
  /**
   * Box the tcp must stay in, world frame, m. A command whose forward kinematics leave
   * it is refused. @default x [-0.3, 1.0], y [-0.9, 0.9], z [0.005, 1.2]
   */
  workspace?: { min: [number, number, number]; max: [number, number, number] };
  /** Sim-only grasp assist (see SimEnv). @default 'cable' */
  graspAssist?: 'off' | 'cable' | 'all';
  /**
   * Render the scene camera and publish /camera/* at its rate (sim/camera/CameraPublisher.ts).
   * A 320×240 frame costs about 10 ms of CPU, so eval episodes leave it off. `true` uses the
   * scene spec's camera. @default false
   */
  camera?: SimCameraOption;
  /** Mid-episode disturbances applied on every reset (`simbridge eval --perturb/--switch`). */
  disturb?: DisturbanceOptions;
  /**
   * Where the ground-truth detections go, or false for nowhere. When a perception node
   * publishes /detections from the camera, move the ground truth aside (for example to
   * '/sim/ground_truth/detections', where a recording still has it) so that the policy
   * sees perceived objects only. @default '/detections'
   */
  detectionsTopic?: string | false;
  /**
   * Stop at the task's time limit (see SimEnv ResetOptions.timeLimit). `simbridge up` turns
   * it off so the scene stays live for the next instruction. @default true
   */
  timeLimit?: boolean;
}

/** What the sim node is doing with the arm. */
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

const _p = new Vector3();
const _m = new Matrix4();

/**
 * The simulator on the ROS 2 graph: the adapter between sim/ (pure) and the
 * topic contract in DESIGN.md. It owns the sim clock: every `tick()` steps the physics
 * once, advances the SimClock (firing every node's sim timers in order) and publishes
 * /clock. At its configured rates it publishes /joint_states, /tf, /detections and a
 * status; /robot_description and /tf_static are transient local.
 *
 * It accepts the ros2_control interfaces, named from robot.yaml:
 * `<forward_position_controller>/commands`, `<joint_trajectory_controller>/joint_trajectory`,
 * the `follow_joint_trajectory` and `gripper_cmd` actions. Safety is not optional:
 * every command is checked against the joint limits, the velocity limits and the
 * workspace; a violation is refused with a status naming the joint; a watchdog holds
 * the arm when streamed commands stop; /emergency_stop freezes it until released.
 * Services: /sim/reset, /sim/pause, /sim/step, /sim/evaluate.
 */
export class SimNode {
  readonly node: Node;
  readonly env: SimEnv;
  /** The camera, when the `camera` option is on. */
  readonly camera: CameraPublisher | undefined;
  readonly #clock: SimClock;
  readonly #watchdogSeconds: number;
  readonly #workspace: { min: [number, number, number]; max: [number, number, number] };
  #reset: ResetResult | undefined;
  #tf: TransformTree | undefined;
  #mode: Mode = 'hold';
  #target: Float64Array;
  #gripper = 0.08;
  #lastCommandSeconds = 0;
  #estop = false;
  #paused = false;
  #watchdogTripped = false;
  #trajectory: ActiveTrajectory | undefined;
  #grip: ActiveGrip | undefined;
  #lastError = '';
  #checks: Checks = { success: false };
  #terminated = false;
  #truncated = false;
  /** Commands refused by the safety checks. */
  rejectedCommands = 0;
  readonly #pubs;
  readonly #dof: number;
  readonly #disturb: DisturbanceOptions | undefined;
  readonly #timeLimit: boolean;

  constructor(context: Context, options: SimNodeOptions = {}) {
    this.#disturb = options.disturb;
    this.#timeLimit = options.timeLimit ?? true;
    if (!context.simClock) {
      throw new UserError(
        'the sim node needs a context on sim time: createContext({ clock: new SimClock() })',
      );
    }
    this.#clock = context.simClock;
    this.env = createEnv({
      robot: options.robot ?? 'ur5e',
      ...(options.scene ? { scene: options.scene } : {}),
      controlHz: 240,
      graspAssist: options.graspAssist ?? 'cable',
    });
    const desc = this.env.robotDescription;
    this.#dof = desc.chain.dof;
    this.#target = Float64Array.from(desc.config.home);
    this.#gripper = desc.config.gripper.max_width;
    this.#watchdogSeconds = options.watchdogTimeoutSeconds ?? 0.5;
    this.#workspace = options.workspace ?? { min: [-0.3, -0.9, 0.005], max: [1.0, 0.9, 1.2] };
    const node = context.createNode(options.name ?? 'sim', {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    });
    this.node = node;
    const c = desc.config.controllers;
    this.#pubs = {
      clock: node.createPublisher('rosgraph_msgs/msg/Clock', 'clock', QOS_CLOCK),
      jointStates: node.createPublisher('sensor_msgs/msg/JointState', 'joint_states', QOS_DEFAULT),
      tf: node.createPublisher('tf2_msgs/msg/TFMessage', 'tf', { ...QOS_DEFAULT, depth: 100 }),
      tfStatic: node.createPublisher('tf2_msgs/msg/TFMessage', 'tf_static', QOS_TRANSIENT_LOCAL),
      description: node.createPublisher('std_msgs/msg/String', 'robot_description', QOS_TRANSIENT_LOCAL),
      detections:
        options.detectionsTopic === false
          ? undefined
          : node.createPublisher(
              'vision_msgs/msg/Detection3DArray',
              options.detectionsTopic ?? 'detections',
              QOS_DEFAULT,
            ),
      status: node.createPublisher('std_msgs/msg/String', 'sim/status', QOS_DEFAULT),
    };
    node.createSubscription(
      'std_msgs/msg/Float64MultiArray',
      `${c.forward_position_controller}/commands`,
      QOS_SENSOR_DATA,
      (msg) => this.#onStreamCommand(msg.data, `/${c.forward_position_controller}/commands`),
    );
    node.createSubscription(
      'trajectory_msgs/msg/JointTrajectory',
      `${c.joint_trajectory_controller}/joint_trajectory`,
      QOS_DEFAULT,
      (msg) => {
        void this.#startTrajectory(msg, undefined, `/${c.joint_trajectory_controller}/joint_trajectory`);
      },
    );
    node.createSubscription('std_msgs/msg/Bool', 'emergency_stop', QOS_DEFAULT, (msg) =>
      this.#onEstop(msg.data),
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
            `/${c.joint_trajectory_controller}/follow_joint_trajectory`,
          ),
      },
    );
    node.createActionServer('control_msgs/action/GripperCommand', `${c.gripper_controller}/gripper_cmd`, {
      onGoal: () => !this.#estop,
      execute: (handle) => this.#startGrip(handle),
    });
    node.createService('simbridge_msgs/srv/Reset', 'sim/reset', (req) => {
      try {
        const task = req.task || this.#reset?.info.task;
        if (!task) throw new UserError('no task given and no episode to repeat', { source: '/sim/reset' });
        const r = this.reset({ task, seed: req.seed, split: (req.split || 'seen') as Split });
        return { success: true, message: '', instruction: r.instruction, goal_json: JSON.stringify(r.goal) };
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        return { success: false, message: err.message, instruction: '', goal_json: '' };
      }
    });
    node.createService('std_srvs/srv/SetBool', 'sim/pause', (req) => {
      this.#paused = req.data;
      return { success: true, message: this.#paused ? 'paused' : 'running' };
    });
    node.createService('simbridge_msgs/srv/Step', 'sim/step', (req) => {
      if (!this.#paused)
        return { success: false, message: 'pause the sim first (/sim/pause)', stamp: this.#clock.now() };
      for (let i = 0; i < req.steps; i++) this.#step();
      return { success: true, message: '', stamp: this.#clock.now() };
    });
    node.createService('simbridge_msgs/srv/Evaluate', 'sim/evaluate', () => {
      const checks = this.#reset ? this.env.evaluate() : { success: false };
      return { success: checks.success, checks_json: JSON.stringify(checks) };
    });
    const rates = options.rates ?? {};
    const every = (hz: number | undefined, fallback: number, fn: () => void) =>
      node.createTimer(1 / (hz ?? fallback), () => {
        if (this.#reset) fn();
      });
    every(rates.jointStates, 250, () => this.#publishJointStates());
    every(rates.tf, 50, () => this.#publishTf());
    every(rates.detections, 30, () => this.#publishDetections());
    every(rates.status, 10, () => this.#publishStatus());
    this.camera = createSimCamera(node, this.env, options.scene, options.camera);
    const camera = this.camera;
    if (camera) every(camera.spec.rateHz, 0, () => camera.publish(this.#clock.now()));
    every(rates.tf, 50, () => {
      if (this.#trajectory?.handle) this.#trajectoryFeedback(this.#trajectory);
    });
    this.#pubs.description.publish({ data: desc.urdfText });
  }

  /** Starts an episode. Sim time restarts at 0. */
  reset(options: { task: string; seed: number; split?: Split }): ResetResult {
    // Check the request before touching the running episode: a refused reset leaves it be.
    getTask(options.task);
    if (options.split !== undefined && options.split !== 'seen' && options.split !== 'unseen') {
      throw new UserError(`split must be "seen" or "unseen", got "${options.split}"`, {
        source: '/sim/reset',
      });
    }
    this.#abortAll('episode reset');
    const r = this.env.reset({
      task: options.task,
      seed: options.seed,
      split: options.split ?? 'seen',
      ...(this.#disturb ? { disturb: this.#disturb } : {}),
      ...(this.#timeLimit ? {} : { timeLimit: false }),
    });
    this.#reset = r;
    this.#clock.reset(0n);
    this.#target = Float64Array.from(r.observation.joints.position);
    this.#gripper = r.observation.gripper.width;
    this.#mode = 'hold';
    this.#lastCommandSeconds = 0;
    this.#watchdogTripped = false;
    this.#checks = this.env.evaluate();
    this.#terminated = false;
    this.#truncated = false;
    this.#lastError = '';
    this.#tf = new TransformTree(this.env.robotDescription);
    this.#pubs.tfStatic.publish({ transforms: this.#tf.staticTransforms(this.#clock.now()) });
    this.#pubs.clock.publish({ clock: this.#clock.now() });
    return r;
  }

  /** Steps once unless paused. */
  tick(): void {
    if (!this.#paused) this.#step();
  }

  get checks(): Checks {
    return this.#checks;
  }

  /** The task succeeded or ran out of time. */
  get done(): boolean {
    return this.#terminated || this.#truncated;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get emergencyStopped(): boolean {
    return this.#estop;
  }

  /** Last safety error, '' if none. */
  get lastError(): string {
    return this.#lastError;
  }

  destroy(): void {
    this.#abortAll('sim node destroyed');
    this.node.destroy();
  }

  // ---- the step ---------------------------------------------------------------

  #step(): void {
    if (!this.#reset) return;
    const now = this.env.timeSeconds;
    const arm = this.env.robot.arm;
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
    const action: Action = { joints: Array.from(this.#target), gripper: this.#gripper };
    const r = this.env.act(action);
    this.#checks = r.info.checks;
    this.#terminated = r.terminated;
    this.#truncated = r.truncated;
    this.#clock.advanceTo(BigInt(Math.round(this.env.timeSeconds * 1e9)));
    this.#pubs.clock.publish({ clock: this.#clock.now() });
    this.#updateGrip();
  }

  // ---- commands -----------------------------------------------------------------

  #onStreamCommand(data: ArrayLike<number>, source: string): void {
    if (!this.#reset) return;
    if (this.#estop) {
      this.#refuse('emergency stop is active; command ignored', source);
      return;
    }
    const q = this.#checkJoints(data, source);
    if (!q) return;
    if (this.#trajectory) this.#preemptTrajectory('preempted by a streamed command');
    this.#target.set(q);
    this.#mode = 'stream';
    this.#lastCommandSeconds = this.env.timeSeconds;
    this.#watchdogTripped = false;
  }

  /** Validates a joint position command; returns it, or undefined after reporting why not. */
  #checkJoints(data: ArrayLike<number>, source: string): Float64Array | undefined {
    const desc = this.env.robotDescription;
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
    const desc = this.env.robotDescription;
    desc.chain.fk(q, _m).premultiply(this.env.robot.articulation.mount);
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
    if (!this.#reset) return fail(FJT_ERROR.INVALID_GOAL, 'no episode: call /sim/reset first');
    if (this.#estop) return fail(FJT_ERROR.INVALID_GOAL, 'emergency stop is active');
    const desc = this.env.robotDescription;
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
        this.env.robot.arm.position,
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
      this.#trajectory = { plan, startSeconds: this.env.timeSeconds, handle, finish: resolve };
      this.#mode = 'trajectory';
      if (handle) {
        // A cancel request holds the arm where it is and ends the goal CANCELED.
        const poll = this.node.createTimer(0.01, () => {
          if (this.#trajectory?.handle !== handle) return poll.cancel();
          if (handle.isCancelRequested) {
            this.#target.set(this.env.robot.arm.position);
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
    const desc = this.env.robotDescription;
    const arm = this.env.robot.arm;
    const desired = new Float64Array(this.#dof);
    const desiredVel = new Float64Array(this.#dof);
    const t = this.env.timeSeconds - tr.startSeconds;
    tr.plan.sample(t, desired, desiredVel);
    const point = (positions: ArrayLike<number>, velocities: ArrayLike<number>) => ({
      positions: Array.from(positions),
      velocities: Array.from(velocities),
      accelerations: [],
      effort: [],
      time_from_start: secondsToDuration(t),
    });
    tr.handle?.publishFeedback({
      header: { stamp: this.#clock.now(), frame_id: '' },
      joint_names: [...desc.config.arm_joints],
      desired: point(desired, desiredVel),
      actual: point(arm.position, arm.velocity),
      error: point(
        Array.from(desired, (d, i) => d - arm.position[i]!),
        Array.from(desiredVel, (d, i) => d - arm.velocity[i]!),
      ),
      multi_dof_joint_names: [],
      multi_dof_desired: {
        transforms: [],
        velocities: [],
        accelerations: [],
        time_from_start: { sec: 0, nanosec: 0 },
      },
      multi_dof_actual: {
        transforms: [],
        velocities: [],
        accelerations: [],
        time_from_start: { sec: 0, nanosec: 0 },
      },
      multi_dof_error: {
        transforms: [],
        velocities: [],
        accelerations: [],
        time_from_start: { sec: 0, nanosec: 0 },
      },
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
    const max = this.env.robotDescription.config.gripper.max_width;
    if (!Number.isFinite(width) || width < 0 || width > max) {
      const message = `gripper position ${width} m is outside [0, ${max}] m`;
      this.#refuse(message, handle.goal ? 'gripper_cmd' : 'gripper');
      handle.abort();
      return Promise.resolve({
        position: this.env.robot.gripper.width,
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
    const g = this.env.robot.gripper;
    return { position: g.width, effort: g.effort, stalled: g.grasping, reached_goal: reached };
  }

  #updateGrip(): void {
    const grip = this.#grip;
    if (!grip) return;
    const g = this.env.robot.gripper;
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

  #onEstop(engaged: boolean): void {
    if (engaged === this.#estop) return;
    this.#estop = engaged;
    if (engaged) {
      if (this.#reset) this.#target.set(this.env.robot.arm.position);
      this.#mode = 'hold';
      this.#abortAll('emergency stop');
      this.#error('emergency stop engaged: arm frozen until /emergency_stop is false');
    } else {
      this.#error('emergency stop released');
    }
  }

  #abortAll(reason: string): void {
    if (this.#trajectory) this.#preemptTrajectory(reason);
    if (this.#grip) {
      const g = this.#grip;
      this.#grip = undefined;
      g.handle.abort();
      g.finish(
        this.#reset
          ? this.#gripState(false)
          : { position: 0, effort: 0, stalled: false, reached_goal: false },
      );
    }
  }

  #refuse(message: string, source: string): void {
    this.rejectedCommands++;
    this.#error(`${source}: refused: ${message}`);
  }

  #error(message: string): void {
    this.#lastError = message;
    this.node.logger.warn(message);
    this.#publishStatus();
  }

  // ---- publishing -----------------------------------------------------------------

  #publishJointStates(): void {
    const desc = this.env.robotDescription;
    const arm = this.env.robot.arm;
    const g = this.env.robot.gripper;
    const [left, right] = desc.config.gripper.joints;
    const half = g.width / 2;
    this.#pubs.jointStates.publish({
      header: { stamp: this.#clock.now(), frame_id: '' },
      name: [...desc.config.arm_joints, left, right],
      position: [...arm.position, half, half],
      velocity: [...arm.velocity, g.fingerVelocity, g.fingerVelocity],
      effort: [],
    });
  }

  #publishTf(): void {
    if (!this.#tf) return;
    const stamp = this.#clock.now();
    const transforms = this.#tf.dynamicTransforms(stamp);
    for (const o of this.env.observe().objects) {
      if (o.segments) {
        o.segments.forEach((p, i) => {
          transforms.push(transform(stamp, 'world', `${o.id}/${i}`, p, [0, 0, 0, 1]));
        });
      } else {
        transforms.push(transform(stamp, 'world', o.id, o.position, o.quaternion));
      }
    }
    this.#pubs.tf.publish({ transforms });
  }

  #publishDetections(): void {
    this.#pubs.detections?.publish(buildDetections(this.env.observe().objects, this.#clock.now()));
  }

  #publishStatus(): void {
    const state = this.#estop ? 'estop' : this.#paused ? 'paused' : this.#reset ? 'running' : 'idle';
    this.#pubs.status.publish({
      data: JSON.stringify({
        state,
        mode: this.#mode,
        task: this.#reset?.info.task ?? '',
        instruction: this.#reset?.instruction ?? '',
        time: this.#reset ? this.env.timeSeconds : 0,
        checks: this.#checks,
        watchdog: this.#watchdogTripped,
        rejectedCommands: this.rejectedCommands,
        lastError: this.#lastError,
      }),
    });
  }
}

function secondsToDuration(t: number): { sec: number; nanosec: number } {
  const ns = Math.round(t * 1e9);
  return { sec: Math.floor(ns / 1e9), nanosec: ns % 1_000_000_000 };
}
