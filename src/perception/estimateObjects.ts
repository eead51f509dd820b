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
const DARK_VALUE = 0.12;
/** Class of achromatic pixels before a component decides white or gray. */
const ACHROMATIC = 1000;
/** Chromaticity distance beyond which a pixel matches no colour. */
const MAX_CHROMA_DISTANCE = 0.07;

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
  const X = new Float32Array(n);
  const Y = new Float32Array(n);
  const Z = new Float32Array(n);
  const valid = new Uint8Array(n);
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
  const cls = new Int16Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
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
    let best = -1;
    let bestD = MAX_CHROMA_DISTANCE;
    for (let k = 0; k < palette.length; k++) {
      const c = palette[k]!;
      if (c.achromatic) continue;
      const dd = Math.hypot(cr - c.cr, cg - c.cg);
      if (dd < bestD) {
        bestD = dd;
        best = k;
      }
    }
    // The table is chromatic too (wood): a pixel nearer its chromaticity is table.
    const tableD = Math.hypot(cr - TABLE_CHROMA[0], cg - TABLE_CHROMA[1]);
    if (best >= 0 && tableD > bestD) cls[i] = best;
  }

  // 4. Connected components of one colour without depth steps.
  const label = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const objects: PerceivedObject[] = [];
  const members: number[] = [];
  for (let seed = 0; seed < n; seed++) {
    if (cls[seed]! < 0 || label[seed]! >= 0) continue;
    const k = cls[seed]!;
    members.length = 0;
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
        if (j < 0 || j >= n || label[j]! >= 0 || cls[j] !== k) continue;
        if (Math.abs(depth[j]! - di) > DEPTH_STEP) continue;
        label[j] = seed;
        stack[top++] = j;
      }
    }
    if (members.length < minPixels) continue;
    let color: ColorName;
    if (k === ACHROMATIC) {
      // Lit faces show the albedo best: the 90th percentile of brightness.
      const values = members
        .map((i) => Math.max(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!))
        .sort((a, b) => a - b);
      const bright = TO_LINEAR[values[Math.floor(0.9 * (values.length - 1))]!]!;
      const pick = bright > WHITE_VALUE ? white : gray;
      color = palette[pick >= 0 ? pick : Math.max(white, gray)]!.name;
    } else color = palette[k]!.name;
    const o = measure(members, X, Y, Z, tableZ, color);
    if (o) objects.push(o);
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
  };
}

/** Minimum-area rectangle of the points' (x, y): centre, side lengths and yaw in (-π/4, π/4]. */
function rectangle(
  members: number[],
  X: Float32Array,
  Y: Float32Array,
): { cx: number; cy: number; sx: number; sy: number; yaw: number } {
  let best = { area: Infinity, cx: 0, cy: 0, sx: 0, sy: 0, yaw: 0 };
  const evaluate = (yaw: number) => {
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    let minA = Infinity;
    let maxA = -Infinity;
    let minB = Infinity;
    let maxB = -Infinity;
    for (const i of members) {
      const a = c * X[i]! + s * Y[i]!;
      const b = -s * X[i]! + c * Y[i]!;
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
      if (o.pixels > twin.pixels) Object.assign(twin, o, { pixels: o.pixels + twin.pixels });
      else twin.pixels += o.pixels;
    } else out.push(o);
  }
  return out;
}
