import type { CameraFrame } from './CameraFrame.ts';
import type { PinholeCamera } from './PinholeCamera.ts';
import { type Primitive, SHAPE_BOX, SHAPE_CYLINDER, SHAPE_RECT, SHAPE_SPHERE } from './Primitive.ts';

export interface RenderOptions {
  /** Cast a shadow ray per lit pixel (about 2-4× the cost; for snapshots). @default false */
  shadows?: boolean;
}

/** Direction toward the light, world frame (unit): high, from the camera's side and the left. */
const LIGHT = normalized([0.45, 0.3, 1]);
/** Ambient share of the light; the directional light gives the rest (Lambert). */
const AMBIENT = 0.35;
/** Shadow-ray origin offset along the normal, m (keeps a surface from shadowing itself). */
const SHADOW_BIAS = 1e-4;

/** Colour where no surface is hit (sky), sRGB bytes. */
const BACKGROUND = [196, 204, 214];

/** Linear [0, 1] → sRGB byte, 4096 steps. */
const SRGB = new Uint8Array(4097);
for (let i = 0; i <= 4096; i++) {
  const c = i / 4096;
  const s = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  SRGB[i] = Math.round(255 * Math.min(1, Math.max(0, s)));
}

/**
 * CPU ray casting of analytic primitives (boxes, spheres, cylinders, rectangles).
 *
 * Object order, like a z-buffer rasteriser: each primitive's local bounding box is
 * projected to a pixel rectangle, and only the rays of that rectangle are tested
 * against it, in the primitive's own frame, where the tests are the textbook slab,
 * quadratic and plane tests. A ray's local direction is affine in (u, v), so it is
 * stepped by additions. Rays are (x, y, 1) in the optical frame, not unit vectors, so
 * a hit's ray parameter is its depth along the optical axis. Then one pass shades
 * each pixel's nearest hit: Lambert with one directional light plus ambient.
 *
 * Hot path: a render allocates nothing once its buffers have grown to the image size.
 */
export class RayScene {
  readonly primitives: Primitive[] = [];
  #zbuf = new Float64Array(0);
  #hit = new Int32Array(0);

  add(p: Primitive): Primitive {
    this.primitives.push(p);
    return p;
  }

  /** Renders colour, depth and segmentation into `frame` (its size must match the camera's). */
  render(camera: PinholeCamera, frame: CameraFrame, options: RenderOptions = {}): void {
    const w = camera.width;
    const h = camera.height;
    if (frame.width !== w || frame.height !== h)
      throw new Error(`camera is ${w}×${h} but the frame is ${frame.width}×${frame.height}`);
    const n = w * h;
    if (this.#zbuf.length !== n) {
      this.#zbuf = new Float64Array(n);
      this.#hit = new Int32Array(n);
    }
    const zbuf = this.#zbuf;
    const hit = this.#hit;
    zbuf.fill(camera.far);
    hit.fill(-1);
    const prims = this.primitives;
    for (let i = 0; i < prims.length; i++) {
      const p = prims[i]!;
      prepareRays(p, camera);
      const rect = screenRect(p, camera);
      if (rect === undefined) continue;
      const [x0, x1, y0, y1] = rect;
      switch (p.shape) {
        case SHAPE_BOX:
          castBox(p, i, x0, x1, y0, y1, w, camera.near, zbuf, hit);
          break;
        case SHAPE_SPHERE:
          castSphere(p, i, x0, x1, y0, y1, w, camera.near, zbuf, hit);
          break;
        case SHAPE_CYLINDER:
          castCylinder(p, i, x0, x1, y0, y1, w, camera.near, zbuf, hit);
          break;
        case SHAPE_RECT:
          castRect(p, i, x0, x1, y0, y1, w, camera.near, zbuf, hit);
          break;
      }
    }
    this.#shade(camera, frame, options.shadows ?? false);
  }

