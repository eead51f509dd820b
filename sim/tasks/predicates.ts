import type * as CANNON from 'cannon-es';
import type { SimRobot } from '../robot/SimRobot.ts';
import type { Scene } from '../scene/Scene.ts';
import { objectPosition, objectYaw, type SceneObject } from '../scene/SceneObject.ts';

/** Speed under which an object counts as at rest, m/s. */
export const STATIC_SPEED = 0.05;

/** Object centre in another object's frame (yaw only: fixtures lie flat). */
function localXY(obj: SceneObject, frame: SceneObject): [number, number, number] {
  const p = objectPosition(obj);
  const f = objectPosition(frame);
  const yaw = objectYaw(frame);
  const dx = p[0] - f[0];
  const dy = p[1] - f[1];
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return [c * dx + s * dy, -s * dx + c * dy, p[2] - f[2]];
}

/** The object's centre lies inside the bowl's inner walls, below the rim. */
export function isInBowl(obj: SceneObject, bowl: SceneObject): boolean {
  const [x, y, z] = localXY(obj, bowl);
  const inner = bowl.innerSize ?? bowl.size[0];
  return Math.abs(x) < inner / 2 && Math.abs(y) < inner / 2 && z < bowl.size[2] + obj.size[2] / 2 && z > 0;
}

/** `top` rests on `base`: centre over its footprint, one half-height pair above it (±1 cm). */
export function isOn(top: SceneObject, base: SceneObject): boolean {
  const a = objectPosition(top);
  const b = objectPosition(base);
  const dz = a[2] - b[2];
  const expected = (top.size[2] + base.size[2]) / 2;
  return Math.hypot(a[0] - b[0], a[1] - b[1]) < base.size[0] / 2 && Math.abs(dz - expected) < 0.01;
}

/** The object's centre lies over the zone's square. */
export function isInZone(obj: SceneObject, zone: SceneObject): boolean {
  const [x, y] = localXY(obj, zone);
  return Math.abs(x) < zone.size[0] / 2 && Math.abs(y) < zone.size[1] / 2;
}

export function isStatic(obj: SceneObject): boolean {
  const b = obj.body;
  if (!b || b.mass === 0) return true;
  return b.velocity.length() < STATIC_SPEED && b.angularVelocity.length() < 1;
}

/** The gripper holds none of these bodies. */
export function isReleased(robot: SimRobot, objects: SceneObject[]): boolean {
  const held = robot.gripper.heldBody;
  if (!held) return true;
  return !objects.some((o) => o.body === held || o.segments?.includes(held as CANNON.Body));
}

/** The gripper holds this object (both pads on it). */
export function isGrasped(robot: SimRobot, obj: SceneObject): boolean {
  const held = robot.gripper.heldBody;
  return held !== null && (held === obj.body || (obj.segments?.includes(held) ?? false));
}

/**
 * Index of the first cable segment (counted from the fixed end) whose centre lies in
 * the clip's slot: between the posts, within their length (plus half a segment
 * spacing, so a straight cable always has one), and below their tops. -1 if none.
 */
export function cableSegmentInClip(cable: SceneObject, clip: SceneObject, spacing: number): number {
  const segments = cable.segments ?? [];
  const slot = clip.slotWidth ?? 0;
  const halfLen = clip.size[0] / 2 + spacing / 2;
  const f = objectPosition(clip);
  const yaw = objectYaw(clip);
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  for (let i = 0; i < segments.length; i++) {
    const p = segments[i]!.position;
    const dx = p.x - f[0];
    const dy = p.y - f[1];
    const lx = c * dx + s * dy;
    const ly = -s * dx + c * dy;
    if (Math.abs(lx) <= halfLen && Math.abs(ly) < slot / 2 && p.z < clip.size[2]) return i;
  }
  return -1;
}

export function objectsOf(scene: Scene, ids: string[]): SceneObject[] {
  return ids.map((id) => scene.get(id));
}
