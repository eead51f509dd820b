import * as CANNON from 'cannon-es';
import { CollisionGroup } from '../core/PhysicsWorld.ts';
import type { ColorName } from './colors.ts';
import type { SceneObject, ShapePart, Vec3 } from './SceneObject.ts';

const OBJECT_MASK =
  CollisionGroup.STATIC | CollisionGroup.ROBOT | CollisionGroup.OBJECT | CollisionGroup.CABLE;

/**
 * Sleep thresholds for blocks. A body sleeps after `sleepTimeLimit` s below
 * `sleepSpeedLimit` (linear and angular speed together); sleeping stops stacks
 * creeping. Measured on a three-block stack over 10 s: limit 0.05 → never sleeps,
 * 7.0 mm drift; 0.1 → 2.3 mm; 0.5 → 0.8 mm, asleep after 2.2 s. A sleeping block
 * wakes when a touching awake body moves faster than √2 × that body's own limit;
 * arm links and pads have limit 0, so they always wake what they touch, but a
 * block pushed into a sleeping block slower than 0.7 m/s does not wake it.
 */
const BLOCK_SLEEP_SPEED = 0.5; // m/s
const BLOCK_SLEEP_TIME = 0.5; // s

function yawQuat(yaw: number): CANNON.Quaternion {
  return new CANNON.Quaternion().setFromAxisAngle(new CANNON.Vec3(0, 0, 1), yaw);
}

export interface BlockOptions {
  id: string;
  color: ColorName;
  /** Edge length, m. */
  size: number;
  /** kg */
  mass: number;
  position: Vec3;
  /** rad about world z */
  yaw: number;
  /** Contact material (pads grip it with their own friction). */
  material?: CANNON.Material;
}

export function createBlock(o: BlockOptions): SceneObject {
  const h = o.size / 2;
  const body = new CANNON.Body({
    mass: o.mass,
    shape: new CANNON.Box(new CANNON.Vec3(h, h, h)),
    position: new CANNON.Vec3(...o.position),
    quaternion: yawQuat(o.yaw),
    collisionFilterGroup: CollisionGroup.OBJECT,
    collisionFilterMask: OBJECT_MASK,
    ...(o.material ? { material: o.material } : {}),
  });
  body.sleepSpeedLimit = BLOCK_SLEEP_SPEED;
  body.sleepTimeLimit = BLOCK_SLEEP_TIME;
  return {
    id: o.id,
    kind: 'block',
    color: o.color,
    className: `${o.color} block`,
    size: [o.size, o.size, o.size],
    parts: [{ type: 'box', size: [o.size, o.size, o.size], offset: [0, 0, 0] }],
    body,
  };
}

export interface BowlOptions {
  id: string;
  color: ColorName;
  /** Inner side length of the square bowl, m. */
  innerSize: number;
  wallHeight: number;
  wallThickness: number;
  /** Centre of the bowl's floor on the table (z = 0). */
  position: Vec3;
  yaw: number;
}

/**
 * A square bowl (tray) built from five boxes: cannon-es cannot collide a trimesh
 * with boxes. It is a static fixture; its body origin is the centre of its
 * footprint on the table.
 */
export function createBowl(o: BowlOptions): SceneObject {
  const t = o.wallThickness;
  const outer = o.innerSize + 2 * t;
  const floor = 0.008; // floor plate thickness, m
  const parts: ShapePart[] = [
    { type: 'box', size: [outer, outer, floor], offset: [0, 0, floor / 2] },
    { type: 'box', size: [t, outer, o.wallHeight], offset: [(outer - t) / 2, 0, o.wallHeight / 2] },
    { type: 'box', size: [t, outer, o.wallHeight], offset: [-(outer - t) / 2, 0, o.wallHeight / 2] },
    { type: 'box', size: [o.innerSize, t, o.wallHeight], offset: [0, (outer - t) / 2, o.wallHeight / 2] },
    { type: 'box', size: [o.innerSize, t, o.wallHeight], offset: [0, -(outer - t) / 2, o.wallHeight / 2] },
  ];
  const body = staticCompound(parts, o.position, o.yaw);
  return {
    id: o.id,
    kind: 'bowl',
    color: o.color,
    className: `${o.color} bowl`,
    size: [outer, outer, o.wallHeight],
    innerSize: o.innerSize,
    parts,
    body,
  };
}

export interface ZoneOptions {
  id: string;
  color: ColorName;
  /** Side length of the square zone, m. */
  size: number;
  position: Vec3;
  yaw: number;
}

/** A flat square target region on the table. It has no body: nothing collides with it. */
export function createZone(o: ZoneOptions): SceneObject {
  return {
    id: o.id,
    kind: 'zone',
    color: o.color,
    className: `${o.color} zone`,
    size: [o.size, o.size, 0.001],
    parts: [{ type: 'box', size: [o.size, o.size, 0.001], offset: [0, 0, 0.0005] }],
    body: undefined,
    pose: { position: [o.position[0], o.position[1], 0], yaw: o.yaw },
  };
}

export interface ClipOptions {
  id: string;
  label: string;
  color: ColorName;
  /** Gap between the posts, m. The cable passes through it. */
  slotWidth: number;
  postHeight: number;
  /** Post thickness across the slot, m. */
  postWidth: number;
  /** Post length along the slot axis, m. */
  postLength: number;
  position: Vec3;
  /** Yaw of the slot axis (the direction the cable runs through the clip), rad. */
  yaw: number;
}

