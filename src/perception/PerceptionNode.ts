import { Matrix4, Quaternion, Vector3 } from 'three';
import { readDepthImage } from '../../sim/camera/cameraMessages.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { buildDetections } from '../../sim/node/detections.ts';
import type { RobotConfig } from '../../sim/robot/RobotConfig.ts';
import { parseUrdf } from '../../sim/robot/Urdf.ts';
import type { ColorName } from '../../sim/scene/colors.ts';
import type { Context } from '../graph/Context.ts';
import type { Node } from '../graph/Node.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../graph/Qos.ts';
import type { MessageType } from '../msgs/index.ts';
import { type EstimateOptions, estimateObjects } from './estimateObjects.ts';
import {
  type GripperState,
  ObjectTracker,
  type Track,
  type TrackerOptions,
  type Visibility,
} from './ObjectTracker.ts';
import { RobotMask, type RobotMaskOptions } from './RobotMask.ts';

type Image = MessageType<'sensor_msgs/msg/Image'>;
type CameraInfo = MessageType<'sensor_msgs/msg/CameraInfo'>;
type TransformStamped = MessageType<'geometry_msgs/msg/TransformStamped'>;
type JointState = MessageType<'sensor_msgs/msg/JointState'>;
type Stamp = { sec: number; nanosec: number };

export interface PerceptionNodeOptions {
  /** Node name. @default 'perception' */
  name?: string;
  /**
   * Namespace of the node: its default topics (camera, detections, tf, robot_description,
   * joint_states) resolve in it, as a namespaced sim publishes them. @default '/'
   */
  namespace?: string;
  /**
   * Camera topics (a RealSense driver's names by default), and where detections go. Relative
   * names resolve in `namespace`.
   */
  topics?: { color?: string; depth?: string; cameraInfo?: string; detections?: string };
  /** The fixed frame detections are published in; the camera's pose comes from /tf and /tf_static. @default 'world' */
  worldFrame?: string;
  estimate?: EstimateOptions;
  tracker?: TrackerOptions;
  /**
   * Drop the robot's own pixels: its URDF (from /robot_description) posed from /tf is rendered
   * from the camera, and what lies at or behind it is ignored. False turns it off. @default on
   */
  robotMask?: boolean | RobotMaskOptions;
  /**
   * The gripper, so that a grasped block is followed while it is carried (robot.yaml's
   * `tip_link`, `gripper.joints`, `gripper.pad_links`). The opening is the sum of the finger
   * joints' positions in /joint_states, as ros2_control's parallel grippers report it.
   * Without it, a carried block keeps the pose it had on the table.
   */
  gripper?: { tcpFrame: string; fingerJoints: readonly string[]; padLinks?: readonly [string, string] };
}

/** A world point is seen through when the surface behind it is this much farther, m. */
const SEE_THROUGH_MARGIN = 0.03;

const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _one = new Vector3(1, 1, 1);

/**
 * Perception from RGB-D alone: colour + depth + CameraInfo in, vision_msgs/Detection3DArray
 * on /detections out, in the conventions of the sim's ground truth (sim/node/detections.ts):
 * ids `<color>_<kind>` (`_2`, `_3` for more of one class), class names "red block", boxes
 * centred on the object. No segmentation and no ground truth: it runs on a real camera's
 * topics as on the sim's.
 *
 * Each frame:
 * 1. the camera's pose is looked up in /tf_static and /tf (world → optical frame);
 * 2. the robot's own pixels are masked (RobotMask, from /robot_description and /tf);
 * 3. objects are found in what is left (estimateObjects);
 * 4. tracks keep ids, hold the pose of what the arm hides, and follow a grasped block
 *    with the gripper (ObjectTracker, from /tf and /joint_states).
 * Detections are published per frame once the first objects are confirmed.
 */
