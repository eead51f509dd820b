import { Matrix4 } from 'three';
import { CameraFrame } from '../../sim/camera/CameraFrame.ts';
import type { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { Primitive } from '../../sim/camera/Primitive.ts';
import { RayScene } from '../../sim/camera/RayScene.ts';
import { originToMatrix4, type UrdfGeometry, type UrdfRobot } from '../../sim/robot/Urdf.ts';

export interface RobotMaskOptions {
  /**
   * Every link shape is grown by this much on each side, m. It covers the time between
   * the link poses and the image (10 ms of motion at the 0.35 m/s free speed is 3.5 mm)
   * and the depth edge pixels that mix robot and background. Larger hides more of what
   * lies next to the gripper. @default 0.01
   */
  paddingMeters?: number;
  /**
   * A pixel is the robot's when the rendered robot is at most this far behind the
   * observed surface (or anywhere in front of it), m. @default 0.02
   */
  toleranceMeters?: number;
}

interface LinkShape {
  link: string;
  primitive: Primitive;
  /** Shape origin in the link frame. */
  origin: Matrix4;
}

const _m = new Matrix4();

/**
 * The robot's own pixels in a depth image, found as a real robot's "self filter" finds them:
 * the robot's link shapes (URDF visuals: boxes, cylinders, spheres; a link whose visuals are
 * meshes falls back to its primitive collision shapes), posed from /tf, grown by a padding,
 * are rendered alone from the camera; an observed pixel at or behind the rendered robot is
 * the robot. Objects in front of the robot (a held block between the camera and the
 * gripper) stay. No segmentation and no ground truth: only the URDF, the link poses and
 * the depth image.
 */
export class RobotMask {
  /** Links whose poses `apply` asks for. */
  readonly links: readonly string[];
  readonly #shapes: LinkShape[] = [];
  readonly #scene = new RayScene();
  readonly #tolerance: number;
  #frame: CameraFrame | undefined;

  constructor(urdf: UrdfRobot, options: RobotMaskOptions = {}) {
    const pad = options.paddingMeters ?? 0.01;
    this.#tolerance = options.toleranceMeters ?? 0.02;
    const links = new Set<string>();
    for (const link of urdf.links.values()) {
      const primitiveVisuals = link.visuals.filter((v) => v.geometry.type !== 'mesh');
      const shapes =
        primitiveVisuals.length === link.visuals.length
          ? primitiveVisuals
          : link.collisions.filter((c) => c.geometry.type !== 'mesh');
      for (const shape of shapes) {
        const primitive = grown(shape.geometry, pad);
        if (!primitive) continue;
        this.#shapes.push({
          link: link.name,
          primitive,
          origin: originToMatrix4(shape.origin, new Matrix4()),
        });
        links.add(link.name);
      }
    }
    this.links = [...links];
  }

  /**
   * Marks the robot's pixels of `depth` (metres, NaN where nothing was seen) with 1 in `out`
   * (other entries are left as they are) and returns how many it marked. `linkPose(name)`
   * gives a link's pose in the camera's world frame (column-major, three.js), or undefined
   * when unknown: that link's shapes are left out.
   */
  apply(
    camera: PinholeCamera,
    depth: Float32Array,
    linkPose: (link: string) => Matrix4 | undefined,
    out: Uint8Array,
  ): number {
    const n = camera.width * camera.height;
    if (depth.length < n || out.length < n)
      throw new Error(
        `robot mask: depth (${depth.length}) or mask (${out.length}) is smaller than ${n} pixels`,
      );
    let frame = this.#frame;
    if (!frame || frame.width !== camera.width || frame.height !== camera.height) {
      frame = new CameraFrame(camera.width, camera.height);
      this.#frame = frame;
    }
    const drawn = this.#scene.primitives;
    drawn.length = 0;
    for (const s of this.#shapes) {
      const pose = linkPose(s.link);
      if (!pose) continue;
      s.primitive.setPoseFromMatrix4(_m.multiplyMatrices(pose, s.origin).elements);
      drawn.push(s.primitive);
    }
    this.#scene.render(camera, frame);
    const robot = frame.depth;
    const tol = this.#tolerance;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const r = robot[i]!;
      if (Number.isNaN(r)) continue; // no robot along this ray
      const d = depth[i]!;
      if (Number.isNaN(d) || r <= d + tol) {
        if (!out[i]) count++;
        out[i] = 1;
      }
    }
    return count;
  }
}

function grown(g: UrdfGeometry, pad: number): Primitive | undefined {
  const color = [0, 0, 0];
  if (g.type === 'box')
    return Primitive.box([g.size[0] + 2 * pad, g.size[1] + 2 * pad, g.size[2] + 2 * pad], color, 1);
  if (g.type === 'cylinder') return Primitive.cylinder(g.radius + pad, g.length + 2 * pad, color, 1);
  if (g.type === 'sphere') return Primitive.sphere(g.radius + pad, color, 1);
  return undefined;
}
