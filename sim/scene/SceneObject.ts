import type * as CANNON from 'cannon-es';
import type { ColorName } from './colors.ts';

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export type ObjectKind = 'block' | 'bowl' | 'zone' | 'cable' | 'clip';

/** A primitive piece of an object's shape, in the object's frame (for viewers and cameras). */
export type ShapePart =
  | { type: 'box'; size: Vec3; offset: Vec3 }
  | { type: 'sphere'; radius: number; offset: Vec3 };

/**
 * One object in the scene. Poses are world frame (z-up).
 * Blocks are dynamic; bowls and clips are static fixtures; zones have no body
 * (a flat region on the table); a cable is a chain of dynamic segments.
 */
export interface SceneObject {
  /** Stable id, e.g. 'red_block', 'blue_bowl', 'clip_A', 'cable'. */
  id: string;
  kind: ObjectKind;
  color: ColorName;
  /** Class name as perception would say it, e.g. 'red block'. */
  className: string;
  /** Bounding box size, metres (x, y, z in the object frame). */
  size: Vec3;
  /** Shape parts, in the object frame. */
  parts: ShapePart[];
  /** The physics body (absent for zones; the cable's is its anchor segment). */
  body: CANNON.Body | undefined;
  /** For a cable: its segments from the fixed end. */
  segments?: CANNON.Body[];
  /** For a clip: its label ('A', 'B', ...). */
  label?: string;
  /** For a bowl: inner side length, m. */
  innerSize?: number;
  /** For a clip: the gap between its posts, m. */
  slotWidth?: number;
  /** For zones: fixed pose (they have no body). */
  pose?: { position: Vec3; yaw: number };
}

export function bodyPosition(body: CANNON.Body): Vec3 {
  return [body.position.x, body.position.y, body.position.z];
}

export function bodyQuaternion(body: CANNON.Body): Quat {
  return [body.quaternion.x, body.quaternion.y, body.quaternion.z, body.quaternion.w];
}

/** Position of an object's reference point, world frame. */
export function objectPosition(obj: SceneObject): Vec3 {
  if (obj.body) return bodyPosition(obj.body);
  if (obj.pose) return [...obj.pose.position];
  throw new Error(`object ${obj.id} has neither body nor pose`);
}

/** Yaw (rotation about world z) of an object, radians. */
export function objectYaw(obj: SceneObject): number {
  if (obj.body) {
    const q = obj.body.quaternion;
    return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
  }
  return obj.pose?.yaw ?? 0;
}