export class PerceptionNode {
  readonly node: Node;
  readonly #options: PerceptionNodeOptions;
  /** Latest transform per child frame, from /tf_static and /tf. */
  readonly #tf = new Map<string, TransformStamped>();
  /** Frame → world, per frame processed. */
  readonly #worldCache = new Map<string, Matrix4 | undefined>();
  readonly #tracker: ObjectTracker;
  readonly #pub;
  #mask: RobotMask | undefined;
  #maskBuffer = new Uint8Array(0);
  #joints: JointState | undefined;
  #color: Image | undefined;
  #depth: Image | undefined;
  #info: CameraInfo | undefined;
  /** Stamp of the last frame, ns. */
  #lastStampNs = -1n;
  /** Frames turned into detections. */
  frames = 0;
  /** Robot pixels masked in the last frame. */
  maskedPixels = 0;
  /** Last problem with an input, '' if none. */
  lastError = '';

  constructor(context: Context, options: PerceptionNodeOptions = {}) {
    this.#options = options;
    this.#tracker = new ObjectTracker(options.tracker);
    const node = context.createNode(options.name ?? 'perception', {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    });
    this.node = node;
    const topics = options.topics ?? {};
    this.#pub = node.createPublisher(
      'vision_msgs/msg/Detection3DArray',
      topics.detections ?? 'detections',
      QOS_DEFAULT,
    );
    const images = { ...QOS_DEFAULT, depth: 2 };
    node.createSubscription(
      'sensor_msgs/msg/Image',
      topics.color ?? 'camera/color/image_raw',
      images,
      (m) => {
        this.#color = m;
        this.#tryFrame();
      },
    );
    node.createSubscription(
      'sensor_msgs/msg/Image',
      topics.depth ?? 'camera/depth/image_raw',
      images,
      (m) => {
        this.#depth = m;
        this.#tryFrame();
      },
    );
    node.createSubscription(
      'sensor_msgs/msg/CameraInfo',
      topics.cameraInfo ?? 'camera/color/camera_info',
      images,
      (m) => {
        this.#info = m;
      },
    );
    // tf2's listener QoS: depth 100 on both. /tf_static is transient local, and a depth of 1
    // would keep only one static broadcaster's message (see the report on LocalTransport).
    const onTf = (m: MessageType<'tf2_msgs/msg/TFMessage'>) => {
      for (const t of m.transforms) this.#tf.set(t.child_frame_id, t);
    };
    node.createSubscription(
      'tf2_msgs/msg/TFMessage',
      'tf_static',
      { ...QOS_TRANSIENT_LOCAL, depth: 100 },
      onTf,
    );
    node.createSubscription('tf2_msgs/msg/TFMessage', 'tf', { ...QOS_DEFAULT, depth: 100 }, onTf);
    const maskOption = options.robotMask ?? true;
    if (maskOption !== false) {
      node.createSubscription('std_msgs/msg/String', 'robot_description', QOS_TRANSIENT_LOCAL, (m) => {
        try {
          this.#mask = new RobotMask(
            parseUrdf(m.data, '/robot_description'),
            maskOption === true ? {} : maskOption,
          );
        } catch (err) {
          this.#problem(`robot mask off: ${(err as Error).message}`);
        }
      });
    }
    if (options.gripper) {
      node.createSubscription('sensor_msgs/msg/JointState', 'joint_states', QOS_DEFAULT, (m) => {
        this.#joints = m;
      });
    }
  }

  /** Forgets every track (a new episode). */
  reset(): void {
    this.#tracker.reset();
    this.frames = 0;
  }

  /** The current tracks. */
  get objects(): readonly Track[] {
    return this.#tracker.tracks;
  }

  destroy(): void {
    this.node.destroy();
  }

  #tryFrame(): void {
    const color = this.#color;
    const depth = this.#depth;
    const info = this.#info;
    if (!color || !depth || !info) return;
    if (!sameStamp(color.header.stamp, depth.header.stamp)) return;
    this.#color = undefined;
    this.#depth = undefined;
    // Time jumped back (or stood still: a frame is stamped once): the sim was reset, a new
    // episode and scene. Forget every track, as
    // tf2 clears its buffer on a jump back in time.
    const stampNs = BigInt(color.header.stamp.sec) * 1_000_000_000n + BigInt(color.header.stamp.nanosec);
    if (stampNs <= this.#lastStampNs) this.reset();
    this.#lastStampNs = stampNs;
    try {
      this.#worldCache.clear();
      const camera = this.#camera(info, color.header.frame_id);
      if (!camera) return; // the camera's pose has not arrived on /tf yet
      if (
        color.width !== info.width ||
        color.height !== info.height ||
        depth.width !== info.width ||
        depth.height !== info.height
      )
        throw new Error(
          `image sizes ${color.width}×${color.height} (colour), ${depth.width}×${depth.height} (depth) differ from camera_info ${info.width}×${info.height}`,
        );
      const rgb = readColor(color);
      const metres = readDepthImage(depth, 'depth image');
      const n = info.width * info.height;
      if (this.#maskBuffer.length !== n) this.#maskBuffer = new Uint8Array(n);
      const mask = this.#maskBuffer;
      mask.fill(0);
      this.maskedPixels = this.#mask
        ? this.#mask.apply(camera, metres, (link) => this.#world(link), mask)
        : 0;
      const found = estimateObjects(rgb, metres, camera, { ...this.#options.estimate, mask });
      this.#tracker.update(found, this.#gripper(), (p) => visibility(p, camera, metres, mask));
      this.frames++;
      if (this.frames >= (this.#options.tracker?.confirmFrames ?? 3)) this.#publish(color.header.stamp);
    } catch (err) {
      this.#problem((err as Error).message);
    }
  }

  #problem(message: string): void {
    this.lastError = message;
    this.node.logger.warn(`perception: ${message}`);
  }

  /** `frame` in the world frame, chained through /tf and /tf_static (latest of each); cached per image. */
  #world(frame: string): Matrix4 | undefined {
    const world = this.#options.worldFrame ?? 'world';
    if (frame === world) return new Matrix4();
    if (this.#worldCache.has(frame)) return this.#worldCache.get(frame);
    this.#worldCache.set(frame, undefined); // a cycle in the tree ends here
    const t = this.#tf.get(frame);
    let out: Matrix4 | undefined;
    if (t) {
      const parent = this.#world(t.header.frame_id);
      if (parent) {
        const r = t.transform.rotation;
        const p = t.transform.translation;
        _m.compose(_p.set(p.x, p.y, p.z), _q.set(r.x, r.y, r.z, r.w), _one);
        out = new Matrix4().multiplyMatrices(parent, _m);
      }
    }
    this.#worldCache.set(frame, out);
    return out;
  }

  #camera(info: CameraInfo, frameId: string): PinholeCamera | undefined {
    const [fx, , cx, , fy, cy] = info.k;
    if (!(fx! > 0 && fy! > 0 && Number.isFinite(fx) && Number.isFinite(fy)))
      throw new Error(`camera_info: focal lengths k[0] = ${fx}, k[4] = ${fy} must be positive and finite`);
    if (!Number.isFinite(cx) || !Number.isFinite(cy))
      throw new Error(`camera_info: principal point k[2] = ${cx}, k[5] = ${cy} must be finite`);
    const m = this.#world(frameId || info.header.frame_id);
    if (!m) return undefined;
    const e = m.elements;
    return new PinholeCamera({
      width: info.width,
      height: info.height,
      fx: fx!,
      fy: fy!,
      cx: cx!,
      cy: cy!,
      position: [e[12]!, e[13]!, e[14]!],
      rotation: [e[0]!, e[4]!, e[8]!, e[1]!, e[5]!, e[9]!, e[2]!, e[6]!, e[10]!],
    });
  }

  /** The gripper now: tcp from /tf, opening from /joint_states, closing axis from the pads. */
  #gripper(): GripperState | undefined {
    const g = this.#options.gripper;
    const js = this.#joints;
    if (!g || !js) return undefined;
    const tcp = this.#world(g.tcpFrame);
    if (!tcp) return undefined;
    let width = 0;
    for (const name of g.fingerJoints) {
      const i = js.name.indexOf(name);
      if (i < 0) return undefined;
      width += js.position[i]!;
    }
    const state: GripperState = { tcp, width };
    const pads = g.padLinks && [this.#world(g.padLinks[0]), this.#world(g.padLinks[1])];
    if (pads?.[0] && pads[1]) {
      const axis = new Vector3().setFromMatrixPosition(pads[0]).sub(_p.setFromMatrixPosition(pads[1]));
      if (axis.length() > 1e-4) {
        axis.normalize();
        state.closingAxis = [axis.x, axis.y, axis.z];
      }
    }
    return state;
  }

  #publish(stamp: Stamp): void {
    const tracks = this.#tracker.tracks;
    const objects = tracks.map((t) => {
      const o = t.object;
      return {
        id: t.id,
        kind: o.kind,
        color: o.color as ColorName,
        className: t.className,
        size: o.size,
        position: o.position,
        quaternion: [0, 0, Math.sin(o.yaw / 2), Math.cos(o.yaw / 2)] as [number, number, number, number],
        yaw: o.yaw,
      };
    });
    const msg = buildDetections(objects, stamp);
    msg.header.frame_id = this.#options.worldFrame ?? 'world';
    msg.detections.forEach((d, i) => {
      d.header.frame_id = msg.header.frame_id;
      // A perceived object: its score is how much of it was seen, not 1.
      d.results[0]!.hypothesis.score = Math.min(1, tracks[i]!.object.pixels / 200);
    });
    this.#pub.publish(msg);
  }
}

/**
 * A perception node for a robot.yaml robot on the sim's (or a RealSense's) topics, with the
 * gripper from its config: tip_link as the tcp, the finger joints, the pad links.
 */
export function createRobotPerception(
  context: Context,
  config: RobotConfig,
  options: Omit<PerceptionNodeOptions, 'gripper'> = {},
): PerceptionNode {
  return new PerceptionNode(context, {
    ...options,
    gripper: {
      tcpFrame: config.tip_link,
      fingerJoints: config.gripper.joints,
      padLinks: config.gripper.pad_links,
    },
  });
}

/** What the depth image shows at world point p (see ObjectTracker.update). */
function visibility(
  p: readonly [number, number, number],
  camera: PinholeCamera,
  depth: Float32Array,
  mask: Uint8Array,
): Visibility {
  const { u, v, depth: expected } = camera.project(p[0], p[1], p[2]);
  const x = Math.round(u);
  const y = Math.round(v);
  if (!(expected > 0) || x < 0 || y < 0 || x >= camera.width || y >= camera.height) return 'unknown';
  const i = y * camera.width + x;
  if (mask[i]) return 'hidden';
  const d = depth[i]!;
  if (Number.isNaN(d) || d > expected + SEE_THROUGH_MARGIN) return 'seen-through';
  if (d < expected - SEE_THROUGH_MARGIN) return 'hidden';
  return 'unknown';
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.sec === b.sec && a.nanosec === b.nanosec;
}

/** rgb8 or bgr8 → packed rgb8 (row padding removed). */
function readColor(msg: Image): Uint8Array {
  if (msg.encoding !== 'rgb8' && msg.encoding !== 'bgr8')
    throw new Error(`colour image: encoding "${msg.encoding}" is not rgb8 or bgr8`);
  const w = msg.width;
  if (msg.step < 3 * w || msg.data.length < msg.step * msg.height)
    throw new Error(
      `colour image: data has ${msg.data.length} bytes, step ${msg.step}, for ${w}×${msg.height} ${msg.encoding}`,
    );
  const out = new Uint8Array(w * msg.height * 3);
  const swap = msg.encoding === 'bgr8';
  for (let v = 0; v < msg.height; v++) {
    for (let u = 0; u < w; u++) {
      const s = v * msg.step + 3 * u;
      const d = 3 * (v * w + u);
      out[d] = msg.data[swap ? s + 2 : s]!;
      out[d + 1] = msg.data[s + 1]!;
      out[d + 2] = msg.data[swap ? s : s + 2]!;
    }
  }
  return out;
}
