import type { CameraSpec } from './CameraSpec.ts';

/**
 * A resolved pinhole camera: intrinsics in pixels and the pose of its optical frame.
 *
 * Frames (REP 103 / REP 105): the world is z-up. The optical frame has z forward along
 * the optical axis, x right and y down in the image, as sensor_msgs/CameraInfo expects.
 * camera_link (x forward, y left, z up) shares its origin: optical x = -link y,
 * optical y = -link z, optical z = link x.
 *
 * Pixel (u, v) with integer coordinates is a pixel centre (OpenCV); its ray in the
 * optical frame is ((u - cx) / fx, (v - cy) / fy, 1), so the ray parameter at a hit is
 * the depth along the optical axis, as REP 118 depth images store it.
 */
export class PinholeCamera {
  readonly width: number;
  readonly height: number;
  /** Focal lengths and principal point, pixels. */
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  /** Optical centre, world frame, m. */
  readonly position: Float64Array;
  /**
   * Optical frame → world rotation, row-major 3×3: column 0 is image right, column 1
   * image down, column 2 the optical axis, each in world coordinates.
   */
  readonly rotation: Float64Array;
  /** Depth range rendered, m. */
  readonly near: number;
  readonly far: number;

  constructor(o: {
    width: number;
    height: number;
    fx: number;
    fy: number;
    cx: number;
    cy: number;
    position: ArrayLike<number>;
    rotation: ArrayLike<number>;
    near?: number;
    far?: number;
  }) {
    this.width = o.width;
    this.height = o.height;
    this.fx = o.fx;
    this.fy = o.fy;
    this.cx = o.cx;
    this.cy = o.cy;
    this.position = Float64Array.from(o.position);
    this.rotation = Float64Array.from(o.rotation);
    this.near = o.near ?? 0.05;
    this.far = o.far ?? 10;
  }

  /** Builds a camera from a validated scene-spec camera block. */
  static fromSpec(spec: CameraSpec): PinholeCamera {
    const { width, height } = spec;
    let fx: number;
    let fy: number;
    if (spec.fovYDegrees !== undefined) {
      fy = height / 2 / Math.tan((spec.fovYDegrees * Math.PI) / 360);
      fx = fy;
    } else {
      fx = spec.fx!;
      fy = spec.fy!;
    }
    const rotation = spec.lookAt
      ? lookAtRotation(spec.position, spec.lookAt)
      : linkQuaternionToOptical(spec.quaternion!);
    return new PinholeCamera({
      width,
      height,
      fx,
      fy,
      cx: spec.cx ?? (width - 1) / 2,
      cy: spec.cy ?? (height - 1) / 2,
      position: spec.position,
      rotation,
      ...(spec.nearMeters !== undefined ? { near: spec.nearMeters } : {}),
      ...(spec.farMeters !== undefined ? { far: spec.farMeters } : {}),
    });
  }

  /**
   * The same camera at `scale` times the resolution (for supersampling): focal lengths
   * scale, and the principal point keeps its place in the image.
   */
  scaled(scale: number): PinholeCamera {
    return new PinholeCamera({
      width: Math.round(this.width * scale),
      height: Math.round(this.height * scale),
      fx: this.fx * scale,
      fy: this.fy * scale,
      cx: (this.cx + 0.5) * scale - 0.5,
      cy: (this.cy + 0.5) * scale - 0.5,
      position: this.position,
      rotation: this.rotation,
      near: this.near,
      far: this.far,
    });
  }

  /** Row-major 3×3 intrinsic matrix K (CameraInfo.k). */
  get k(): number[] {
    return [this.fx, 0, this.cx, 0, this.fy, this.cy, 0, 0, 1];
  }

  /** Row-major 3×4 projection matrix P = [K | 0] (CameraInfo.p; a monocular camera). */
  get p(): number[] {
    return [this.fx, 0, this.cx, 0, 0, this.fy, this.cy, 0, 0, 0, 1, 0];
  }

