import { describe, expect, it } from 'vitest';
import { COLORS } from '../../sim/scene/colors.ts';
import { createBowl, createClip } from '../../sim/scene/objects.ts';
import { cableSegmentOf, objectShape } from './objectShape.ts';

describe('objectShape', () => {
  it('draws a block as a box of its size in its colour', () => {
    const s = objectShape('red block', [0.04, 0.04, 0.04]);
    expect(s).toMatchObject({ kind: 'block', colorName: 'red', color: [...COLORS.red], translucent: false });
    expect(s.parts).toEqual([{ type: 'box', size: [0.04, 0.04, 0.04], offset: [0, 0, 0] }]);
  });

  it('draws a bowl with the same parts as the sim builds it from the same dimensions', () => {
    const bowl = createBowl({
      id: 'blue_bowl',
      color: 'blue',
      innerSize: 0.12,
      wallHeight: 0.04,
      wallThickness: 0.01,
      position: [0.5, 0, 0],
      yaw: 0,
    });
    const s = objectShape(bowl.className, bowl.size, { bowlWallThickness: 0.01, clipPostWidth: 0.015 });
    expect(s.kind).toBe('bowl');
    expect(s.parts.map((p) => p.type === 'box' && p.size.map((v) => +v.toFixed(9)))).toEqual(
      bowl.parts.map((p) => p.type === 'box' && p.size.map((v) => +v.toFixed(9))),
    );
    expect(s.parts.map((p) => p.offset.map((v) => +v.toFixed(9)))).toEqual(
      bowl.parts.map((p) => p.offset.map((v) => +v.toFixed(9))),
    );
  });

  it('draws a clip ("clip A") with the sim clip\'s posts and base', () => {
    const clip = createClip({
      id: 'clip_A',
      label: 'A',
      color: 'gray',
      slotWidth: 0.03,
      postHeight: 0.04,
      postWidth: 0.015,
      postLength: 0.05,
      position: [0.4, 0.1, 0],
      yaw: 0.3,
    });
    const s = objectShape('clip A', clip.size);
    expect(s.kind).toBe('clip');
    expect(s.parts.map((p) => p.offset.map((v) => +v.toFixed(9)))).toEqual(
      clip.parts.map((p) => p.offset.map((v) => +v.toFixed(9))),
    );
  });

  it('draws zones translucent and flat, and unknown classes as their translucent box', () => {
    expect(objectShape('green zone', [0.1, 0.1, 0.001])).toMatchObject({ kind: 'zone', translucent: true });
    expect(objectShape('coffee mug', [0.08, 0.08, 0.1])).toMatchObject({
      kind: 'unknown',
      colorName: undefined,
      translucent: true,
    });
  });

  it('reads cable segment ids as cable and index', () => {
    expect(cableSegmentOf('cable/12', 'red cable segment')).toEqual({ cable: 'cable', index: 12 });
    expect(cableSegmentOf('cable/x', 'red cable segment')).toBeUndefined();
    expect(cableSegmentOf('red_block', 'red block')).toBeUndefined();
  });
});
