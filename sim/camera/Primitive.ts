/** Shape tags of a primitive (plain numbers: the ray loops switch on them once per primitive). */
export const SHAPE_BOX = 0;
export const SHAPE_SPHERE = 1;
export const SHAPE_CYLINDER = 2;
/** A rectangle in its local z = 0 plane; half extents may be Infinity (an unbounded plane). */
export const SHAPE_RECT = 3;

export type ShapeTag = typeof SHAPE_BOX | typeof SHAPE_SPHERE | typeof SHAPE_CYLINDER | typeof SHAPE_RECT;

/**
 * One analytic shape the camera can see, centred on its local origin:
 * - box: half extents (a, b, c) along local x, y, z;
 * - sphere: radius a;
 * - cylinder: radius a, half length c, along local z (as URDF cylinders);
 * - rect: half extents (a, b) in the local z = 0 plane, seen from both sides.
 *
 * `pose` is local → world, row-major [R | t] (12 numbers); whoever owns the primitive
 * writes it before each frame. `color` is linear RGB in [0, 1]; `instance` is the
 * segmentation id (0 is "nothing").
 */
export class Primitive {
  readonly shape: ShapeTag;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly color: Float64Array;
  readonly instance: number;
  readonly pose = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  /**
   * Per-frame ray coefficients in the local frame: origin (0..2), then the ray
   * direction for pixel (u, v) is d0 + u·du + v·dv: d0 (3..5), du (6..8), dv (9..11).
   */
  readonly ray = new Float64Array(12);

  constructor(shape: ShapeTag, a: number, b: number, c: number, color: ArrayLike<number>, instance: number) {
    this.shape = shape;
    this.a = a;
    this.b = b;
    this.c = c;
    this.color = Float64Array.from(color);
    this.instance = instance;
  }

  static box(size: ArrayLike<number>, color: ArrayLike<number>, instance: number): Primitive {
    return new Primitive(SHAPE_BOX, size[0]! / 2, size[1]! / 2, size[2]! / 2, color, instance);
  }

  static sphere(radius: number, color: ArrayLike<number>, instance: number): Primitive {
    return new Primitive(SHAPE_SPHERE, radius, radius, radius, color, instance);
  }

  static cylinder(radius: number, length: number, color: ArrayLike<number>, instance: number): Primitive {
    return new Primitive(SHAPE_CYLINDER, radius, radius, length / 2, color, instance);
  }

  /** A rectangle of `sizeX` × `sizeY` (Infinity for a plane) in the local z = 0 plane. */
  static rect(sizeX: number, sizeY: number, color: ArrayLike<number>, instance: number): Primitive {
    return new Primitive(SHAPE_RECT, sizeX / 2, sizeY / 2, 0, color, instance);
  }

  /** Sets the pose from a position and a unit quaternion (x y z w), plus an offset in the local frame. */
  setPose(
    px: number,
    py: number,
    pz: number,
    qx: number,
    qy: number,
    qz: number,
    qw: number,
    offset?: ArrayLike<number>,
  ): void {
    const m = this.pose;
    const r00 = 1 - 2 * (qy * qy + qz * qz);
    const r01 = 2 * (qx * qy - qw * qz);
    const r02 = 2 * (qx * qz + qw * qy);
    const r10 = 2 * (qx * qy + qw * qz);
    const r11 = 1 - 2 * (qx * qx + qz * qz);
    const r12 = 2 * (qy * qz - qw * qx);
    const r20 = 2 * (qx * qz - qw * qy);
    const r21 = 2 * (qy * qz + qw * qx);
    const r22 = 1 - 2 * (qx * qx + qy * qy);
    const ox = offset ? offset[0]! : 0;
    const oy = offset ? offset[1]! : 0;
    const oz = offset ? offset[2]! : 0;
    m[0] = r00;
    m[1] = r01;
    m[2] = r02;
    m[3] = px + r00 * ox + r01 * oy + r02 * oz;
    m[4] = r10;
    m[5] = r11;
    m[6] = r12;
    m[7] = py + r10 * ox + r11 * oy + r12 * oz;
    m[8] = r20;
    m[9] = r21;
    m[10] = r22;
    m[11] = pz + r20 * ox + r21 * oy + r22 * oz;
  }

  /** Sets the pose from a column-major 4×4 matrix (three.js Matrix4.elements). */
  setPoseFromMatrix4(e: ArrayLike<number>): void {
    const m = this.pose;
    m[0] = e[0]!;
    m[1] = e[4]!;
    m[2] = e[8]!;
    m[3] = e[12]!;
    m[4] = e[1]!;
    m[5] = e[5]!;
    m[6] = e[9]!;
    m[7] = e[13]!;
    m[8] = e[2]!;
    m[9] = e[6]!;
    m[10] = e[10]!;
    m[11] = e[14]!;
  }
}
