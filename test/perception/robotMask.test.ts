// The robot's own pixels: the gripper pads low over the table are gray, like a gray block.
import { Matrix4 } from 'three';
import { describe, expect, it } from 'vitest';
import { CameraFrame } from '../../sim/camera/CameraFrame.ts';
import { TABLETOP_CAMERA } from '../../sim/camera/CameraSpec.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { SceneRenderer } from '../../sim/camera/SceneRenderer.ts';
import { createEnv, type ObjectObservation } from '../../sim/Env.ts';
import { solveIk } from '../../src/control/Ik.ts';
import { estimateObjects, type PerceivedObject } from '../../src/perception/estimateObjects.ts';
import { RobotMask } from '../../src/perception/RobotMask.ts';

/** Detections that match no true object (same colour and kind within 1 cm). */
function spurious(found: PerceivedObject[], truth: ObjectObservation[]): PerceivedObject[] {
  return found.filter(
    (f) =>
      !truth.some(
        (o) =>
          o.color === f.color &&
          o.kind === f.kind &&
          Math.hypot(o.position[0] - f.position[0], o.position[1] - f.position[1]) < 0.01,
      ),
  );
}

describe('RobotMask', () => {
  it('removes the gripper held just above the table, so that its pads are no gray block', () => {
    const env = createEnv();
    const { observation } = env.reset({ task: 'push', seed: 7 });
    const truth = observation.objects;
    // A free spot in front of the robot, at least 12 cm from every object.
    let spot: [number, number] | undefined;
    for (let x = 0.35; x <= 0.65 && !spot; x += 0.05)
      for (let y = -0.3; y <= 0.3 && !spot; y += 0.05)
        if (truth.every((o) => Math.hypot(o.position[0] - x, o.position[1] - y) > 0.12)) spot = [x, y];
    expect(spot).toBeDefined();
    // The tcp 2.2 cm above the table, gripper nearly closed, as the push skill holds it.
    const desc = env.robotDescription;
    const target = desc.chain.fk(desc.config.home, new Matrix4()).setPosition(spot![0], spot![1], 0.022);
    const ik = solveIk(desc.chain, target, { seed: desc.config.home });
    expect(ik.converged).toBe(true);
    env.robot.reset(ik.q, 0.03);

    const camera = PinholeCamera.fromSpec(TABLETOP_CAMERA);
    const frame = new CameraFrame(camera.width, camera.height);
    new SceneRenderer(env.scene, env.robot).render(camera, frame);

    // Without the mask, the pads are an object (this is what the mask is for).
    const unmasked = spurious(estimateObjects(frame.rgb, frame.depth, camera), truth);
    expect(unmasked.length).toBeGreaterThan(0);
    expect(
      unmasked.some((f) => Math.hypot(f.position[0] - spot![0], f.position[1] - spot![1]) < 0.05),
      JSON.stringify(unmasked.map((f) => [f.color, f.kind, f.position])),
    ).toBe(true);

    // The link poses a /tf listener would have.
    const mask = new Uint8Array(camera.width * camera.height);
    const masked = new RobotMask(desc.urdf).apply(
      camera,
      frame.depth,
      (link) => env.robot.articulation.linkWorldMatrix(link, new Matrix4()),
      mask,
    );
    expect(masked).toBeGreaterThan(1000);
    const found = estimateObjects(frame.rgb, frame.depth, camera, { mask });
    expect(spurious(found, truth).map((f) => `${f.color} ${f.kind}`)).toEqual([]);
    // Every object is still found, in place: the mask took the robot, not the scene.
    for (const o of truth) {
      const f = found.find((g) => g.color === o.color && g.kind === o.kind);
      expect(f, o.id).toBeDefined();
      expect(Math.hypot(...f!.position.map((v, i) => v - o.position[i]!)), o.id).toBeLessThan(0.005);
    }
  });

  it('leaves links it has no pose for out of the mask', () => {
    const env = createEnv();
    env.reset({ task: 'pick_place', seed: 1 });
    const camera = PinholeCamera.fromSpec(TABLETOP_CAMERA);
    const frame = new CameraFrame(camera.width, camera.height);
    new SceneRenderer(env.scene, env.robot).render(camera, frame);
    const mask = new Uint8Array(camera.width * camera.height);
    const count = new RobotMask(env.robotDescription.urdf).apply(camera, frame.depth, () => undefined, mask);
    expect(count).toBe(0);
    expect(mask.every((m) => m === 0)).toBe(true);
  });
});
