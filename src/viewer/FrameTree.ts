import { Matrix4, Quaternion, Vector3 } from 'three';
import { Track } from './Track.ts';

/** geometry_msgs/TransformStamped, as rosbridge delivers it (only the fields used here). */
export interface TransformStampedJson {
  header: { frame_id: string };
  child_frame_id: string;
  transform: {
    translation: { x: number; y: number; z: number };
    rotation: { x: number; y: number; z: number; w: number };
  };
}

interface Frame {
  parent: string;
  track: Track;
}

const MAX_DEPTH = 64;
const _pose = new Float64Array(7);
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3(1, 1, 1);
const _m = new Matrix4();

/** tf2 frame names may carry a leading slash (ROS 1 style); both spellings name one frame. */
export function frameName(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/**
 * The TF tree as the viewer sees it: every transform from /tf and /tf_static, kept as a short
 * interpolated history per child frame (see Track), composed up to the root on request. A
 * frame whose chain does not reach a root (a loop, or deeper than 64) has no pose.
 */
export class FrameTree {
  readonly #frames = new Map<string, Frame>();

  /** Child frame names, in the order they first arrived. */
  get names(): string[] {
    return [...this.#frames.keys()];
  }

  has(frame: string): boolean {
    return this.#frames.has(frame);
  }

  clear(): void {
    this.#frames.clear();
  }

  /**
   * Adds transforms received at `timeMs` (the viewer's clock). Static transforms hold for
   * all time: pass `isStatic`.
   */
  add(transforms: readonly TransformStampedJson[], timeMs: number, isStatic = false): void {
    for (const t of transforms) {
      const child = frameName(t.child_frame_id);
      const parent = frameName(t.header.frame_id);
      if (!child || child === parent) continue;
      let frame = this.#frames.get(child);
      if (!frame || frame.parent !== parent) {
        frame = { parent, track: new Track(7, { quaternionAt: 3, capacity: isStatic ? 1 : 8 }) };
        this.#frames.set(child, frame);
      }
      const { translation: p, rotation: q } = t.transform;
      _pose[0] = p.x;
      _pose[1] = p.y;
      _pose[2] = p.z;
      _pose[3] = q.x;
      _pose[4] = q.y;
      _pose[5] = q.z;
      _pose[6] = q.w;
      if (isStatic) frame.track.clear();
      frame.track.push(isStatic ? Number.NEGATIVE_INFINITY : timeMs, _pose);
    }
  }

  /**
   * The pose of `frame` in the root of its tree at `timeMs`, written into `out`; undefined if
   * the frame is unknown or its chain is broken. The root itself ('world') is the identity.
   */
  worldMatrix(frame: string, timeMs: number, out: Matrix4): Matrix4 | undefined {
    out.identity();
    let name = frameName(frame);
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const f = this.#frames.get(name);
      if (!f) return depth === 0 && !this.#isParent(name) ? undefined : out;
      if (!f.track.sample(timeMs, _pose)) return undefined;
      _p.set(_pose[0]!, _pose[1]!, _pose[2]!);
      _q.set(_pose[3]!, _pose[4]!, _pose[5]!, _pose[6]!);
      out.premultiply(_m.compose(_p, _q, _s));
      name = f.parent;
    }
    return undefined;
  }

  #isParent(name: string): boolean {
    for (const f of this.#frames.values()) if (f.parent === name) return true;
    return false;
  }
}
