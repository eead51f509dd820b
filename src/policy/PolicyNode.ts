import { Matrix4, Quaternion, Vector3 } from 'three';
import type { Action, ObjectObservation, Observation } from '../../sim/Env.ts';
import { KinematicChain } from '../../sim/robot/KinematicChain.ts';
import type { RobotDescription } from '../../sim/robot/RobotConfig.ts';
import { originToMatrix4, parseUrdf } from '../../sim/robot/Urdf.ts';
import type { SceneSpec } from '../../sim/scene/SceneSpec.ts';
import type { ActionClient, Context, Node, Publisher } from '../graph/index.ts';
import { QOS_DEFAULT, QOS_SENSOR_DATA, QOS_TRANSIENT_LOCAL } from '../graph/index.ts';
import type { MessageType } from '../msgs/index.ts';
import { transportConnection } from '../transports/TransportConnection.ts';

/** What a policy node runs: anything that maps an Observation to an Action. */
export interface NodePolicy {
  act(obs: Observation): Action;
  readonly finished: boolean;
  readonly failure: string | undefined;
}

export interface PolicyNodeOptions {
  /**
   * The robot's configuration (robot.yaml: joint names, controllers, gripper). Its
   * kinematics are rebuilt from the URDF that arrives on /robot_description.
   */
  robot: RobotDescription;
  /** Builds the policy once the robot description has arrived. */
  createPolicy: (robot: RobotDescription) => NodePolicy;
  /** Command rate, Hz (sim time). @default 60 */
  controlHz?: number;
  /** Fixture dimensions the detections do not carry (bowl wall, clip post), privileged. */
  scene: SceneSpec;
  /** Node name. @default 'oracle' */
  name?: string;
  /** Namespace of the node and every topic and action it uses (`/left` gives `/left/joint_states`). @default '/' */
  namespace?: string;
}

type GripperClient = ActionClient<
  MessageType<'control_msgs/action/GripperCommand_Goal'>,
  MessageType<'control_msgs/action/GripperCommand_Result'>,
  MessageType<'control_msgs/action/GripperCommand_Feedback'>
>;

const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3();

/**
 * A policy as a ROS 2 node. It sees only the topic contract: /robot_description,
 * /joint_states and /detections in; `<forward_position_controller>/commands` and the
 * `<gripper_controller>/gripper_cmd` action out. From those it rebuilds the same
 * Observation the headless env gives, and runs the policy on it at the control
 * rate, on sim time.
 */
export class PolicyNode {
  readonly node: Node;
  readonly #options: PolicyNodeOptions;
  /** base_link in the world (robot.yaml mount). */
  readonly #mount: Matrix4;
  readonly #commands: Publisher<MessageType<'std_msgs/msg/Float64MultiArray'>>;
  readonly #gripper: GripperClient;
  #policy: NodePolicy | undefined;
  #robot: RobotDescription | undefined;
  #joints: MessageType<'sensor_msgs/msg/JointState'> | undefined;
  #detections: MessageType<'vision_msgs/msg/Detection3DArray'> | undefined;
  #grasping = false;
  #sentWidth = Number.NaN;
  #time = 0;
  /** Stops listening to the transport's link (rosbridge), if it has one. */
  readonly #offLink: (() => void) | undefined;
  /** Control cycles run. */
  cycles = 0;

