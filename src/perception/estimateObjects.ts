import type { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { COLORS, type ColorName } from '../../sim/scene/colors.ts';

/** An object found in an RGB-D frame, world frame (z-up), metres. */
export interface PerceivedObject {
  color: ColorName;
  kind: 'block' | 'bowl' | 'zone';
  /** Blocks: the cube's centre; bowls and zones: the centre of the footprint on the table. */
  position: [number, number, number];
  /** Rotation about world z, rad, in (-π/4, π/4] (square footprints look alike every 90°). */
  yaw: number;
  /** Bounding box, m. */
  size: [number, number, number];
  /** Pixels the object covers. */
  pixels: number;
  /**
   * Sides of the rectangle the centre was taken from (a block's top face, a bowl's or a
   * zone's footprint), m. Smaller than `size` when part of the object was hidden.
   */
  footprint: [number, number];
  /**
   * Something in front of the object borders it in the image (the robot, or another
   * object nearer the camera): part of it may be hidden, and its pose may be off.
   */
  occluded: boolean;
}

export interface EstimateOptions {
  /** Region of the table searched, world frame, m. @default x [0.1, 0.95], y [-0.55, 0.55] */
  region?: { x: [number, number]; y: [number, number] };
  /** Points higher than this above the table are ignored (the arm), m. @default 0.2 */
  maxHeight?: number;
  /** Components smaller than this are noise. @default 12 pixels */
  minPixels?: number;
  /** Colours that objects may have. @default every named colour */
  colors?: readonly ColorName[];
  /** Pixels to ignore (1): the robot's own, from RobotMask. Same size as the image. */
  mask?: Uint8Array;
}

/** A flat region is a zone while its points stay this close to the table, m. */
const ZONE_HEIGHT = 0.005;
/** A footprint wider than this is a bowl (blocks are ≤ 4.2 cm, bowls ≥ 13 cm), m. */
const BOWL_MIN_SIDE = 0.08;
/** Neighbouring pixels farther apart in depth than this are not one surface, m. */
const DEPTH_STEP = 0.012;
/**
 * Achromatic components whose lit faces are brighter than this (linear) are white, else
 * gray; pixels darker than DARK_VALUE are dropped (the gripper's black).
 */
const WHITE_VALUE = 0.62;
/** Upward-facing pixels needed to judge white or gray by them alone. */
const UP_FACE_PIXELS = 8;
const DARK_VALUE = 0.12;
/** Class of achromatic pixels before a component decides white or gray. */
const ACHROMATIC = 1000;
/** Chromaticity distance beyond which a pixel matches no colour. */
const MAX_CHROMA_DISTANCE = 0.07;

/** Per-pixel buffers, kept between frames of one size (a camera stream allocates them once). */
interface Scratch {
  n: number;
  X: Float32Array;
  Y: Float32Array;
  Z: Float32Array;
  valid: Uint8Array;
  cls: Int16Array;
  label: Int32Array;
  stack: Int32Array;
}
let scratch: Scratch | undefined;

function scratchFor(n: number): Scratch {
  if (scratch?.n !== n) {
    scratch = {
      n,
      X: new Float32Array(n),
      Y: new Float32Array(n),
      Z: new Float32Array(n),
      valid: new Uint8Array(n),
      cls: new Int16Array(n),
      label: new Int32Array(n),
      stack: new Int32Array(n),
    };
  }
  return scratch;
}

const TO_LINEAR = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  TO_LINEAR[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/**
 * Finds blocks, bowls and zones in one RGB-D frame, with no ground truth: colour
 * clustering in image space, back-projection through depth, the table plane removed.
 *
 * 1. Every pixel with a depth is back-projected to the world through the camera's
 *    intrinsics and pose.
 * 2. The table is the plane where most points lie: the mode of the points' heights
 *    (1 mm bins). This assumes a level table, as every scene here has.
 * 3. Each pixel is given a colour by its chromaticity (r, g, b)/(r + g + b), which
 *    shading does not change; gray and white, which have none, are told apart by
 *    brightness. Table-coloured and dark pixels, and points above `maxHeight`, are dropped.
 * 4. Connected pixels of one colour, with no depth step between them, form a component.
 *    Flat components are zones, wide ones bowls, the rest blocks.
 * 5. Pose and size from the points: a minimum-area rectangle of the footprint (of the
 *    top face, for a block) gives the centre and yaw; the height above the table gives
 *    a block's size.
 */
export function estimateObjects(
  rgb: Uint8Array,
  depth: Float32Array,
  camera: PinholeCamera,
  options: EstimateOptions = {},
): PerceivedObject[] {
  const w = camera.width;
  const h = camera.height;
  const n = w * h;
  const region = options.region ?? { x: [0.1, 0.95], y: [-0.55, 0.55] };
  const maxHeight = options.maxHeight ?? 0.2;
  const minPixels = options.minPixels ?? 12;
  const palette = (options.colors ?? (Object.keys(COLORS) as ColorName[])).map((name) => {
    const [r, g, b] = COLORS[name];
    const s = r + g + b;
    return { name, cr: r / s, cg: g / s, achromatic: Math.max(r, g, b) - Math.min(r, g, b) < 0.05 };
  });
  const white = palette.findIndex((p) => p.name === 'white');
  const gray = palette.findIndex((p) => p.name === 'gray');

  // 1. Back-projection.
  const { X, Y, Z, valid, cls, label, stack } = scratchFor(n);
  valid.fill(0);
  const p = [0, 0, 0];
  for (let v = 0, i = 0; v < h; v++) {
    for (let u = 0; u < w; u++, i++) {
      const d = depth[i]!;
      if (!(d > 0) || !Number.isFinite(d)) continue;
      camera.unproject(u, v, d, p);
      if (p[0]! < region.x[0] || p[0]! > region.x[1] || p[1]! < region.y[0] || p[1]! > region.y[1]) continue;
      X[i] = p[0]!;
      Y[i] = p[1]!;
      Z[i] = p[2]!;
      valid[i] = 1;
    }
  }

  // 2. The table plane: the most common height.
  const tableZ = tablePlane(Z, valid);

  // 3. Colour classes (-1: not an object pixel).
  cls.fill(-1);
  const mask = options.mask;
  for (let i = 0; i < n; i++) {
    if (!valid[i] || mask?.[i]) continue;
    const height = Z[i]! - tableZ;
    if (height > maxHeight || height < -0.01) continue;
    const r = TO_LINEAR[rgb[3 * i]!]!;
    const g = TO_LINEAR[rgb[3 * i + 1]!]!;
    const b = TO_LINEAR[rgb[3 * i + 2]!]!;
    const max = Math.max(r, g, b);
    if (max < 0.02) continue;
    const chroma = (max - Math.min(r, g, b)) / max;
    if (chroma < 0.12) {
      // Achromatic: white or gray, decided per component (shading changes brightness);
      // dark pixels are the arm's black parts.
      if (max >= DARK_VALUE && (white >= 0 || gray >= 0)) cls[i] = ACHROMATIC;
      continue;
    }
    const s = r + g + b;
    const cr = r / s;
    const cg = g / s;
    // Squared chromaticity distances (Math.hypot is slow in this per-pixel loop).
    // The table is chromatic too (wood): a pixel nearer its chromaticity is table.
    const tr = cr - TABLE_CHROMA[0];
    const tg = cg - TABLE_CHROMA[1];
    let best = -1;
    let bestD = Math.min(MAX_CHROMA_DISTANCE * MAX_CHROMA_DISTANCE, tr * tr + tg * tg);
    for (let k = 0; k < palette.length; k++) {
      const c = palette[k]!;
      if (c.achromatic) continue;
      const dr = cr - c.cr;
      const dg = cg - c.cg;
      const dd = dr * dr + dg * dg;
      if (dd < bestD) {
        bestD = dd;
        best = k;
      }
    }
    if (best >= 0) cls[i] = best;
  }

  // 4. Connected components of one colour without depth steps.
  label.fill(-1);
  const objects: PerceivedObject[] = [];
  const members: number[] = [];
  for (let seed = 0; seed < n; seed++) {
    if (cls[seed]! < 0 || label[seed]! >= 0) continue;
    const k = cls[seed]!;
    members.length = 0;
    let occluded = false;
    let top = 0;
    stack[top++] = seed;
    label[seed] = seed;
    while (top > 0) {
      const i = stack[--top]!;
      members.push(i);
      const u = i % w;
      const di = depth[i]!;
      for (let q = 0; q < 4; q++) {
        const j =
          q === 0 ? (u > 0 ? i - 1 : -1) : q === 1 ? (u < w - 1 ? i + 1 : -1) : q === 2 ? i - w : i + w;
        if (j < 0 || j >= n || label[j] === seed) continue;
        const dj = depth[j]!;
        if (label[j]! >= 0 || cls[j] !== k || Math.abs(dj - di) > DEPTH_STEP) {
          // A neighbour that is not this object: does it hide part of it? The robot does
          // wherever it is not clearly behind; another object where it is nearer.
          if (mask?.[j] ? !(dj > di + DEPTH_STEP) : cls[j] !== k && dj < di - DEPTH_STEP) occluded = true;
          continue;
        }
        label[j] = seed;
        stack[top++] = j;
      }
    }
    if (members.length < minPixels) continue;
    let color: ColorName;
    if (k === ACHROMATIC) {
      // Shading changes brightness, so compare like with like: the upward faces (a block's
      // top, a bowl's rim, a zone) share one normal, so one shading. Their median
      // brightness tells white from gray; when they are hidden (a block in the gripper), the
      // 90th percentile of all the pixels, the best-lit side, has to do.
      const brightness = (list: number[], q: number) => {
        const values = list
          .map((i) => Math.max(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!))
          .sort((a, b) => a - b);
        return TO_LINEAR[values[Math.floor(q * (values.length - 1))]!]!;
      };
      const heights = members.map((i) => Z[i]!).sort((a, b) => a - b);
      const topZ = heights[Math.floor(0.95 * (heights.length - 1))]!;
      const up = members.filter((i) => Z[i]! > topZ - 0.004);
      const bright = up.length >= UP_FACE_PIXELS ? brightness(up, 0.5) : brightness(members, 0.9);
      const pick = bright > WHITE_VALUE ? white : gray;
      color = palette[pick >= 0 ? pick : Math.max(white, gray)]!.name;
    } else color = palette[k]!.name;
    const o = measure(members, X, Y, Z, tableZ, color);
    if (o) {
      o.occluded = occluded;
      objects.push(o);
    }
  }
  return stackBlocks(mergeBowls(objects));
}

/** Blocks' edge lengths are at most this; anything taller is not a block (the arm), m. */
const MAX_BLOCK = 0.08;

/**
 * A block seen on top of another stands on that block's top, not on the table: its
 * edge is the difference of the tops. Then what is too tall for a block (a piece of
 * the arm low over the table) is dropped.
 */
function stackBlocks(objects: PerceivedObject[]): PerceivedObject[] {
  const blocks = objects.filter((o) => o.kind === 'block');
  const top = (b: PerceivedObject) => b.position[2] + b.size[2] / 2;
  const base = new Map(blocks.map((b) => [b, b.position[2] - b.size[2] / 2]));
  const byTop = [...blocks].sort((a, b) => top(a) - top(b));
  const tops = new Map(byTop.map((b) => [b, top(b)]));
  for (const b of byTop) {
    const t = tops.get(b)!;
    let support = base.get(b)!;
    for (const c of byTop) {
      const tc = tops.get(c)!;
      if (c === b || tc > t - 0.015 || tc <= support) continue;
      if (Math.hypot(c.position[0] - b.position[0], c.position[1] - b.position[1]) < 0.03) support = tc;
    }
    const edge = t - support;
    b.size = [edge, edge, edge];
    b.position[2] = t - edge / 2;
  }
  return objects.filter((o) => o.kind !== 'block' || (o.size[2] <= MAX_BLOCK && o.size[2] >= 0.01));
}

/** Chromaticity (r, g) of the table's wood colour (sim/camera/SceneRenderer.ts). */
const TABLE_CHROMA = [0.62 / 1.54, 0.52 / 1.54] as const;

function tablePlane(Z: Float32Array, valid: Uint8Array): number {
  const bins = new Int32Array(400); // -0.2 .. 0.2 m, 1 mm
  for (let i = 0; i < Z.length; i++) {
    if (!valid[i]) continue;
    const b = Math.floor((Z[i]! + 0.2) * 1000);
    if (b >= 0 && b < bins.length) bins[b]!++;
  }
  let best = 0;
  for (let b = 1; b < bins.length; b++) if (bins[b]! > bins[best]!) best = b;
  // Refine: the mean of the points within ±1.5 mm of the mode.
  const lo = best / 1000 - 0.2 - 0.001;
  const hi = lo + 0.003;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < Z.length; i++) {
    if (valid[i] && Z[i]! >= lo && Z[i]! <= hi) {
      sum += Z[i]!;
      count++;
    }
  }
  return count ? sum / count : 0;
}

function measure(
  members: number[],
  X: Float32Array,
  Y: Float32Array,
  Z: Float32Array,
  tableZ: number,
  color: ColorName,
): PerceivedObject | undefined {
  const heights = members.map((i) => Z[i]! - tableZ).sort((a, b) => a - b);
  const top = heights[Math.floor(0.95 * (heights.length - 1))]!;
  const all = rectangle(members, X, Y);
  if (top < ZONE_HEIGHT) {
    const side = (all.sx + all.sy) / 2;
    return {
      color,
      kind: 'zone',
      position: [all.cx, all.cy, tableZ],
      yaw: all.yaw,
      size: [side, side, 0.001],
      pixels: members.length,
      footprint: [all.sx, all.sy],
      occluded: false,
    };
  }
  if (Math.max(all.sx, all.sy) > BOWL_MIN_SIDE) {
    const side = Math.max(all.sx, all.sy);
    return {
      color,
      kind: 'bowl',
      position: [all.cx, all.cy, tableZ],
      yaw: all.yaw,
      size: [side, side, top],
      pixels: members.length,
      footprint: [all.sx, all.sy],
      occluded: false,
    };
  }
  // A block: its top face gives the centre and yaw; its height the edge length.
  const face = members.filter((i) => Z[i]! - tableZ > top - 0.004);
  const r = rectangle(face.length >= 4 ? face : members, X, Y);
  return {
    color,
    kind: 'block',
    position: [r.cx, r.cy, tableZ + top / 2],
    yaw: r.yaw,
    size: [top, top, top],
    pixels: members.length,
    footprint: [r.sx, r.sy],
    occluded: false,
  };
}

/**
 * Minimum-area rectangle of the points' (x, y): centre, side lengths and yaw in (-π/4, π/4].
 * The rectangle of a point set is its convex hull's, so the angle search runs over the hull
 * (tens of points instead of thousands for a bowl).
 */
function rectangle(
  members: number[],
  X: Float32Array,
  Y: Float32Array,
): { cx: number; cy: number; sx: number; sy: number; yaw: number } {
  const hull = convexHull(members, X, Y);
  const hx = hull.x;
  const hy = hull.y;
  let best = { area: Infinity, cx: 0, cy: 0, sx: 0, sy: 0, yaw: 0 };
  const evaluate = (yaw: number) => {
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    let minA = Infinity;
    let maxA = -Infinity;
    let minB = Infinity;
    let maxB = -Infinity;
    for (let k = 0; k < hx.length; k++) {
      const a = c * hx[k]! + s * hy[k]!;
      const b = -s * hx[k]! + c * hy[k]!;
      if (a < minA) minA = a;
      if (a > maxA) maxA = a;
      if (b < minB) minB = b;
      if (b > maxB) maxB = b;
    }
    const area = (maxA - minA) * (maxB - minB);
    if (area < best.area) {
      const ma = (minA + maxA) / 2;
      const mb = (minB + maxB) / 2;
      best = { area, cx: c * ma - s * mb, cy: s * ma + c * mb, sx: maxA - minA, sy: maxB - minB, yaw };
    }
  };
  const step = Math.PI / 90; // 2°
  for (let yaw = -Math.PI / 4 + step; yaw <= Math.PI / 4 + 1e-9; yaw += step) evaluate(yaw);
  const coarse = best.yaw;
  for (let d = -step; d <= step; d += step / 10) evaluate(coarse + d);
  let yaw = best.yaw;
  if (yaw > Math.PI / 4) yaw -= Math.PI / 2;
  if (yaw <= -Math.PI / 4) yaw += Math.PI / 2;
  return { cx: best.cx, cy: best.cy, sx: best.sx, sy: best.sy, yaw };
}

/** Convex hull of the members' (x, y) (Andrew's monotone chain); collinear points dropped. */
function convexHull(members: number[], X: Float32Array, Y: Float32Array): { x: number[]; y: number[] } {
  const order = [...members].sort((a, b) => X[a]! - X[b]! || Y[a]! - Y[b]!);
  if (order.length < 3) return { x: order.map((i) => X[i]!), y: order.map((i) => Y[i]!) };
  const chain: number[] = [];
  const cross = (o: number, a: number, b: number) =>
    (X[a]! - X[o]!) * (Y[b]! - Y[o]!) - (Y[a]! - Y[o]!) * (X[b]! - X[o]!);
  for (const i of order) {
    while (chain.length >= 2 && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, i) <= 0)
      chain.pop();
    chain.push(i);
  }
  const lower = chain.length + 1;
  for (let k = order.length - 2; k >= 0; k--) {
    const i = order[k]!;
    while (chain.length >= lower && cross(chain[chain.length - 2]!, chain[chain.length - 1]!, i) <= 0)
      chain.pop();
    chain.push(i);
  }
  chain.pop();
  return { x: chain.map((i) => X[i]!), y: chain.map((i) => Y[i]!) };
}

/** Bowl walls hidden behind a block can split a bowl: same-colour bowl pieces close together are one bowl. */
function mergeBowls(objects: PerceivedObject[]): PerceivedObject[] {
  const out: PerceivedObject[] = [];
  for (const o of objects) {
    const twin = out.find(
      (b) =>
        b.kind === 'bowl' &&
        o.kind === 'bowl' &&
        b.color === o.color &&
        Math.hypot(b.position[0] - o.position[0], b.position[1] - o.position[1]) < 0.1,
    );
    if (twin) {
      const occluded = o.occluded || twin.occluded;
      if (o.pixels > twin.pixels) Object.assign(twin, o, { pixels: o.pixels + twin.pixels });
      else twin.pixels += o.pixels;
      twin.occluded = occluded;
    } else out.push(o);
  }
  return out;
}
