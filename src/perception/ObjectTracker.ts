import { Matrix4, Quaternion, Vector3 } from 'three';
import type { PerceivedObject } from './estimateObjects.ts';

/** The gripper at the time of a frame, from /tf and /joint_states. */
export interface GripperState {
  /** The tcp (tool centre point) in the world: grasp centre, approach axis along its z. */
  tcp: Matrix4;
  /** Opening between the fingers, m. */
  width: number;
  /**
   * The direction the fingers close along, world frame (unit), when known: the pads centre a
   * grasped block on the tcp along it.
   */
  closingAxis?: readonly [number, number, number];
}

/** What the depth image shows where a track should be (see ObjectTracker.update). */
export type Visibility = 'seen-through' | 'hidden' | 'unknown';

export interface TrackerOptions {
  /** A detection this close to a track (same colour and kind) is that track, m. @default 0.08 */
  radiusMeters?: number;
  /**
   * A new object is published once seen in this many frames in a row (a glimpse of
   * something half hidden is not an object). @default 3
   */
  confirmFrames?: number;
  /**
   * A detection starts a new track (or takes over a lost one) only with at least this many
   * pixels. At 320×240 a whole
   * block at the far edge of the workspace covers about 150; a bowl's inner wall seen across
   * its floor, 10 to 25. Scale it with the image area. @default 60
   */
  minNewPixels?: number;
  /**
   * A block is held when the gripper has closed to within this of the block's width
   * (wider: still closing or opening; narrower by more than `slipMeters`: closed on
   * nothing), m. A gripper holding a block stalls at its width, so this can be tight; it
   * keeps the push skill's 3 cm opening (pads beside a 4 cm block) from counting. @default 0.005
   */
  graspMarginMeters?: number;
  /** @default 0.005 */
  slipMeters?: number;
  /** A block is grasped only with its centre this close to the tcp, m. @default 0.025 */
  graspRadiusMeters?: number;
  /**
   * A partly hidden block still updates its track while both sides of its visible top
   * face are at least its edge minus this, m. @default 0.006
   */
  faceToleranceMeters?: number;
}

/** One object as the tracker reports it. */
export interface Track {
  /** Stable id: `<color>_<kind>`, then `_2`, `_3` for more of one class. */
  id: string;
  className: string;
  object: PerceivedObject;
  /** The block moves with the gripper (grasped): its pose comes from the tcp, not from the image. */
  held: boolean;
  /** Frames since the track's pose last came from the image. */
  framesSinceUpdate: number;
}

interface Candidate {
  className: string;
  object: PerceivedObject;
  hits: number;
}

interface Held {
  /** Block pose in the tcp frame at the grasp. */
  offset: Matrix4;
  /** Block yaw minus tcp yaw at the grasp. */
  relativeYaw: number;
}

interface TrackState extends Track {
  grasp: Held | undefined;
}

const _inv = new Matrix4();
const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3();

/**
 * Object permanence for a camera that a robot arm keeps getting in front of. Per frame it
 * takes the objects found in the image, the gripper's state and a way to ask what the
 * depth image shows at a point, and keeps one track per object:
 *
 * - **Association.** Greedy nearest neighbour per class (colour and kind) within
 *   `radiusMeters`. A track no detection matches keeps its last pose (hidden by the arm).
 * - **Occlusion.** A detection that something in front borders (the robot, another object)
 *   may be cut: it moves its track only if its visible top face still has the block's full
 *   size (blocks) or its footprint is not smaller than the track's (bowls, zones).
 * - **Grasps.** When the gripper closes on a block (its width within `graspMarginMeters` of
 *   the block's, the block's centre within `graspRadiusMeters` of the tcp) the block is held:
 *   its pose follows the tcp with the offset it had at the grasp, whatever the image shows,
 *   until the gripper opens (or closes on nothing: the block slipped).
 * - **Re-identification.** A detection no track takes goes to a same-class track whose last
 *   pose is now seen through (the depth image shows what is behind it), so a block that was
 *   knocked or dropped far away keeps its id.
 * - **Confirmation.** A new object is published after `confirmFrames` frames in a row, and
 *   only if it covers `minNewPixels` (pieces of a bowl's wall are not blocks).
 *
 * Pure: no I/O, no clock. A real robot's perception can run it as it is.
 */