  constructor(context: Context, options: PolicyNodeOptions) {
    this.#options = options;
    this.#mount = originToMatrix4(
      options.robot.config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] },
      new Matrix4(),
    );
    const node = context.createNode(options.name ?? 'policy', {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    });
    this.node = node;
    const c = options.robot.config.controllers;
    this.#commands = node.createPublisher(
      'std_msgs/msg/Float64MultiArray',
      `${c.forward_position_controller}/commands`,
      QOS_SENSOR_DATA,
    );
    this.#gripper = node.createActionClient(
      'control_msgs/action/GripperCommand',
      `${c.gripper_controller}/gripper_cmd`,
    );
    node.createSubscription('std_msgs/msg/String', 'robot_description', QOS_TRANSIENT_LOCAL, (msg) => {
      const cfg = options.robot.config;
      const urdf = parseUrdf(msg.data, '/robot_description');
      this.#robot = {
        ...options.robot,
        urdf,
        urdfText: msg.data,
        chain: new KinematicChain(urdf, cfg.base_link, cfg.tip_link),
      };
    });
    node.createSubscription('sensor_msgs/msg/JointState', 'joint_states', QOS_DEFAULT, (msg) => {
      this.#joints = msg;
    });
    node.createSubscription('vision_msgs/msg/Detection3DArray', 'detections', QOS_DEFAULT, (msg) => {
      this.#detections = msg;
    });
    node.createTimer(1 / (options.controlHz ?? 60), () => this.#cycle());
    // Hold while a link is down: a drop forgets the observations, so no cycle runs (and nothing is
    // commanded) until fresh /joint_states and /detections arrive after the reconnect; the gripper
    // goal, perhaps lost with the link, is sent again.
    this.#offLink = transportConnection(context.transport)?.onConnectionChange((up) => {
      if (up) return;
      this.#joints = undefined;
      this.#detections = undefined;
      this.#sentWidth = Number.NaN;
    });
  }

  /** The robot description rebuilt from /robot_description, once it has arrived. */
  get robot(): RobotDescription | undefined {
    return this.#robot;
  }

  /** The policy, once the robot description has arrived. */
  get policy(): NodePolicy | undefined {
    return this.#policy;
  }

  /** Why the policy gave up, if it did. */
  get failure(): string | undefined {
    return this.#policy?.failure;
  }

  get finished(): boolean {
    return this.#policy?.finished ?? false;
  }

  destroy(): void {
    this.#offLink?.();
    this.node.destroy();
  }

  #cycle(): void {
    const robot = this.#robot;
    const obs = robot && this.#observe(robot);
    if (!robot || !obs) return; // waiting for /robot_description, /joint_states, /detections
    this.#policy ??= this.#options.createPolicy(robot);
    const action = this.#policy.act(obs);
    this.cycles++;
    this.#commands.publish({ layout: { dim: [], data_offset: 0 }, data: action.joints });
    if (action.gripper !== this.#sentWidth) {
      this.#sentWidth = action.gripper;
      this.#sendGripper(action.gripper).catch((err: unknown) => {
        // A goal cut short by shutdown or a lost server is not the policy's failure to
        // report here; the next cycle sends the opening again if it still differs.
        if (!this.node.isDestroyed) this.node.logger.warn(`gripper goal failed: ${String(err)}`);
        if (this.#sentWidth === action.gripper) this.#sentWidth = Number.NaN;
      });
    }
  }

  async #sendGripper(width: number): Promise<void> {
    const max = this.#options.robot.config.gripper.max_effort;
    const handle = await this.#gripper.sendGoal(
      { command: { position: width, max_effort: max } },
      {
        onFeedback: (fb) => {
          this.#grasping = fb.stalled;
        },
      },
    );
    if (!handle.accepted) return;
    const { result } = await handle.result();
    if (result && 'stalled' in result && this.#sentWidth === width) this.#grasping = result.stalled;
  }

  /** The env's Observation, rebuilt from the latest topic messages. */
  #observe(robot: RobotDescription): Observation | undefined {
    const js = this.#joints;
    const det = this.#detections;
    if (!js || !det) return undefined;
    const cfg = robot.config;
    const byName = new Map(js.name.map((n, i) => [n, i]));
    const pick = (arr: ArrayLike<number>, name: string) => {
      const i = byName.get(name);
      return i === undefined ? Number.NaN : (arr[i] ?? 0);
    };
    const position = cfg.arm_joints.map((n) => pick(js.position, n));
    if (position.some((v) => !Number.isFinite(v))) return undefined;
    const velocity = cfg.arm_joints.map((n) => pick(js.velocity, n) || 0);
    const width = cfg.gripper.joints.reduce((w, n) => w + pick(js.position, n), 0);
    robot.chain.fk(position, _m);
    _m.premultiply(this.#mount);
    _m.decompose(_p, _q, _s);
    this.#time = js.header.stamp.sec + js.header.stamp.nanosec * 1e-9;
    return {
      time: this.#time,
      joints: { names: [...cfg.arm_joints], position, velocity },
      ee: { position: [_p.x, _p.y, _p.z], quaternion: [_q.x, _q.y, _q.z, _q.w] },
      gripper: { width, grasping: this.#grasping },
      objects: objectsFromDetections(det, this.#options.scene),
    };
  }
}

/** Groups detections back into objects (cable segments `cable/<i>` into one cable). */
export function objectsFromDetections(
  det: MessageType<'vision_msgs/msg/Detection3DArray'>,
  scene: SceneSpec,
): ObjectObservation[] {
  const out: ObjectObservation[] = [];
  const cables = new Map<
    string,
    { obj: ObjectObservation; segments: Array<[number, [number, number, number]]> }
  >();
  for (const d of det.detections) {
    const className = d.results[0]?.hypothesis.class_id ?? '';
    const c = d.bbox.center;
    const position: [number, number, number] = [c.position.x, c.position.y, c.position.z];
    const quaternion: [number, number, number, number] = [
      c.orientation.x,
      c.orientation.y,
      c.orientation.z,
      c.orientation.w,
    ];
    const size: [number, number, number] = [d.bbox.size.x, d.bbox.size.y, d.bbox.size.z];
    const slash = d.id.indexOf('/');
    if (slash > 0 && className.endsWith('cable segment')) {
      const id = d.id.slice(0, slash);
      const index = Number(d.id.slice(slash + 1));
      let entry = cables.get(id);
      if (!entry) {
        const color = className.split(' ')[0] ?? '';
        entry = {
          obj: {
            id,
            kind: 'cable',
            color,
            className: `${color} cable`,
            size,
            position,
            quaternion: [0, 0, 0, 1],
            yaw: 0,
            segmentRadius: size[0] / 2,
          },
          segments: [],
        };
        cables.set(id, entry);
        out.push(entry.obj);
      }
      entry.segments.push([index, position]);
      continue;
    }
    const yaw = Math.atan2(
      2 * (quaternion[3] * quaternion[2] + quaternion[0] * quaternion[1]),
      1 - 2 * (quaternion[1] ** 2 + quaternion[2] ** 2),
    );
    const words = className.split(' ');
    if (words[0] === 'clip') {
      out.push({
        id: d.id,
        kind: 'clip',
        color: 'gray',
        className: 'clip',
        label: words[1],
        size,
        position,
        quaternion,
        yaw,
        slotWidth: size[1] - 2 * scene.clip.postWidth,
      });
      continue;
    }
    const kind = words[1] as ObjectObservation['kind'];
    const obj: ObjectObservation = {
      id: d.id,
      kind,
      color: words[0] ?? '',
      className,
      size,
      position,
      quaternion,
      yaw,
    };
    if (kind === 'bowl') obj.innerSize = size[0] - 2 * scene.bowl.wallThickness;
    out.push(obj);
  }
  for (const { obj, segments } of cables.values()) {
    segments.sort((a, b) => a[0] - b[0]);
    obj.segments = segments.map(([, p]) => p);
    obj.position = obj.segments[0] ?? obj.position;
  }
  return out;
}