/**
 * A U-shaped clip: two posts on a base plate, with a slot between them. Static.
 * In the clip frame the slot runs along +x and the posts stand at ±y.
 */
export function createClip(o: ClipOptions): SceneObject {
  const base = 0.004; // base plate thickness, m
  const span = o.slotWidth + 2 * o.postWidth;
  const py = (o.slotWidth + o.postWidth) / 2;
  const parts: ShapePart[] = [
    { type: 'box', size: [o.postLength, span, base], offset: [0, 0, base / 2] },
    { type: 'box', size: [o.postLength, o.postWidth, o.postHeight], offset: [0, py, o.postHeight / 2] },
    { type: 'box', size: [o.postLength, o.postWidth, o.postHeight], offset: [0, -py, o.postHeight / 2] },
  ];
  return {
    id: o.id,
    kind: 'clip',
    color: o.color,
    className: 'clip',
    label: o.label,
    slotWidth: o.slotWidth,
    size: [o.postLength, span, o.postHeight],
    parts,
    body: staticCompound(parts, o.position, o.yaw),
  };
}

export interface CableOptions {
  id: string;
  color: ColorName;
  segments: number;
  /** Distance between segment centres, m. */
  spacing: number;
  /** Segment sphere radius, m. Keep 2·radius < spacing so neighbours do not touch. */
  radius: number;
  segmentMass: number;
  /** Centre of the fixed first segment. */
  anchor: Vec3;
  /** Direction the cable is laid out in, rad about z. */
  yaw: number;
  /** Segment material (for pad-cable friction). */
  material?: CANNON.Material;
}

/**
 * A cable: a chain of spheres joined by point-to-point constraints. The first
 * segment is static: it is the fixed end. Segments do not collide with each other.
 * Damping stands in for the cable's internal friction; without it the chain rolls
 * and swings for seconds after every move.
 */
export function createCable(o: CableOptions): { object: SceneObject; constraints: CANNON.Constraint[] } {
  const dir = new CANNON.Vec3(Math.cos(o.yaw), Math.sin(o.yaw), 0);
  const segments: CANNON.Body[] = [];
  const constraints: CANNON.Constraint[] = [];
  for (let i = 0; i < o.segments; i++) {
    const body = new CANNON.Body({
      mass: i === 0 ? 0 : o.segmentMass,
      type: i === 0 ? CANNON.Body.STATIC : CANNON.Body.DYNAMIC,
      shape: new CANNON.Sphere(o.radius),
      position: new CANNON.Vec3(
        o.anchor[0] + dir.x * o.spacing * i,
        o.anchor[1] + dir.y * o.spacing * i,
        o.anchor[2],
      ),
      collisionFilterGroup: CollisionGroup.CABLE,
      collisionFilterMask: CollisionGroup.STATIC | CollisionGroup.ROBOT | CollisionGroup.OBJECT,
      linearDamping: 0.3,
      ...(o.material ? { material: o.material } : {}),
      angularDamping: 0.9,
    });
    body.allowSleep = false; // a sleeping segment would pin its constrained neighbours
    segments.push(body);
    if (i > 0) {
      const half = o.spacing / 2;
      constraints.push(
        new CANNON.PointToPointConstraint(
          segments[i - 1] as CANNON.Body,
          new CANNON.Vec3(dir.x * half, dir.y * half, 0),
          body,
          new CANNON.Vec3(-dir.x * half, -dir.y * half, 0),
        ),
      );
    }
  }
  const length = o.spacing * (o.segments - 1);
  return {
    object: {
      id: o.id,
      kind: 'cable',
      color: o.color,
      className: `${o.color} cable`,
      size: [length, 2 * o.radius, 2 * o.radius],
      parts: [{ type: 'sphere', radius: o.radius, offset: [0, 0, 0] }],
      body: segments[0],
      segments,
    },
    constraints,
  };
}

function staticCompound(parts: ShapePart[], position: Vec3, yaw: number): CANNON.Body {
  const body = new CANNON.Body({
    type: CANNON.Body.STATIC,
    mass: 0,
    position: new CANNON.Vec3(...position),
    quaternion: yawQuat(yaw),
    collisionFilterGroup: CollisionGroup.STATIC,
    collisionFilterMask: CollisionGroup.OBJECT | CollisionGroup.CABLE,
  });
  for (const p of parts) {
    if (p.type === 'box') {
      body.addShape(
        new CANNON.Box(new CANNON.Vec3(p.size[0] / 2, p.size[1] / 2, p.size[2] / 2)),
        new CANNON.Vec3(...p.offset),
      );
    } else {
      body.addShape(new CANNON.Sphere(p.radius), new CANNON.Vec3(...p.offset));
    }
  }
  return body;
}

/** The table top: an infinite plane at z = 0 (cheaper and steadier than a box). */
export function createTable(): CANNON.Body {
  return new CANNON.Body({
    type: CANNON.Body.STATIC,
    mass: 0,
    shape: new CANNON.Plane(),
    collisionFilterGroup: CollisionGroup.STATIC,
    collisionFilterMask: CollisionGroup.OBJECT | CollisionGroup.CABLE,
  });
}
