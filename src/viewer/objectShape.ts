import { COLORS } from '../../sim/scene/colors.ts';
import type { ShapePart, Vec3 } from '../../sim/scene/SceneObject.ts';

/** Scene dimensions that detections do not carry. The defaults are the tabletop scene's. */
export interface FixtureDims {
  /** Bowl wall thickness, m. @default 0.01 */
  bowlWallThickness: number;
  /** Clip post thickness across the slot, m. @default 0.015 */
  clipPostWidth: number;
}

export const DEFAULT_FIXTURE_DIMS: FixtureDims = { bowlWallThickness: 0.01, clipPostWidth: 0.015 };

export type ShapeKind = 'block' | 'bowl' | 'zone' | 'clip' | 'cable segment' | 'unknown';

/** How to draw one detection: its parts in the object frame, and a linear-RGB colour. */
export interface ObjectShape {
  kind: ShapeKind;
  /** Colour name from the class ("red block" → red), or undefined for an unknown colour. */
  colorName: string | undefined;
  /** Linear RGB, [0, 1]. */
  color: [number, number, number];
  parts: ShapePart[];
  /** Draw see-through (zones, unknown classes). */
  translucent: boolean;
}

const GRAY: [number, number, number] = [...COLORS.gray];

/**
 * The shape of a detected object, from its vision_msgs class ("red block", "blue bowl",
 * "green zone", "clip A", "red cable segment") and its bounding box size, in the frame the sim
 * uses for that kind (sim/scene/objects.ts): a block's origin is its centre; a bowl's, a clip's
 * and a zone's is the centre of its footprint on the table. Anything else (a real perception
 * node's classes) is drawn as its translucent bounding box, centred on its pose.
 */
export function objectShape(
  className: string,
  size: Vec3,
  dims: FixtureDims = DEFAULT_FIXTURE_DIMS,
): ObjectShape {
  const words = className.trim().toLowerCase().split(/\s+/);
  const [sx, sy, sz] = size;
  const colorName = words[0] !== undefined && words[0] in COLORS ? words[0] : undefined;
  const color: [number, number, number] = colorName
    ? [...COLORS[colorName as keyof typeof COLORS]]
    : [...GRAY];
  const kind = words.slice(1).join(' ');
  if (words[0] === 'clip') {
    const post = Math.min(dims.clipPostWidth, sy / 2);
    const base = 0.004;
    const py = (sy - post) / 2;
    return {
      kind: 'clip',
      colorName: 'gray',
      color: GRAY,
      translucent: false,
      parts: [
        { type: 'box', size: [sx, sy, base], offset: [0, 0, base / 2] },
        { type: 'box', size: [sx, post, sz], offset: [0, py, sz / 2] },
        { type: 'box', size: [sx, post, sz], offset: [0, -py, sz / 2] },
      ],
    };
  }
  if (kind === 'block') {
    return {
      kind,
      colorName,
      color,
      translucent: false,
      parts: [{ type: 'box', size: [sx, sy, sz], offset: [0, 0, 0] }],
    };
  }
  if (kind === 'bowl') {
    const t = Math.min(dims.bowlWallThickness, sx / 4);
    const floor = 0.008;
    return {
      kind,
      colorName,
      color,
      translucent: false,
      parts: [
        { type: 'box', size: [sx, sy, floor], offset: [0, 0, floor / 2] },
        { type: 'box', size: [t, sy, sz], offset: [(sx - t) / 2, 0, sz / 2] },
        { type: 'box', size: [t, sy, sz], offset: [-(sx - t) / 2, 0, sz / 2] },
        { type: 'box', size: [sx - 2 * t, t, sz], offset: [0, (sy - t) / 2, sz / 2] },
        { type: 'box', size: [sx - 2 * t, t, sz], offset: [0, -(sy - t) / 2, sz / 2] },
      ],
    };
  }
  if (kind === 'zone') {
    const h = Math.max(sz, 0.001);
    return {
      kind,
      colorName,
      color,
      translucent: true,
      parts: [{ type: 'box', size: [sx, sy, h], offset: [0, 0, h / 2] }],
    };
  }
  if (kind === 'cable segment') {
    return {
      kind,
      colorName,
      color,
      translucent: false,
      parts: [{ type: 'sphere', radius: sx / 2, offset: [0, 0, 0] }],
    };
  }
  return {
    kind: 'unknown',
    colorName,
    color,
    translucent: true,
    parts: [{ type: 'box', size: [sx, sy, sz], offset: [0, 0, 0] }],
  };
}

/** A detection id `cable/3` → cable `cable`, segment 3; anything else → undefined. */
export function cableSegmentOf(id: string, className: string): { cable: string; index: number } | undefined {
  if (!className.endsWith('cable segment')) return undefined;
  const slash = id.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const index = Number(id.slice(slash + 1));
  return Number.isInteger(index) && index >= 0 ? { cable: id.slice(0, slash), index } : undefined;
}
