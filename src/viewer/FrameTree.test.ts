import { Matrix4, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { FrameTree, type TransformStampedJson } from './FrameTree.ts';

const tf = (
  parent: string,
  child: string,
  x: number,
  y: number,
  z: number,
  yawDeg = 0,
): TransformStampedJson => {
  const h = (yawDeg * Math.PI) / 360;
  return {
    header: { frame_id: parent },
    child_frame_id: child,
    transform: { translation: { x, y, z }, rotation: { x: 0, y: 0, z: Math.sin(h), w: Math.cos(h) } },
  };
};

const origin = (tree: FrameTree, frame: string, t = 0) => {
  const m = tree.worldMatrix(frame, t, new Matrix4());
  return (
    m &&
    new Vector3()
      .setFromMatrixPosition(m)
      .toArray()
      .map((v) => Math.round(v * 1e9) / 1e9)
  );
};

describe('FrameTree', () => {
  it('composes a chain of transforms up to the root', () => {
    const tree = new FrameTree();
    tree.add([tf('world', 'base_link', 1, 0, 0)], 0, true);
    tree.add([tf('base_link', 'shoulder', 0, 0, 0.2, 90), tf('shoulder', 'tool', 0.5, 0, 0)], 0);
    // The shoulder is turned 90° about z, so the tool's +0.5 x lands on world +y.
    expect(origin(tree, 'tool')).toEqual([1, 0.5, 0.2]);
    expect(origin(tree, 'world')).toEqual([0, 0, 0]);
  });

  it('interpolates dynamic transforms; static ones hold for all time', () => {
    const tree = new FrameTree();
    tree.add([tf('world', 'base', 0, 0, 1)], 0, true);
    tree.add([tf('base', 'block', 0, 0, 0)], 100);
    tree.add([tf('base', 'block', 1, 0, 0)], 200);
    expect(origin(tree, 'block', 150)).toEqual([0.5, 0, 1]);
    expect(origin(tree, 'block', 1e9)).toEqual([1, 0, 1]);
  });

  it('treats "/world" and "world" as one frame', () => {
    const tree = new FrameTree();
    tree.add([tf('/world', '/a', 1, 2, 3)], 0);
    expect(origin(tree, 'a')).toEqual([1, 2, 3]);
  });

  it('gives no pose for an unknown frame or a loop', () => {
    const tree = new FrameTree();
    expect(origin(tree, 'nowhere')).toBeUndefined();
    tree.add([tf('a', 'b', 1, 0, 0), tf('b', 'a', 1, 0, 0)], 0);
    expect(origin(tree, 'a')).toBeUndefined();
  });
});