export class ObjectTracker {
  readonly #o: Required<TrackerOptions>;
  readonly #tracks: TrackState[] = [];
  #candidates: Candidate[] = [];

  constructor(options: TrackerOptions = {}) {
    this.#o = {
      radiusMeters: options.radiusMeters ?? 0.08,
      confirmFrames: options.confirmFrames ?? 3,
      minNewPixels: options.minNewPixels ?? 60,
      graspMarginMeters: options.graspMarginMeters ?? 0.005,
      slipMeters: options.slipMeters ?? 0.005,
      graspRadiusMeters: options.graspRadiusMeters ?? 0.025,
      faceToleranceMeters: options.faceToleranceMeters ?? 0.006,
    };
  }

  /** Confirmed tracks, in the order they were confirmed. */
  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  reset(): void {
    this.#tracks.length = 0;
    this.#candidates = [];
  }

  /**
   * Folds in one frame. `visibility(p)` says whether the depth image sees through the world
   * point p (the surface seen there is clearly behind it), sees something in front of it
   * or the robot there (hidden), or cannot tell.
   */
  update(
    found: readonly PerceivedObject[],
    gripper: GripperState | undefined,
    visibility: (p: readonly [number, number, number]) => Visibility,
  ): void {
    for (const t of this.#tracks) t.framesSinceUpdate++;
    if (gripper) this.#followGripper(gripper);

    // Associate detections with tracks, nearest pairs first: same class, then what is left
    // with white and gray taken as one (seen from the side, in shade, white looks gray).
    const radius = this.#o.radiusMeters;
    const taken = new Set<TrackState>();
    const used = new Set<PerceivedObject>();
    for (const same of [
      (a: PerceivedObject, b: PerceivedObject) => a.color === b.color && a.kind === b.kind,
      (a: PerceivedObject, b: PerceivedObject) =>
        a.kind === b.kind && ACHROMATIC.has(a.color) && ACHROMATIC.has(b.color),
    ]) {
      const pairs: Array<{ d: number; track: TrackState; obj: PerceivedObject }> = [];
      for (const obj of found) {
        if (used.has(obj)) continue;
        for (const track of this.#tracks) {
          if (taken.has(track) || !same(obj, track.object)) continue;
          const d = distance(obj.position, track.object.position);
          if (d < radius) pairs.push({ d, track, obj });
        }
      }
      pairs.sort((a, b) => a.d - b.d);
      for (const { track, obj } of pairs) {
        if (taken.has(track) || used.has(obj)) continue;
        taken.add(track);
        used.add(obj);
        this.#measure(track, obj);
      }
    }

    // Detections no track took: a lost track of the class (seen through where it was), or a new object.
    const candidates: Candidate[] = [];
    for (const obj of found) {
      if (used.has(obj) || obj.pixels < this.#o.minNewPixels) continue;
      const className = classOf(obj);
      const lost = this.#tracks
        .filter((t) => t.className === className && !taken.has(t) && !t.grasp)
        .filter((t) => visibility(t.object.position) === 'seen-through')
        .sort(
          (a, b) => distance(a.object.position, obj.position) - distance(b.object.position, obj.position),
        )[0];
      if (lost) {
        taken.add(lost);
        lost.object = obj;
        lost.framesSinceUpdate = 0;
        continue;
      }
      const before = this.#candidates.find(
        (c) => c.className === className && distance(c.object.position, obj.position) < radius,
      );
      const hits = (before?.hits ?? 0) + 1;
      if (hits >= this.#o.confirmFrames) this.#confirm(className, obj);
      else candidates.push({ className, object: obj, hits });
    }
    this.#candidates = candidates;
    if (gripper) this.#detectGrasps(gripper);
  }

  /** A matched detection updates its track unless the track is held or the detection is cut. */
  #measure(track: TrackState, obj: PerceivedObject): void {
    if (track.grasp) return;
    if (obj.occluded && !this.#complete(track, obj)) return;
    // The colour is the track's, decided when it was confirmed.
    track.object = obj.color === track.object.color ? obj : { ...obj, color: track.object.color };
    track.framesSinceUpdate = 0;
  }

  /** Whether a partly hidden detection still shows the whole object. */
  #complete(track: TrackState, obj: PerceivedObject): boolean {
    const [fx, fy] = obj.footprint;
    if (obj.kind === 'block') {
      const edge = track.object.size[0];
      const tol = this.#o.faceToleranceMeters;
      return fx >= edge - tol && fy >= edge - tol && Math.abs(obj.size[0] - edge) < tol;
    }
    const [tx, ty] = track.object.footprint;
    return Math.min(fx, fy) >= Math.min(tx, ty) - 0.01;
  }

  #confirm(className: string, obj: PerceivedObject): void {
    const base = `${obj.color}_${obj.kind}`;
    let id = base;
    for (let k = 2; this.#tracks.some((t) => t.id === id); k++) id = `${base}_${k}`;
    this.#tracks.push({ id, className, object: obj, held: false, framesSinceUpdate: 0, grasp: undefined });
  }

  /**
   * Held blocks follow the tcp; an opened (or emptied) gripper lets go, where the tcp is now
   * (it opens where it set the block down).
   */
  #followGripper(g: GripperState): void {
    for (const t of this.#tracks) {
      if (!t.grasp) continue;
      _m.multiplyMatrices(g.tcp, t.grasp.offset).decompose(_p, _q, _s);
      t.object = {
        ...t.object,
        position: [_p.x, _p.y, _p.z],
        yaw: wrapQuarter(yawOf(g.tcp) + t.grasp.relativeYaw),
      };
      const edge = t.object.size[1];
      if (g.width > edge + this.#o.graspMarginMeters || g.width < edge - this.#o.slipMeters) {
        t.grasp = undefined;
        t.held = false;
      }
    }
  }

  /** A block the gripper has closed on becomes held. */
  #detectGrasps(g: GripperState): void {
    _p.setFromMatrixPosition(g.tcp);
    for (const t of this.#tracks) {
      if (t.grasp || t.object.kind !== 'block') continue;
      const edge = t.object.size[1];
      if (g.width > edge + this.#o.graspMarginMeters || g.width < edge - this.#o.slipMeters) continue;
      const [x, y, z] = t.object.position;
      if (Math.hypot(x - _p.x, y - _p.y, z - _p.z) > this.#o.graspRadiusMeters) continue;
      // The pads centre the block between them: no offset along the closing axis.
      const offset = new Vector3(x - _p.x, y - _p.y, z - _p.z);
      if (g.closingAxis) {
        const [ax, ay, az] = g.closingAxis;
        const along = offset.x * ax + offset.y * ay + offset.z * az;
        offset.set(offset.x - along * ax, offset.y - along * ay, offset.z - along * az);
      }
      _inv.copy(g.tcp).invert();
      const local = offset.add(_p).applyMatrix4(_inv);
      t.grasp = {
        offset: new Matrix4().makeTranslation(local.x, local.y, local.z),
        relativeYaw: t.object.yaw - yawOf(g.tcp),
      };
      t.held = true;
    }
  }
}

/** Colours that shading alone can turn into one another. */
const ACHROMATIC = new Set(['white', 'gray']);

function classOf(o: PerceivedObject): string {
  return `${o.color} ${o.kind}`;
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** Rotation about world z of a frame whose z axis points up or down: the heading of its x axis. */
function yawOf(m: Matrix4): number {
  const e = m.elements;
  return Math.atan2(e[1]!, e[0]!);
}

/** Square footprints look alike every 90°: yaw into (-π/4, π/4]. */
function wrapQuarter(yaw: number): number {
  const q = Math.PI / 2;
  let y = yaw - q * Math.round(yaw / q);
  if (y <= -Math.PI / 4) y += q;
  return y;
}
