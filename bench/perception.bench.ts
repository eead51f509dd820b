/**
 * perception.frame: CPU cost of one perception frame at 320×240 (the eval camera) on a
 * scene with the arm low over the table: the robot mask (the URDF's shapes rendered from
 * the camera), object finding (estimateObjects) and tracking. Then whole episodes:
 * `--policy language --perception camera` against the same episodes on ground truth.
 *
 * Baseline, same run: rendering the camera frame itself (what the sim camera costs).
 * `ratio` = perception ms per frame ÷ render ms per frame. `episodeRatio` = camera
 * episode wall time ÷ ground-truth episode wall time (the price of closing the loop:
 * render + perception at 10 Hz).
 */
import { Matrix4 } from 'three';
import { CameraFrame } from '../sim/camera/CameraFrame.ts';
import { TABLETOP_CAMERA } from '../sim/camera/CameraSpec.ts';
import { PinholeCamera } from '../sim/camera/PinholeCamera.ts';
import { SceneRenderer } from '../sim/camera/SceneRenderer.ts';
import { createEnv } from '../sim/Env.ts';
import { solveIk } from '../src/control/Ik.ts';
import { runEpisode } from '../src/eval/runEpisode.ts';
import { estimateObjects } from '../src/perception/estimateObjects.ts';
import { ObjectTracker } from '../src/perception/ObjectTracker.ts';
import { RobotMask } from '../src/perception/RobotMask.ts';
import type { BenchOptions } from './run.ts';
import { median, round } from './stats.ts';

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const phaseSeconds = quick ? 0.15 : 2;
  const rounds = quick ? 1 : 3;
  const env = createEnv({ robot: 'ur5e' });
  env.reset({ task: 'sort', seed: 7 });
  // The tcp 5 cm above the table, in view: the mask has work to do.
  const desc = env.robotDescription;
  const target = desc.chain.fk(desc.config.home, new Matrix4()).setPosition(0.5, 0.1, 0.05);
  env.robot.reset(solveIk(desc.chain, target, { seed: desc.config.home }).q, 0.06);
  const camera = PinholeCamera.fromSpec(TABLETOP_CAMERA);
  const frame = new CameraFrame(camera.width, camera.height);
  const renderer = new SceneRenderer(env.scene, env.robot);
  renderer.render(camera, frame);
  const robotMask = new RobotMask(desc.urdf);
  const mask = new Uint8Array(camera.width * camera.height);
  const tracker = new ObjectTracker();
  const poses = new Map<string, Matrix4>();
  for (const link of robotMask.links)
    poses.set(link, env.robot.articulation.linkWorldMatrix(link, new Matrix4()));

  const msPer = (fn: () => void) => {
    let frames = 0;
    const start = performance.now();
    let wall = 0;
    while (wall < phaseSeconds) {
      fn();
      frames++;
      wall = (performance.now() - start) / 1000;
    }
    return (1000 * wall) / frames;
  };
  const renderFrame = () => renderer.render(camera, frame);
  const maskFrame = () => {
    mask.fill(0);
    robotMask.apply(camera, frame.depth, (l) => poses.get(l), mask);
  };
  const estimateFrame = () => estimateObjects(frame.rgb, frame.depth, camera, { mask });
  const perceiveFrame = () => {
    maskFrame();
    tracker.update(estimateFrame(), undefined, () => 'unknown');
  };
  for (const fn of [renderFrame, maskFrame, estimateFrame, perceiveFrame]) msPer(fn); // warm-up
  const render: number[] = [];
  const maskMs: number[] = [];
  const estimate: number[] = [];
  const perceive: number[] = [];
  for (let r = 0; r < rounds; r++) {
    render.push(msPer(renderFrame));
    maskMs.push(msPer(maskFrame));
    estimate.push(msPer(estimateFrame));
    perceive.push(msPer(perceiveFrame));
  }

  // Whole episodes (full run only: about 30 s).
  let episodes: Record<string, unknown> | undefined;
  if (!quick) {
    const spec = {
      task: 'pick_place',
      robot: 'ur5e',
      seed: 7,
      policy: 'language',
      split: 'seen',
      index: 0,
    } as const;
    const truth = await runEpisode(spec);
    const seen = await runEpisode({ ...spec, perception: 'camera' });
    episodes = {
      episode: 'pick_place seed 7, --policy language',
      groundTruthWallSeconds: round(truth.wallTimeSeconds, 2),
      cameraWallSeconds: round(seen.wallTimeSeconds, 2),
      simSeconds: round(seen.simTimeSeconds, 2),
      success: { groundTruth: truth.success, camera: seen.success },
      episodeRatio: round(seen.wallTimeSeconds / truth.wallTimeSeconds, 2),
    };
  }
  const perceptionMs = median(perceive);
  const renderMs = median(render);
  return {
    bench: 'perception.frame',
    image: `${camera.width}x${camera.height}`,
    robotMaskMs: round(median(maskMs), 2),
    estimateObjectsMs: round(median(estimate), 2),
    perceptionMsPerFrame: round(perceptionMs, 2),
    baseline: { name: 'rendering the same frame (sim camera)', renderMsPerFrame: round(renderMs, 2) },
    ratio: round(perceptionMs / renderMs, 2),
    ...(episodes ?? {}),
    quick,
  };
}
