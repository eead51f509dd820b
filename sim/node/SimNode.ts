import { UserError } from '../../src/errors.ts';
import {
  type Context,
  type Node,
  QOS_CLOCK,
  QOS_DEFAULT,
  QOS_TRANSIENT_LOCAL,
  type SimClock,
} from '../../src/graph/index.ts';
import { type CameraPublisher, createSimCamera, type SimCameraOption } from '../camera/CameraPublisher.ts';
import { type ArmClearance, createEnv, type ResetResult, type SimEnv } from '../Env.ts';
import type { RobotDescription } from '../robot/RobotConfig.ts';
import type { Split } from '../scene/Layout.ts';
import type { RobotPlacementInput } from '../scene/RobotPlacement.ts';
import type { SceneSpec } from '../scene/SceneSpec.ts';
import type { DisturbanceOptions } from '../tasks/disturbances.ts';
import type { Checks } from '../tasks/evaluateGoal.ts';
import { getTask } from '../tasks/Task.ts';
import { buildDetections } from './detections.ts';
import { FJT_ERROR, SimArm } from './SimArm.ts';
import { TransformTree } from './TransformTree.ts';
import { transform } from './transform.ts';

export { FJT_ERROR };

export interface SimNodeOptions {
  /** Robot id (robots/<id>) or a loaded description. @default 'ur5e' */
  robot?: string | RobotDescription;
  /**
   * Several robots on one table (sim/scene/RobotPlacement.ts), replacing `robot`: one physics
   * world and one clock; each arm's ros2_control topics, actions, `robot_description`,
   * `joint_states`, `emergency_stop` and `sim/status` under `<namespace>/<name>`; its links on
   * the one /tf with frames prefixed `<name>/`; /clock, /tf_static, /detections, the camera and
   * the services published once, in `namespace`. @default one robot, `robot`
   */
  robots?: readonly RobotPlacementInput[];
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

/** A topic namespace joined with one more token: `/` + `left` → `/left`, `/a` + `left` → `/a/left`. */
function childNamespace(namespace: string | undefined, name: string): string {
  const ns = namespace ?? '/';
  return `${ns === '/' ? '' : ns.replace(/\/$/, '')}/${name}`;
}

/**
 * The simulator on the ROS 2 graph: the adapter between sim/ (pure) and the
 * topic contract in DESIGN.md. It owns the sim clock: every `tick()` steps the physics
 * once, advances the SimClock (firing every node's sim timers in order) and publishes
 * /clock. At its configured rates it publishes /joint_states, /tf, /detections and a
 * status; /robot_description and /tf_static are transient local.
 *
 * Each arm (SimArm) accepts the ros2_control interfaces, named from robot.yaml:
 * `<forward_position_controller>/commands`, `<joint_trajectory_controller>/joint_trajectory`,
 * the `follow_joint_trajectory` and `gripper_cmd` actions, with its safety checks, watchdog and
 * emergency stop. One robot's arm lives in the node's own namespace; with `robots`, each arm
 * has a namespace of its own. Services: /sim/reset, /sim/pause, /sim/step, /sim/evaluate.
 */
export class SimNode {
  readonly node: Node;
  readonly env: SimEnv;
  /** The camera, when the `camera` option is on. */
  readonly camera: CameraPublisher | undefined;
  /** The arms, in placement order (one on a one-robot table, in the node's namespace). */
  readonly arms: readonly SimArm[];
  readonly #clock: SimClock;
  #reset: ResetResult | undefined;
  #tf: TransformTree[] = [];
  #paused = false;
  #lastError = '';
  #checks: Checks = { success: false };
  #terminated = false;
  #truncated = false;
  readonly #pubs;
  readonly #disturb: DisturbanceOptions | undefined;
  readonly #timeLimit: boolean;
  readonly #multi: boolean;

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
      ...(options.robots ? { robots: options.robots } : { robot: options.robot ?? 'ur5e' }),
      ...(options.scene ? { scene: options.scene } : {}),
      controlHz: 240,
      graspAssist: options.graspAssist ?? 'cable',
    });
    this.#multi = this.env.multiArm;
    const watchdogSeconds = options.watchdogTimeoutSeconds ?? 0.5;
    const workspace = options.workspace ?? { min: [-0.3, -0.9, 0.005], max: [1.0, 0.9, 1.2] };
    const name = options.name ?? 'sim';
    const node = context.createNode(name, {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    });
    this.node = node;
    this.#pubs = {
      clock: node.createPublisher('rosgraph_msgs/msg/Clock', 'clock', QOS_CLOCK),
      tf: node.createPublisher('tf2_msgs/msg/TFMessage', 'tf', { ...QOS_DEFAULT, depth: 100 }),
      tfStatic: node.createPublisher('tf2_msgs/msg/TFMessage', 'tf_static', QOS_TRANSIENT_LOCAL),
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
    const self = this;
    const host = {
      env: this.env,
      clock: this.#clock,
      get running() {
        return self.#reset !== undefined;
      },
      get paused() {
        return self.#paused;
      },
      onError: (message: string) => {
        this.#lastError = message;
        if (this.#multi) this.#publishStatus();
      },
    };
    this.arms = this.env.armNames.map((armName, index) => {
      // One robot: its arm is this node (its topics in the node's namespace, as before).
      const armNode = this.#multi
        ? context.createNode(name, { namespace: childNamespace(options.namespace, armName) })
        : node;
      const status = this.#multi
        ? armNode.createPublisher('std_msgs/msg/String', 'sim/status', QOS_DEFAULT)
        : this.#pubs.status;
      return new SimArm(armNode, host, { index, watchdogSeconds, workspace, status });
    });
    if (this.#multi) {
      // The cell's own emergency stop freezes every arm; each arm also has its own.
      node.createSubscription('std_msgs/msg/Bool', 'emergency_stop', QOS_DEFAULT, (msg) => {
        for (const arm of this.arms) arm.setEmergencyStop(msg.data);
      });
    }
    node.createService('simbridge_msgs/srv/Reset', 'sim/reset', (req) => {
      try {
        const task = req.task || this.#reset?.info.task;
        if (!task) throw new UserError('no task given and no episode to repeat', { source: '/sim/reset' });
        const r = this.reset({ task, seed: req.seed, split: (req.split || 'seen') as Split });
        if (r.arms) {
          return {
            success: true,
            message: '',
            instruction: r.arms.map((a) => `${a.name}: ${a.instruction}`).join('; '),
            goal_json: JSON.stringify(Object.fromEntries(r.arms.map((a) => [a.name, a.goal]))),
          };
        }
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
    // Timer order is firing order at equal times: joint states, tf, detections, status, camera.
    every(rates.jointStates, 250, () => {
      for (const arm of this.arms) arm.publishJointStates();
    });
    every(rates.tf, 50, () => this.#publishTf());
    every(rates.detections, 30, () => this.#publishDetections());
    every(rates.status, 10, () => this.#publishStatus());
    this.camera = createSimCamera(node, this.env, options.scene, options.camera);
    const camera = this.camera;
    if (camera) every(camera.spec.rateHz, 0, () => camera.publish(this.#clock.now()));
    every(rates.tf, 50, () => {
      for (const arm of this.arms) arm.publishTrajectoryFeedback();
    });
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
    for (const arm of this.arms) arm.abortAll('episode reset');
    const r = this.env.reset({
      task: options.task,
      seed: options.seed,
      split: options.split ?? 'seen',
      ...(this.#disturb ? { disturb: this.#disturb } : {}),
      ...(this.#timeLimit ? {} : { timeLimit: false }),
    });
    this.#reset = r;
    this.#clock.reset(0n);
    this.arms.forEach((arm, i) => {
      const a = r.arms?.[i] ?? { ...r, task: r.info.task };
      arm.reset(a.observation.joints.position, a.observation.gripper.width, a.task, a.instruction);
      arm.checks = this.env.evaluateArm(i);
    });
    this.#checks = this.env.evaluate();
    this.#terminated = false;
    this.#truncated = false;
    this.#lastError = '';
    this.#tf = this.env.robotDescriptions.map(
      (d, i) => new TransformTree(d, this.#multi ? `${this.env.armNames[i]}/` : ''),
    );
    this.#pubs.tfStatic.publish({
      transforms: this.#tf.flatMap((t) => t.staticTransforms(this.#clock.now())),
    });
    this.#pubs.clock.publish({ clock: this.#clock.now() });
    return r;
  }

  /** Steps once unless paused. */
  tick(): void {
    if (!this.#paused) this.#step();
  }

  /** The task's checks; with several arms, every arm's (see SimEnv.evaluate). */
  get checks(): Checks {
    return this.#checks;
  }

  /** Every arm's task succeeded, or the episode ran out of time. */
  get done(): boolean {
    return this.#terminated || this.#truncated;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** An arm is frozen by its emergency stop. */
  get emergencyStopped(): boolean {
    return this.arms.some((a) => a.emergencyStopped);
  }

  /** Last safety error of any arm, '' if none. */
  get lastError(): string {
    return this.#lastError;
  }

  /** Commands refused by the safety checks, over every arm. */
  get rejectedCommands(): number {
    let n = 0;
    for (const a of this.arms) n += a.rejectedCommands;
    return n;
  }

  destroy(): void {
    for (const arm of this.arms) {
      arm.abortAll('sim node destroyed');
      if (arm.node !== this.node) arm.node.destroy();
    }
    this.node.destroy();
  }

  // ---- the step ---------------------------------------------------------------

  #step(): void {
    if (!this.#reset) return;
    const now = this.env.timeSeconds;
    const actions = this.arms.map((arm) => arm.prepare(now));
    const r = this.env.actArms(actions);
    this.arms.forEach((arm, i) => {
      arm.checks = r.infos[i]!.checks;
    });
    this.#checks = this.#multi ? combinedChecks(this.env.armNames, r.infos) : r.infos[0]!.checks;
    this.#terminated = r.terminated;
    this.#truncated = r.truncated;
    this.#clock.advanceTo(BigInt(Math.round(this.env.timeSeconds * 1e9)));
    this.#pubs.clock.publish({ clock: this.#clock.now() });
    for (const arm of this.arms) arm.afterStep();
  }

  // ---- publishing -----------------------------------------------------------------

  #publishTf(): void {
    const stamp = this.#clock.now();
    const transforms = this.#tf.flatMap((t) => t.dynamicTransforms(stamp));
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
    if (!this.#multi) {
      this.arms[0]!.publishStatus();
      return;
    }
    // Each arm's own status in its namespace, and the table's here.
    for (const arm of this.arms) arm.publishStatus();
    const running = this.#reset !== undefined;
    const clearance: ArmClearance | undefined = running ? this.env.armClearance : undefined;
    this.#pubs.status.publish({
      data: JSON.stringify({
        state: this.emergencyStopped ? 'estop' : this.#paused ? 'paused' : running ? 'running' : 'idle',
        task: this.#reset?.arms?.map((a) => a.task).join(', ') ?? '',
        time: running ? this.env.timeSeconds : 0,
        checks: this.#checks,
        arms: Object.fromEntries(this.arms.map((a, i) => [this.env.armNames[i], a.status()])),
        clearance: clearance
          ? { minGapMeters: clearance.minGapMeters, overlaps: clearance.overlaps }
          : undefined,
        rejectedCommands: this.rejectedCommands,
        lastError: this.#lastError,
      }),
    });
  }
}

/** The table's checks from each arm's: success when all succeed, each arm's as `<name>.<check>`. */
function combinedChecks(names: readonly string[], infos: ReadonlyArray<{ checks: Checks }>): Checks {
  const out: Checks = { success: true, armsSucceeded: 0 };
  infos.forEach(({ checks }, i) => {
    if (checks.success) (out.armsSucceeded as number)++;
    else out.success = false;
    for (const [k, v] of Object.entries(checks)) out[`${names[i]}.${k}`] = v;
  });
  return out;
}
