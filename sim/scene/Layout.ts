import type { Rng } from '../core/Rng.ts';
import type { SceneSpec } from './SceneSpec.ts';

export type Split = 'seen' | 'unseen';

/** The scene spec leaves no room for an object (the episode can be drawn again). */
export class LayoutError extends Error {
  override name = 'LayoutError';
}

/** A footprint reserved on the table: centre and radius, m. */
export interface Footprint {
  x: number;
  y: number;
  radius: number;
}

export interface LayoutOptions {
  /**
   * Footprints already on the table, shared with other layouts of the same scene (one per arm
   * on a shared table): what one places, the others avoid. @default a new, empty list
   */
  placed?: Footprint[];
  /**
   * The frame the workspace is given in (an arm's base on a shared table): sampled positions
   * are mapped from it to the world. x, y in m, yaw in rad about z. @default the world frame
   */
  frame?: { x: number; y: number; yaw: number };
  /** The region to sample, in `frame`, m. @default the scene spec's workspace */
  workspace?: { x: readonly [number, number]; y: readonly [number, number] };
}

/**
 * Samples non-overlapping object positions in the scene's workspace.
 *
 * Position hold-out: the workspace is a checkerboard of `holdoutCellSize` cells;
 * the seen split draws centres from even cells, the unseen split from odd ones,
 * so no unseen episode puts an object where a seen one could.
 */
export class Layout {
  readonly #spec: SceneSpec;
  readonly #split: Split;
  readonly #rng: Rng;
  readonly placed: Footprint[];
  readonly #frame: { x: number; y: number; cos: number; sin: number } | undefined;
  readonly #workspace: { x: readonly [number, number]; y: readonly [number, number] };

  constructor(spec: SceneSpec, split: Split, rng: Rng, options: LayoutOptions = {}) {
    this.#spec = spec;
    this.#split = split;
    this.#rng = rng;
    this.placed = options.placed ?? [];
    const f = options.frame;
    this.#frame = f && { x: f.x, y: f.y, cos: Math.cos(f.yaw), sin: Math.sin(f.yaw) };
    this.#workspace = options.workspace ?? spec.workspace;
  }

  /** Reserves a footprint that is already fixed (not sampled). */
  reserve(f: Footprint): void {
    this.placed.push(f);
  }

  /**
   * A free position for a footprint of `radius` m, inside the workspace shrunk by
   * `margin`. Throws after a bounded number of attempts (the spec is too crowded).
   */
  sample(radius: number, margin = 0): { x: number; y: number } {
    const { x: xr, y: yr } = this.#workspace;
    const cell = this.#spec.holdoutCellSize;
    const parity = this.#split === 'seen' ? 0 : 1;
    // Crowded scenes relax the clearance in stages rather than fail.
    for (let attempt = 0; attempt < 3000; attempt++) {
      const clearance = this.#spec.clearance * (attempt < 1000 ? 1 : attempt < 2000 ? 0.5 : 0.1);
      const lx = this.#rng.uniform(xr[0] + margin, xr[1] - margin);
      const ly = this.#rng.uniform(yr[0] + margin, yr[1] - margin);
      const cx = Math.floor((lx - xr[0]) / cell);
      const cy = Math.floor((ly - yr[0]) / cell);
      if (((cx + cy) & 1) !== parity) continue;
      // Without a frame the sample is used as drawn (the single-robot table, bit for bit).
      const f = this.#frame;
      const x = f ? f.x + f.cos * lx - f.sin * ly : lx;
      const y = f ? f.y + f.sin * lx + f.cos * ly : ly;
      const free = this.placed.every((p) => Math.hypot(p.x - x, p.y - y) >= p.radius + radius + clearance);
      if (!free) continue;
      this.placed.push({ x, y, radius });
      return { x, y };
    }
    throw new LayoutError(
      `layout: no free position for radius ${radius} m after 3000 attempts (scene too crowded)`,
    );
  }
}
