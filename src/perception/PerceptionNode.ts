import { Matrix4, Quaternion, Vector3 } from 'three';
import { readDepthImage } from '../../sim/camera/cameraMessages.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { buildDetections } from '../../sim/node/detections.ts';
import type { ColorName } from '../../sim/scene/colors.ts';
import type { Context } from '../graph/Context.ts';
import type { Node } from '../graph/Node.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../graph/Qos.ts';
import type { MessageType } from '../msgs/index.ts';
import { type EstimateOptions, estimateObjects, type PerceivedObject } from './estimateObjects.ts';

type Image = MessageType<'sensor_msgs/msg/Image'>;
type CameraInfo = MessageType<'sensor_msgs/msg/CameraInfo'>;
type TransformStamped = MessageType<'geometry_msgs/msg/TransformStamped'>;
type Stamp = { sec: number; nanosec: number };

export interface PerceptionNodeOptions {
  /** Node name. @default 'perception' */
  name?: string;
  /** Camera topics (a RealSense driver's names by default), and where detections go. */
  topics?: { color?: string; depth?: string; cameraInfo?: string; detections?: string };
  /** The fixed frame detections are published in; the camera's pose comes from /tf_static. @default 'world' */
  worldFrame?: string;
  estimate?: EstimateOptions;
  /** A track moves at most this far between frames and keeps its id, m. @default 0.08 */
  trackRadius?: number;
}

/** One tracked object: a stable id across frames, its last estimate. */
interface Track {
  id: string;
  className: string;
  object: PerceivedObject;
}

/**
 * Perception from RGB-D alone: colour + depth + CameraInfo in, vision_msgs/Detection3DArray
 * on /detections out, in the conventions of the sim's ground truth (sim/node/detections.ts):
 * ids `<color>_<kind>` (`_2`, `_3` for more of one class), class names "red block", boxes
 * centred on the object. No segmentation and no ground truth: it runs on a real camera's
 * topics as on the sim's. The camera's pose comes from /tf_static (world → optical frame).
 *
 * Ids persist across frames by nearest-neighbour tracking per class; an object not seen
 * in a frame (hidden by the arm) keeps its last pose.
 */
export class PerceptionNode {
  readonly node: Node;
  readonly #options: PerceptionNodeOptions;
  readonly #static = new Map<string, TransformStamped>();
  readonly #tracks: Track[] = [];
  readonly #pub;
  #color: Image | undefined;
  #depth: Image | undefined;
  #info: CameraInfo | undefined;
  /** Frames turned into detections. */
  frames = 0;
  /** Last problem with an input, '' if none. */
  lastError = '';

  constructor(context: Context, options: PerceptionNodeOptions = {}) {
    this.#options = options;
    const node = context.createNode(options.name ?? 'perception');
    this.node = node;
    const topics = options.topics ?? {};
    this.#pub = node.createPublisher(
      'vision_msgs/msg/Detection3DArray',
      topics.detections ?? '/detections',
      QOS_DEFAULT,
    );
    const images = { ...QOS_DEFAULT, depth: 2 };
    node.createSubscription(
      'sensor_msgs/msg/Image',
      topics.color ?? '/camera/color/image_raw',
      images,
      (m) => {
        this.#color = m;
        this.#tryFrame();
      },
    );
    node.createSubscription(
      'sensor_msgs/msg/Image',
      topics.depth ?? '/camera/depth/image_raw',
      images,
      (m) => {
        this.#depth = m;
        this.#tryFrame();
      },
    );
    node.createSubscription(
      'sensor_msgs/msg/CameraInfo',
      topics.cameraInfo ?? '/camera/color/camera_info',
      images,
      (m) => {
        this.#info = m;
      },
    );
    // tf2's StaticListenerQoS: transient local, depth 100 (one message per static broadcaster).
    const tfStatic = { ...QOS_TRANSIENT_LOCAL, depth: 100 };
    node.createSubscription('tf2_msgs/msg/TFMessage', '/tf_static', tfStatic, (m) => {
      for (const t of m.transforms) this.#static.set(t.child_frame_id, t);
    });
  }

  /** Forgets every track (a new episode). */
  reset(): void {
    this.#tracks.length = 0;
  }

  /** The current tracks as the sim's ObjectObservation-like records. */
  get objects(): ReadonlyArray<{ id: string; className: string; object: PerceivedObject }> {
    return this.#tracks;
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
    try {
      const camera = this.#camera(info, color.header.frame_id);
      if (!camera) return; // the camera's pose has not arrived on /tf_static yet
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
      const found = estimateObjects(rgb, metres, camera, this.#options.estimate);
      this.#track(found);
      this.frames++;
      this.#publish(color.header.stamp);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.node.logger.warn(`perception: ${this.lastError}`);
    }
  }

  #camera(info: CameraInfo, frameId: string): PinholeCamera | undefined {
    const world = this.#options.worldFrame ?? 'world';
    const m = new Matrix4();
    const step = new Matrix4();
    let frame = frameId || info.header.frame_id;
    for (let hops = 0; frame !== world; hops++) {
      const t = this.#static.get(frame);
      if (!t || hops > 16) return undefined;
      const r = t.transform.rotation;
      const p = t.transform.translation;
      step.compose(new Vector3(p.x, p.y, p.z), new Quaternion(r.x, r.y, r.z, r.w), new Vector3(1, 1, 1));
      m.premultiply(step);
      frame = t.header.frame_id;
    }
    const e = m.elements;
    return new PinholeCamera({
      width: info.width,
      height: info.height,
      fx: info.k[0]!,
      fy: info.k[4]!,
      cx: info.k[2]!,
      cy: info.k[5]!,
      position: [e[12]!, e[13]!, e[14]!],
      rotation: [e[0]!, e[4]!, e[8]!, e[1]!, e[5]!, e[9]!, e[2]!, e[6]!, e[10]!],
    });
  }

  /** Greedy nearest-neighbour association per class; new objects get the next free id. */
  #track(found: PerceivedObject[]): void {
    const radius = this.#options.trackRadius ?? 0.08;
    const taken = new Set<Track>();
    const pairs: Array<{ d: number; track: Track; obj: PerceivedObject }> = [];
    for (const obj of found) {
      const className = `${obj.color} ${obj.kind}`;
      for (const track of this.#tracks) {
        if (track.className !== className) continue;
        const d = Math.hypot(...obj.position.map((v, i) => v - track.object.position[i]!));
        if (d < radius) pairs.push({ d, track, obj });
      }
    }
    pairs.sort((a, b) => a.d - b.d);
    const matched = new Set<PerceivedObject>();
    for (const { track, obj } of pairs) {
      if (taken.has(track) || matched.has(obj)) continue;
      taken.add(track);
      matched.add(obj);
      track.object = obj;
    }
    for (const obj of found) {
      if (matched.has(obj)) continue;
      const base = `${obj.color}_${obj.kind}`;
      let id = base;
      for (let k = 2; this.#tracks.some((t) => t.id === id); k++) id = `${base}_${k}`;
      this.#tracks.push({ id, className: `${obj.color} ${obj.kind}`, object: obj });
    }
  }

  #publish(stamp: Stamp): void {
    const objects = this.#tracks.map((t) => {
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
    for (const d of msg.detections) {
      d.header.frame_id = msg.header.frame_id;
      // A perceived object: its score is how much of it was seen, not 1.
      const pixels = this.#tracks.find((t) => t.id === d.id)?.object.pixels ?? 0;
      d.results[0]!.hypothesis.score = Math.min(1, pixels / 200);
    }
    this.#pub.publish(msg);
  }
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