  #shade(camera: PinholeCamera, frame: CameraFrame, shadows: boolean): void {
    const w = camera.width;
    const zbuf = this.#zbuf;
    const hit = this.#hit;
    const { rgb, depth, instance } = frame;
    const prims = this.primitives;
    const lx = LIGHT[0]!;
    const ly = LIGHT[1]!;
    const lz = LIGHT[2]!;
    const h = camera.height;
    for (let v = 0, i = 0; v < h; v++) {
      for (let u = 0; u < w; u++, i++) {
        const k = hit[i]!;
        if (k < 0) {
          depth[i] = Number.NaN;
          instance[i] = 0;
          rgb[3 * i] = BACKGROUND[0]!;
          rgb[3 * i + 1] = BACKGROUND[1]!;
          rgb[3 * i + 2] = BACKGROUND[2]!;
          continue;
        }
        const t = zbuf[i]!;
        const p = prims[k]!;
        depth[i] = t;
        instance[i] = p.instance;
        const r = p.ray;
        const dx = r[3]! + u * r[6]! + v * r[9]!;
        const dy = r[4]! + u * r[7]! + v * r[10]!;
        const dz = r[5]! + u * r[8]! + v * r[11]!;
        const hx = r[0]! + t * dx;
        const hy = r[1]! + t * dy;
        const hz = r[2]! + t * dz;
        // Local normal at the hit.
        let nx = 0;
        let ny = 0;
        let nz = 0;
        switch (p.shape) {
          case SHAPE_BOX: {
            const ax = Math.abs(hx) / p.a;
            const ay = Math.abs(hy) / p.b;
            const az = Math.abs(hz) / p.c;
            if (ax >= ay && ax >= az) nx = Math.sign(hx);
            else if (ay >= az) ny = Math.sign(hy);
            else nz = Math.sign(hz);
            break;
          }
          case SHAPE_SPHERE:
            nx = hx / p.a;
            ny = hy / p.a;
            nz = hz / p.a;
            break;
          case SHAPE_CYLINDER:
            if (Math.abs(hz) >= p.c * (1 - 1e-9)) nz = Math.sign(hz);
            else {
              nx = hx / p.a;
              ny = hy / p.a;
            }
            break;
          default:
            nz = 1;
        }
        // Two-sided: face the camera.
        if (nx * dx + ny * dy + nz * dz > 0) {
          nx = -nx;
          ny = -ny;
          nz = -nz;
        }
        const m = p.pose;
        const wx = m[0]! * nx + m[1]! * ny + m[2]! * nz;
        const wy = m[4]! * nx + m[5]! * ny + m[6]! * nz;
        const wz = m[8]! * nx + m[9]! * ny + m[10]! * nz;
        let lambert = wx * lx + wy * ly + wz * lz;
        if (lambert < 0) lambert = 0;
        else if (shadows) {
          const px = m[0]! * hx + m[1]! * hy + m[2]! * hz + m[3]! + SHADOW_BIAS * wx;
          const py = m[4]! * hx + m[5]! * hy + m[6]! * hz + m[7]! + SHADOW_BIAS * wy;
          const pz = m[8]! * hx + m[9]! * hy + m[10]! * hz + m[11]! + SHADOW_BIAS * wz;
          if (occluded(prims, k, px, py, pz, lx, ly, lz)) lambert = 0;
        }
        const shade = AMBIENT + (1 - AMBIENT) * lambert;
        const c = p.color;
        rgb[3 * i] = SRGB[Math.min(4096, (c[0]! * shade * 4096) | 0)]!;
        rgb[3 * i + 1] = SRGB[Math.min(4096, (c[1]! * shade * 4096) | 0)]!;
        rgb[3 * i + 2] = SRGB[Math.min(4096, (c[2]! * shade * 4096) | 0)]!;
      }
    }
  }
}

/** Local ray origin and the affine map from pixel (u, v) to the local ray direction. */
function prepareRays(p: Primitive, cam: PinholeCamera): void {
  const m = p.pose;
  const c = cam.rotation;
  const r = p.ray;
  const tx = cam.position[0]! - m[3]!;
  const ty = cam.position[1]! - m[7]!;
  const tz = cam.position[2]! - m[11]!;
  // origin = Rᵀ (camera - t)
  r[0] = m[0]! * tx + m[4]! * ty + m[8]! * tz;
  r[1] = m[1]! * tx + m[5]! * ty + m[9]! * tz;
  r[2] = m[2]! * tx + m[6]! * ty + m[10]! * tz;
  // Column j of Rᵀ·C: the optical axis j in the local frame.
  for (let j = 0; j < 3; j++) {
    const cx = c[j]!;
    const cy = c[3 + j]!;
    const cz = c[6 + j]!;
    r[3 + 3 * j] = m[0]! * cx + m[4]! * cy + m[8]! * cz;
    r[4 + 3 * j] = m[1]! * cx + m[5]! * cy + m[9]! * cz;
    r[5 + 3 * j] = m[2]! * cx + m[6]! * cy + m[10]! * cz;
  }
  // Now r[3..5] = local image-x axis, r[6..8] = image-y axis, r[9..11] = optical axis.
  const ax = r[3]! / cam.fx;
  const ay = r[4]! / cam.fx;
  const az = r[5]! / cam.fx;
  const bx = r[6]! / cam.fy;
  const by = r[7]! / cam.fy;
  const bz = r[8]! / cam.fy;
  r[3] = r[9]! - cam.cx * ax - cam.cy * bx;
  r[4] = r[10]! - cam.cx * ay - cam.cy * by;
  r[5] = r[11]! - cam.cx * az - cam.cy * bz;
  r[6] = ax;
  r[7] = ay;
  r[8] = az;
  r[9] = bx;
  r[10] = by;
  r[11] = bz;
}

