// ObjectTracker on synthetic detections: ids, occlusion, grasps, re-identification, confirmation.
import { Matrix4 } from 'three';
import { describe, expect, it } from 'vitest';
import type { PerceivedObject } from '../../src/perception/estimateObjects.ts';
import { type GripperState, ObjectTracker, type Visibility } from '../../src/perception/ObjectTracker.ts';

function block(x: number, y: number, extra: Partial<PerceivedObject> = {}): PerceivedObject {
  return {
    color: 'red',
    kind: 'block',
    position: [x, y, 0.02],
    yaw: 0,
    size: [0.04, 0.04, 0.04],
    pixels: 150,
    footprint: [0.04, 0.04],
    occluded: false,
    ...extra,
  };
}

/** The tcp pointing down (x forward, z down) at (x, y, z). */
function gripper(x: number, y: number, z: number, width: number): GripperState {
  const tcp = new Matrix4().makeRotationX(Math.PI).setPosition(x, y, z);
  return { tcp, width, closingAxis: [0, 1, 0] };
}

const unknown = (): Visibility => 'unknown';

/** A tracker that has confirmed a red block at (x, y). */
function trackerWith(x: number, y: number): ObjectTracker {
  const t = new ObjectTracker();
  for (let i = 0; i < 3; i++) t.update([block(x, y)], undefined, unknown);
  return t;
}

describe('ObjectTracker', () => {
  it('publishes an object after three frames in a row, and not a small fragment', () => {
    const t = new ObjectTracker();
    t.update([block(0.5, 0), block(0.3, 0.2, { pixels: 20 })], undefined, unknown);
    t.update([block(0.5, 0), block(0.3, 0.2, { pixels: 20 })], undefined, unknown);
    expect(t.tracks).toHaveLength(0);
    t.update([block(0.5, 0), block(0.3, 0.2, { pixels: 20 })], undefined, unknown);
    expect(t.tracks.map((k) => k.id)).toEqual(['red_block']);
  });

  it('keeps the last pose of a block the arm hides, and of a cut detection of it', () => {
    const t = trackerWith(0.5, 0);
    t.update([], undefined, () => 'hidden');
    expect(t.tracks[0]!.object.position[0]).toBe(0.5);
    // Half the top face hidden behind the gripper: the centre it gives is off by 1 cm.
    t.update([block(0.51, 0, { occluded: true, footprint: [0.02, 0.04] })], undefined, unknown);
    expect(t.tracks[0]!.object.position[0]).toBe(0.5);
    // Bordered by the gripper but the whole top face seen: it counts.
    t.update([block(0.505, 0, { occluded: true })], undefined, unknown);
    expect(t.tracks[0]!.object.position[0]).toBe(0.505);
    expect(t.tracks).toHaveLength(1);
  });

  it('follows a grasped block with the tcp and lets go when the gripper opens', () => {
    const t = trackerWith(0.5, 0);
    // Gripper open over the block: not held.
    t.update([block(0.5, 0)], gripper(0.5, 0.003, 0.025, 0.07), unknown);
    expect(t.tracks[0]!.held).toBe(false);
    // Closed on it (width = the block's): held, centred between the pads (y offset dropped).
    t.update([], gripper(0.5, 0.003, 0.025, 0.04), unknown);
    expect(t.tracks[0]!.held).toBe(true);
    // Carried 20 cm away and 13 cm up, out of sight of the estimator: it moves with the tcp.
    t.update([], gripper(0.3, 0.2, 0.155, 0.04), unknown);
    const [x, y, z] = t.tracks[0]!.object.position;
    expect(x).toBeCloseTo(0.3, 6);
    expect(y).toBeCloseTo(0.2, 6);
    expect(z).toBeCloseTo(0.15, 6);
    // A detection near the held block does not move it (the image is not trusted while held).
    t.update([block(0.32, 0.2, { position: [0.32, 0.2, 0.15] })], gripper(0.3, 0.2, 0.155, 0.04), unknown);
    expect(t.tracks[0]!.object.position[0]).toBeCloseTo(0.3, 6);
    // Opened: released where it was; the next sight of it updates it.
    t.update([], gripper(0.3, 0.2, 0.035, 0.052), unknown);
    expect(t.tracks[0]!.held).toBe(false);
    t.update([block(0.301, 0.2)], gripper(0.3, 0.2, 0.15, 0.052), unknown);
    expect(t.tracks[0]!.object.position[0]).toBe(0.301);
    expect(t.tracks).toHaveLength(1);
  });

  it('does not take a block next to the pads of a nearly closed gripper (pushing) as grasped', () => {
    const t = trackerWith(0.5, 0);
    t.update([block(0.5, 0)], gripper(0.47, 0, 0.022, 0.03), unknown);
    expect(t.tracks[0]!.held).toBe(false);
  });

  it('drops a held block when the gripper closes on nothing (it slipped out)', () => {
    const t = trackerWith(0.5, 0);
    t.update([], gripper(0.5, 0, 0.025, 0.04), unknown);
    expect(t.tracks[0]!.held).toBe(true);
    t.update([], gripper(0.4, 0, 0.15, 0.001), unknown);
    expect(t.tracks[0]!.held).toBe(false);
  });

  it('gives a block found far from its track the old id when the old place is seen empty', () => {
    const t = trackerWith(0.5, 0);
    // Knocked 20 cm away: while its old place is hidden it is a candidate, not the same block...
    t.update([block(0.5, 0.2)], undefined, () => 'hidden');
    expect(t.tracks).toHaveLength(1);
    expect(t.tracks[0]!.object.position[1]).toBe(0);
    // ...and once the old place is seen through, it is the same block.
    t.update([block(0.5, 0.2)], undefined, () => 'seen-through');
    expect(t.tracks.map((k) => [k.id, k.object.position[1]])).toEqual([['red_block', 0.2]]);
  });

  it('keeps a white block white when shade makes it look gray, and makes no gray block of it', () => {
    const t = new ObjectTracker();
    const white = (x: number, extra: Partial<PerceivedObject> = {}) =>
      block(x, 0, { color: 'white', ...extra });
    for (let i = 0; i < 3; i++)
      t.update([white(0.5), block(0.3, 0.2, { color: 'gray' })], undefined, unknown);
    t.update([white(0.5)], gripper(0.5, 0, 0.025, 0.04), unknown);
    // Carried, top face hidden by the gripper: it reads gray for several frames.
    for (let i = 0; i < 5; i++) {
      const p: [number, number, number] = [0.45, 0.05, 0.15 - 0.02 * i];
      t.update(
        [white(0.45, { color: 'gray', position: p }), block(0.3, 0.2, { color: 'gray' })],
        gripper(p[0], p[1], p[2] + 0.005, 0.04),
        unknown,
      );
    }
    // Set down, seen gray once more 1 cm from where it was let go: it moves, and stays white.
    t.update([], gripper(0.45, 0.05, 0.075, 0.06), unknown);
    t.update([white(0.46, { color: 'gray', position: [0.46, 0.05, 0.02] })], undefined, unknown);
    expect(t.tracks.map((k) => `${k.id} ${k.object.color} ${k.object.position[0]}`)).toEqual([
      'white_block white 0.46',
      'gray_block gray 0.3',
    ]);
  });

  it('numbers more objects of one class', () => {
    const t = new ObjectTracker();
    for (let i = 0; i < 3; i++) t.update([block(0.5, 0), block(0.5, 0.2)], undefined, unknown);
    expect(t.tracks.map((k) => k.id).sort()).toEqual(['red_block', 'red_block_2']);
  });
});
