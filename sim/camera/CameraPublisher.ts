import type { Node } from '../../src/graph/Node.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../../src/graph/Qos.ts';
import type { Time } from '../../src/graph/types.ts';
import type { SimEnv } from '../Env.ts';
import { transform } from '../node/transform.ts';
import type { Scene } from '../scene/Scene.ts';
import { getScene, type SceneSpec } from '../scene/SceneSpec.ts';
import { CameraFrame } from './CameraFrame.ts';
import { type CameraSpec, TABLETOP_CAMERA } from './CameraSpec.ts';
import {
  CAMERA_LINK,
  cameraInfo,
  colorImage,
  depthImage,
  OPTICAL_FRAME,
  segmentationImage,
} from './cameraMessages.ts';
import { PinholeCamera, rotationToQuaternion } from './PinholeCamera.ts';
import type { RenderOptions } from './RayScene.ts';
import { SceneRenderer } from './SceneRenderer.ts';

/**
 * The camera topics (DESIGN.md's contract, plus depth camera_info and segmentation as RealSense
 * names them), for a sim node at the root. A sim node in a namespace publishes them under it
 * (`/left/camera/color/image_raw`), like its other topics.
 */
export const CAMERA_TOPICS = {
  color: '/camera/color/image_raw',
  colorInfo: '/camera/color/camera_info',
  depth: '/camera/depth/image_raw',
  depthInfo: '/camera/depth/camera_info',
  segmentation: '/camera/segmentation/image_raw',
  /** std_msgs/String, JSON `[{ id, name, kind, className }]`, transient local: the id → object map. */
  labels: '/camera/segmentation/labels',
} as const;

export interface CameraPublisherOptions {
  /** Publish /camera/segmentation/* (a sim-only privilege: perception must not need it). @default true */
  segmentation?: boolean;
  render?: RenderOptions;
}

/**
 * Renders the sim env through a pinhole camera and publishes the frames: rgb8 colour,
 * 32FC1 depth (registered to colour: same optical frame), mono16 segmentation, their
 * CameraInfo, and the camera's frames on /tf_static (world → camera_link →
 * camera_color_optical_frame). The owner calls `publish()` at the camera's rate.
 * A new episode (a new scene) rebuilds the renderer and republishes the labels.
 */
export class CameraPublisher {
  readonly camera: PinholeCamera;
  readonly spec: CameraSpec;
  readonly frame: CameraFrame;
  readonly #env: SimEnv;
  readonly #options: CameraPublisherOptions;
  readonly #pubs;
  #scene: Scene | undefined;
  #renderer: SceneRenderer | undefined;
  /** Frames rendered. */
  frames = 0;

  constructor(node: Node, env: SimEnv, spec: CameraSpec, options: CameraPublisherOptions = {}) {
    this.#env = env;
    this.spec = spec;
    this.#options = options;
    this.camera = PinholeCamera.fromSpec(spec);
    this.frame = new CameraFrame(this.camera.width, this.camera.height);
    const images = { ...QOS_DEFAULT, depth: 2 };
    const segmentation = options.segmentation ?? true;
    // Relative names: in the node's namespace, as the sim node's own topics (and tf_static) are.
    const rel = (topic: string) => topic.slice(1);
    this.#pubs = {
      color: node.createPublisher('sensor_msgs/msg/Image', rel(CAMERA_TOPICS.color), images),
      colorInfo: node.createPublisher('sensor_msgs/msg/CameraInfo', rel(CAMERA_TOPICS.colorInfo), images),
      depth: node.createPublisher('sensor_msgs/msg/Image', rel(CAMERA_TOPICS.depth), images),
      depthInfo: node.createPublisher('sensor_msgs/msg/CameraInfo', rel(CAMERA_TOPICS.depthInfo), images),
      segmentation: segmentation
        ? node.createPublisher('sensor_msgs/msg/Image', rel(CAMERA_TOPICS.segmentation), images)
        : undefined,
      labels: segmentation
        ? node.createPublisher('std_msgs/msg/String', rel(CAMERA_TOPICS.labels), QOS_TRANSIENT_LOCAL)
        : undefined,
      tfStatic: node.createPublisher('tf2_msgs/msg/TFMessage', 'tf_static', QOS_TRANSIENT_LOCAL),
    };
    this.#pubs.tfStatic.publish({ transforms: this.staticTransforms(node.now()) });
  }

  /** The camera's frames: world → camera_link → camera_color_optical_frame. */
  staticTransforms(stamp: Time) {
    // camera_link → optical: x_opt = -y_link, y_opt = -z_link, z_opt = x_link.
    const linkToOptical = rotationToQuaternion([0, 0, 1, -1, 0, 0, 0, -1, 0]);
    const r = this.camera.rotation;
    // camera_link axes in the world: x = optical z, y = -optical x, z = -optical y.
    const link = rotationToQuaternion([r[2]!, -r[0]!, -r[1]!, r[5]!, -r[3]!, -r[4]!, r[8]!, -r[6]!, -r[7]!]);
    return [
      transform(stamp, 'world', CAMERA_LINK, Array.from(this.camera.position), link),
      transform(stamp, CAMERA_LINK, OPTICAL_FRAME, [0, 0, 0], linkToOptical),
    ];
  }

  /** Renders the current state and publishes every camera topic, stamped `stamp`. */
  publish(stamp: Time): void {
    const scene = this.#env.scene;
    if (scene !== this.#scene || !this.#renderer) {
      this.#scene = scene;
      this.#renderer = new SceneRenderer(
        scene,
        this.#env.arms.map((a) => a.robot),
      );
      this.#pubs.labels?.publish({ data: JSON.stringify(this.#renderer.instances) });
    }
    this.#renderer.render(this.camera, this.frame, this.#options.render);
    this.frames++;
    const info = cameraInfo(this.camera, stamp);
    this.#pubs.colorInfo.publish(info);
    this.#pubs.depthInfo.publish(info);
    this.#pubs.color.publish(colorImage(this.frame, stamp));
    this.#pubs.depth.publish(depthImage(this.frame, stamp));
    this.#pubs.segmentation?.publish(segmentationImage(this.frame, stamp));
  }
}

/** SimNode's `camera` option: on with the scene's camera, or a camera and segmentation choice. */
export type SimCameraOption = boolean | { spec?: CameraSpec; segmentation?: boolean; render?: RenderOptions };

/**
 * A CameraPublisher for the sim node's `camera` option, or undefined when it is off.
 * The camera is the option's spec, else the scene spec's camera, else TABLETOP_CAMERA.
 */
export function createSimCamera(
  node: Node,
  env: SimEnv,
  scene: SceneSpec | string | undefined,
  option: SimCameraOption | undefined,
): CameraPublisher | undefined {
  if (!option) return undefined;
  const o = option === true ? {} : option;
  const sceneSpec = typeof scene === 'object' ? scene : getScene(scene ?? 'tabletop');
  const spec = o.spec ?? sceneSpec.camera ?? TABLETOP_CAMERA;
  return new CameraPublisher(node, env, spec, {
    ...(o.segmentation !== undefined ? { segmentation: o.segmentation } : {}),
    ...(o.render ? { render: o.render } : {}),
  });
}