const _rect: [number, number, number, number] = [0, 0, 0, 0];

/**
 * The pixel rectangle [x0, x1] × [y0, y1] that the primitive's local bounding box
 * projects to (conservative), the whole image when the box reaches behind the near
 * plane or is unbounded, or undefined when it is wholly behind the camera or outside
 * the image. The returned array is reused.
 */
function screenRect(p: Primitive, cam: PinholeCamera): [number, number, number, number] | undefined {
  const w = cam.width;
  const h = cam.height;
  if (!Number.isFinite(p.a) || !Number.isFinite(p.b)) return full(w, h);
  const m = p.pose;
  const c = cam.rotation;
  let umin = Infinity;
  let umax = -Infinity;
  let vmin = Infinity;
  let vmax = -Infinity;
  let behind = 0;
  for (let k = 0; k < 8; k++) {
    const lx = k & 1 ? p.a : -p.a;
    const ly = k & 2 ? p.b : -p.b;
    const lz = k & 4 ? p.c : -p.c;
    const wx = m[0]! * lx + m[1]! * ly + m[2]! * lz + m[3]! - cam.position[0]!;
    const wy = m[4]! * lx + m[5]! * ly + m[6]! * lz + m[7]! - cam.position[1]!;
    const wz = m[8]! * lx + m[9]! * ly + m[10]! * lz + m[11]! - cam.position[2]!;
    const ox = c[0]! * wx + c[3]! * wy + c[6]! * wz;
    const oy = c[1]! * wx + c[4]! * wy + c[7]! * wz;
    const oz = c[2]! * wx + c[5]! * wy + c[8]! * wz;
    if (oz < cam.near) {
      behind++;
      continue;
    }
    const u = (cam.fx * ox) / oz + cam.cx;
    const v = (cam.fy * oy) / oz + cam.cy;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
    if (v < vmin) vmin = v;
    if (v > vmax) vmax = v;
  }
  if (behind === 8) return undefined;
  if (behind > 0) return full(w, h);
  const x0 = Math.max(0, Math.floor(umin));
  const x1 = Math.min(w - 1, Math.ceil(umax));
  const y0 = Math.max(0, Math.floor(vmin));
  const y1 = Math.min(h - 1, Math.ceil(vmax));
  if (x0 > x1 || y0 > y1) return undefined;
  _rect[0] = x0;
  _rect[1] = x1;
  _rect[2] = y0;
  _rect[3] = y1;
  return _rect;
}

function full(w: number, h: number): [number, number, number, number] {
  _rect[0] = 0;
  _rect[1] = w - 1;
  _rect[2] = 0;
  _rect[3] = h - 1;
  return _rect;
}