  /** Orientation of the optical frame in the world, x y z w. */
  get opticalQuaternion(): [number, number, number, number] {
    return rotationToQuaternion(this.rotation);
  }

  /** Projects a world point to pixel coordinates and depth; depth <= 0 means behind. */
  project(x: number, y: number, z: number): { u: number; v: number; depth: number } {
    const r = this.rotation;
    const dx = x - this.position[0]!;
    const dy = y - this.position[1]!;
    const dz = z - this.position[2]!;
    // optical = Rᵀ (p - c)
    const ox = r[0]! * dx + r[3]! * dy + r[6]! * dz;
    const oy = r[1]! * dx + r[4]! * dy + r[7]! * dz;
    const oz = r[2]! * dx + r[5]! * dy + r[8]! * dz;
    return { u: (this.fx * ox) / oz + this.cx, v: (this.fy * oy) / oz + this.cy, depth: oz };
  }

  /** The world point seen at pixel (u, v) at `depth` m along the optical axis. */
  unproject(u: number, v: number, depth: number, out: Float64Array | number[] = [0, 0, 0]): typeof out {
    const ox = ((u - this.cx) / this.fx) * depth;
    const oy = ((v - this.cy) / this.fy) * depth;
    const r = this.rotation;
    out[0] = this.position[0]! + r[0]! * ox + r[1]! * oy + r[2]! * depth;
    out[1] = this.position[1]! + r[3]! * ox + r[4]! * oy + r[5]! * depth;
    out[2] = this.position[2]! + r[6]! * ox + r[7]! * oy + r[8]! * depth;
    return out;
  }
}

/** Optical frame rotation looking from `eye` at `target`; image up is world +z (or +x looking straight down). */
export function lookAtRotation(eye: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const f = normalize([target[0]! - eye[0]!, target[1]! - eye[1]!, target[2]! - eye[2]!]);
  let up = [0, 0, 1];
  if (Math.hypot(f[0]!, f[1]!) < 1e-9) up = [1, 0, 0];
  const right = normalize(cross(f, up)); // image x
  const down = cross(f, right); // image y
  return Float64Array.from([
    right[0]!,
    down[0]!,
    f[0]!,
    right[1]!,
    down[1]!,
    f[1]!,
    right[2]!,
    down[2]!,
    f[2]!,
  ]);
}

/** camera_link quaternion (x forward, y left, z up) → optical frame rotation matrix. */
export function linkQuaternionToOptical(q: ArrayLike<number>): Float64Array {
  const n = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
  const x = q[0]! / n;
  const y = q[1]! / n;
  const z = q[2]! / n;
  const w = q[3]! / n;
  // Columns of the link rotation: link x (forward), y (left), z (up) in world.
  const lx = [1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)];
  const ly = [2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)];
  const lz = [2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)];
  // optical x = -link y, optical y = -link z, optical z = link x
  return Float64Array.from([-ly[0]!, -lz[0]!, lx[0]!, -ly[1]!, -lz[1]!, lx[1]!, -ly[2]!, -lz[2]!, lx[2]!]);
}

/** Row-major rotation matrix → unit quaternion x y z w (Shepperd's method). */
export function rotationToQuaternion(m: ArrayLike<number>): [number, number, number, number] {
  const m00 = m[0]!;
  const m01 = m[1]!;
  const m02 = m[2]!;
  const m10 = m[3]!;
  const m11 = m[4]!;
  const m12 = m[5]!;
  const m20 = m[6]!;
  const m21 = m[7]!;
  const m22 = m[8]!;
  const trace = m00 + m11 + m22;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    return [(m21 - m12) * s, (m02 - m20) * s, (m10 - m01) * s, 0.25 / s];
  }
  if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    return [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  }
  if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    return [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  }
  const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
  return [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
}

function normalize(v: number[]): number[] {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}

function cross(a: number[], b: number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}