function castBox(
  p: Primitive,
  index: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  w: number,
  near: number,
  zbuf: Float64Array,
  hit: Int32Array,
): void {
  const r = p.ray;
  const ox = r[0]!;
  const oy = r[1]!;
  const oz = r[2]!;
  const ha = p.a;
  const hb = p.b;
  const hc = p.c;
  for (let v = y0; v <= y1; v++) {
    let dx = r[3]! + v * r[9]! + x0 * r[6]!;
    let dy = r[4]! + v * r[10]! + x0 * r[7]!;
    let dz = r[5]! + v * r[11]! + x0 * r[8]!;
    let i = v * w + x0;
    for (let u = x0; u <= x1; u++, i++, dx += r[6]!, dy += r[7]!, dz += r[8]!) {
      let tn = -Infinity;
      let tf = zbuf[i]!;
      if (dx !== 0) {
        const inv = 1 / dx;
        let t1 = (-ha - ox) * inv;
        let t2 = (ha - ox) * inv;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else if (ox < -ha || ox > ha) continue;
      if (dy !== 0) {
        const inv = 1 / dy;
        let t1 = (-hb - oy) * inv;
        let t2 = (hb - oy) * inv;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else if (oy < -hb || oy > hb) continue;
      if (dz !== 0) {
        const inv = 1 / dz;
        let t1 = (-hc - oz) * inv;
        let t2 = (hc - oz) * inv;
        if (t1 > t2) {
          const s = t1;
          t1 = t2;
          t2 = s;
        }
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else if (oz < -hc || oz > hc) continue;
      if (tn <= tf && tn >= near && tn < zbuf[i]!) {
        zbuf[i] = tn;
        hit[i] = index;
      }
    }
  }
}

function castSphere(
  p: Primitive,
  index: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  w: number,
  near: number,
  zbuf: Float64Array,
  hit: Int32Array,
): void {
  const r = p.ray;
  const ox = r[0]!;
  const oy = r[1]!;
  const oz = r[2]!;
  const cc = ox * ox + oy * oy + oz * oz - p.a * p.a;
  for (let v = y0; v <= y1; v++) {
    let dx = r[3]! + v * r[9]! + x0 * r[6]!;
    let dy = r[4]! + v * r[10]! + x0 * r[7]!;
    let dz = r[5]! + v * r[11]! + x0 * r[8]!;
    let i = v * w + x0;
    for (let u = x0; u <= x1; u++, i++, dx += r[6]!, dy += r[7]!, dz += r[8]!) {
      const a = dx * dx + dy * dy + dz * dz;
      const b = ox * dx + oy * dy + oz * dz;
      const disc = b * b - a * cc;
      if (disc < 0) continue;
      const t = (-b - Math.sqrt(disc)) / a;
      if (t >= near && t < zbuf[i]!) {
        zbuf[i] = t;
        hit[i] = index;
      }
    }
  }
}

function castCylinder(
  p: Primitive,
  index: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  w: number,
  near: number,
  zbuf: Float64Array,
  hit: Int32Array,
): void {
  const r = p.ray;
  const ox = r[0]!;
  const oy = r[1]!;
  const oz = r[2]!;
  const rad2 = p.a * p.a;
  const hl = p.c;
  const cc = ox * ox + oy * oy - rad2;
  // The cap the camera can see (none from between the cap planes).
  const cap = oz > hl ? hl : oz < -hl ? -hl : 0;
  for (let v = y0; v <= y1; v++) {
    let dx = r[3]! + v * r[9]! + x0 * r[6]!;
    let dy = r[4]! + v * r[10]! + x0 * r[7]!;
    let dz = r[5]! + v * r[11]! + x0 * r[8]!;
    let i = v * w + x0;
    for (let u = x0; u <= x1; u++, i++, dx += r[6]!, dy += r[7]!, dz += r[8]!) {
      let best = zbuf[i]!;
      const a = dx * dx + dy * dy;
      if (a > 0) {
        const b = ox * dx + oy * dy;
        const disc = b * b - a * cc;
        if (disc >= 0) {
          const t = (-b - Math.sqrt(disc)) / a;
          const z = oz + t * dz;
          if (t >= near && t < best && z >= -hl && z <= hl) best = t;
        }
      }
      if (cap !== 0 && dz !== 0) {
        const t = (cap - oz) / dz;
        if (t >= near && t < best) {
          const x = ox + t * dx;
          const y = oy + t * dy;
          if (x * x + y * y <= rad2) best = t;
        }
      }
      if (best < zbuf[i]!) {
        zbuf[i] = best;
        hit[i] = index;
      }
    }
  }
}

function castRect(
  p: Primitive,
  index: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  w: number,
  near: number,
  zbuf: Float64Array,
  hit: Int32Array,
): void {
  const r = p.ray;
  const ox = r[0]!;
  const oy = r[1]!;
  const oz = r[2]!;
  const ha = p.a;
  const hb = p.b;
  for (let v = y0; v <= y1; v++) {
    let dx = r[3]! + v * r[9]! + x0 * r[6]!;
    let dy = r[4]! + v * r[10]! + x0 * r[7]!;
    let dz = r[5]! + v * r[11]! + x0 * r[8]!;
    let i = v * w + x0;
    for (let u = x0; u <= x1; u++, i++, dx += r[6]!, dy += r[7]!, dz += r[8]!) {
      if (dz === 0) continue;
      const t = -oz / dz;
      if (t < near || t >= zbuf[i]!) continue;
      const x = ox + t * dx;
      const y = oy + t * dy;
      if (x >= -ha && x <= ha && y >= -hb && y <= hb) {
        zbuf[i] = t;
        hit[i] = index;
      }
    }
  }
}

/** True if a ray from world point (px, py, pz) along unit (lx, ly, lz) hits any primitive but `self`. */
function occluded(
  prims: readonly Primitive[],
  self: number,
  px: number,
  py: number,
  pz: number,
  lx: number,
  ly: number,
  lz: number,
): boolean {
  for (let k = 0; k < prims.length; k++) {
    if (k === self) continue;
    const p = prims[k]!;
    const m = p.pose;
    const wx = px - m[3]!;
    const wy = py - m[7]!;
    const wz = pz - m[11]!;
    // Bounding-sphere rejection (bounded shapes only).
    if (Number.isFinite(p.a) && Number.isFinite(p.b)) {
      const rad2 = p.a * p.a + p.b * p.b + p.c * p.c;
      const along = wx * lx + wy * ly + wz * lz;
      const c2 = wx * wx + wy * wy + wz * wz;
      if (c2 > rad2 && (along > 0 || c2 - along * along > rad2)) continue;
    }
    const ox = m[0]! * wx + m[4]! * wy + m[8]! * wz;
    const oy = m[1]! * wx + m[5]! * wy + m[9]! * wz;
    const oz = m[2]! * wx + m[6]! * wy + m[10]! * wz;
    const dx = m[0]! * lx + m[4]! * ly + m[8]! * lz;
    const dy = m[1]! * lx + m[5]! * ly + m[9]! * lz;
    const dz = m[2]! * lx + m[6]! * ly + m[10]! * lz;
    if (anyHit(p, ox, oy, oz, dx, dy, dz)) return true;
  }
  return false;
}

/** Whether the local ray o + t·d, t > 0, hits primitive `p`. */
function anyHit(
  p: Primitive,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
): boolean {
  switch (p.shape) {
    case SHAPE_BOX: {
      // Slabs: the ray is inside the box for t in [tn, tf].
      let tn = 0;
      let tf = Infinity;
      for (let axis = 0; axis < 3; axis++) {
        const o = axis === 0 ? ox : axis === 1 ? oy : oz;
        const d = axis === 0 ? dx : axis === 1 ? dy : dz;
        const half = axis === 0 ? p.a : axis === 1 ? p.b : p.c;
        if (d === 0) {
          if (o < -half || o > half) return false;
          continue;
        }
        const t1 = (-half - o) / d;
        const t2 = (half - o) / d;
        tn = Math.max(tn, Math.min(t1, t2));
        tf = Math.min(tf, Math.max(t1, t2));
        if (tn > tf) return false;
      }
      return true;
    }
    case SHAPE_SPHERE: {
      const b = ox * dx + oy * dy + oz * dz;
      const c = ox * ox + oy * oy + oz * oz - p.a * p.a;
      if (c < 0) return true;
      return b < 0 && b * b - c >= 0;
    }
    case SHAPE_CYLINDER: {
      const a = dx * dx + dy * dy;
      const cc = ox * ox + oy * oy - p.a * p.a;
      if (a > 0) {
        const b = ox * dx + oy * dy;
        const disc = b * b - a * cc;
        if (disc >= 0) {
          const s = Math.sqrt(disc);
          const t1 = (-b - s) / a;
          const t2 = (-b + s) / a;
          const z1 = oz + t1 * dz;
          const z2 = oz + t2 * dz;
          if (t1 > 0 && z1 >= -p.c && z1 <= p.c) return true;
          if (t2 > 0 && z2 >= -p.c && z2 <= p.c) return true;
        }
      }
      if (dz !== 0) {
        for (let side = -1; side <= 1; side += 2) {
          const t = (side * p.c - oz) / dz;
          if (t <= 0) continue;
          const x = ox + t * dx;
          const y = oy + t * dy;
          if (x * x + y * y <= p.a * p.a) return true;
        }
      }
      return false;
    }
    default: {
      if (dz === 0) return false;
      const t = -oz / dz;
      if (t <= 0) return false;
      const x = ox + t * dx;
      const y = oy + t * dy;
      return x >= -p.a && x <= p.a && y >= -p.b && y <= p.b;
    }
  }
}

function normalized(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
