import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { encode } from 'fast-png';
import { CameraFrame } from '../../sim/camera/CameraFrame.ts';
import { type CameraSpec, CameraSpecSchema, TABLETOP_CAMERA } from '../../sim/camera/CameraSpec.ts';
import { colorizeInstances, depthToMillimetres, downsampleRgb } from '../../sim/camera/imageOps.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { SceneRenderer } from '../../sim/camera/SceneRenderer.ts';
import { createEnv } from '../../sim/Env.ts';
import { formatZodIssues, UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import { parseIntFlag } from './flags.ts';
import { checkOutputPath } from './io.ts';

interface SnapshotFlags {
  task: string;
  seed: number;
  robot: string;
  scene: string;
  split: 'seen' | 'unseen';
  width?: number;
  height?: number;
  fov?: number;
  eye?: [number, number, number];
  lookAt?: [number, number, number];
  depth?: string;
  segmentation?: string;
  shadows: boolean;
  supersample: number;
}

const snapshotHelp = `
Renders the first frame of an episode (the arm at home) through the scene's camera
on the CPU, and writes it as an 8-bit RGB PNG. Without --width/--height the image is
640x480 with the camera's field of view.
--depth writes depth as a 16-bit grey PNG in millimetres (0 = nothing there), the
raw depth form of REP 118; --segmentation writes instance ids, one colour per object.

Example:
  simbridge snapshot --task pick_place --seed 3 out.png
  simbridge snapshot --task sort --seed 1 --eye 1.6,0.7,1.1 --look-at 0.3,0,0.2 view.png

Exit status: 0 written; 2 bad input (a flag, a name, an unwritable path).`;

/** Adds `snapshot`: one rendered frame of an episode, as PNG. */
export function addSnapshotCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('snapshot')
    .description('render an episode through the scene camera and write a PNG')
    .argument('<out.png>', 'where to write the colour image')
    .requiredOption('--task <id>', 'task id, e.g. pick_place')
    .option('--seed <n>', 'episode seed, >= 0', (v) => parseIntFlag('--seed', v, 0), 0)
    .option('--robot <id|dir>', 'robot id from robots/, or a folder with robot.yaml and its URDF', 'ur5e')
    .option('--scene <name|file>', 'built-in scene name, or a scene-spec YAML file', 'tabletop')
    .addOption(
      new Option('--split <split>', 'colours and positions seen or unseen in development')
        .choices(['seen', 'unseen'])
        .default('seen'),
    )
    .option('--width <px>', 'image width (default 640)', (v) => parseSize('--width', v))
    .option('--height <px>', 'image height (default 480)', (v) => parseSize('--height', v))
    .option('--fov <degrees>', 'vertical field of view (instead of the camera intrinsics)', parseFov)
    .option('--eye <x,y,z>', 'camera position, world frame, m', (v) => parseVec3('--eye', v))
    .option('--look-at <x,y,z>', 'point the camera looks at, world frame, m', (v) =>
      parseVec3('--look-at', v),
    )
    .option('--depth <file.png>', 'also write depth, 16-bit millimetres')
    .option('--segmentation <file.png>', 'also write instance segmentation, colour-coded')
    .option('--no-shadows', 'skip shadow rays (faster)')
    .option(
      '--supersample <n>',
      'rays per pixel side for the colour image, 1-4',
      (v) => parseSupersample(v),
      2,
    )
    .addHelpText('after', snapshotHelp)
    .action(async (out: string, flags: SnapshotFlags) => {
      setExitCode(await snapshot(out, flags));
    });
}

async function snapshot(out: string, flags: SnapshotFlags): Promise<number> {
  const outputs: Array<[string, string]> = [['<out.png>', out]];
  if (flags.depth !== undefined) outputs.push(['--depth', flags.depth]);
  if (flags.segmentation !== undefined) outputs.push(['--segmentation', flags.segmentation]);
  for (const [flag, path] of outputs) {
    if (!path.toLowerCase().endsWith('.png'))
      throw new UserError(`expected a .png path, got '${path}'`, { source: flag });
    checkOutputPath(flag, path);
  }
  const scene = resolveScene(flags.scene);
  const env = createEnv({ robot: resolveRobot(flags.robot), scene });
  env.reset({ task: flags.task, seed: flags.seed, split: flags.split });
  const camera = PinholeCamera.fromSpec(snapshotCamera(scene.camera ?? TABLETOP_CAMERA, flags));
  const renderer = new SceneRenderer(env.scene, env.robot);
  const shadows = flags.shadows;

  const ss = flags.supersample;
  const fine = ss > 1 ? camera.scaled(ss) : camera;
  const fineFrame = new CameraFrame(fine.width, fine.height);
  renderer.render(fine, fineFrame, { shadows });
  const rgb = ss > 1 ? downsampleRgb(fineFrame.rgb, fine.width, fine.height, ss) : fineFrame.rgb;
  const { width, height } = camera;
  await writePng('<out.png>', out, encode({ width, height, data: rgb, channels: 3, depth: 8 }));

  if (flags.depth !== undefined || flags.segmentation !== undefined) {
    const frame = new CameraFrame(width, height);
    renderer.render(camera, frame, { shadows: false });
    if (flags.depth !== undefined) {
      const mm = depthToMillimetres(frame.depth);
      await writePng('--depth', flags.depth, encode({ width, height, data: mm, channels: 1, depth: 16 }));
    }
    if (flags.segmentation !== undefined) {
      const seg = colorizeInstances(frame.instance);
      await writePng('--segmentation', flags.segmentation, encode({ width, height, data: seg, channels: 3 }));
    }
  }
  const what = `${flags.task} seed ${flags.seed}, ${width}x${height}`;
  process.stdout.write(`wrote ${outputs.map(([, p]) => p).join(', ')} (${what})\n`);
  return 0;
}

/** The scene camera with the flags' size, field of view and pose applied, validated again. */
function snapshotCamera(base: CameraSpec, flags: SnapshotFlags): CameraSpec {
  const width = flags.width ?? 640;
  const height = flags.height ?? 480;
  const spec: CameraSpec = { ...base, width, height };
  if (flags.fov !== undefined) {
    delete spec.fx;
    delete spec.fy;
    spec.fovYDegrees = flags.fov;
  } else if (base.fx !== undefined && base.fy !== undefined) {
    // Keep the field of view: focal lengths scale with the image.
    spec.fx = (base.fx * width) / base.width;
    spec.fy = (base.fy * height) / base.height;
  }
  delete spec.cx;
  delete spec.cy;
  if (base.cx !== undefined) spec.cx = ((base.cx + 0.5) * width) / base.width - 0.5;
  if (base.cy !== undefined) spec.cy = ((base.cy + 0.5) * height) / base.height - 0.5;
  if (flags.eye) spec.position = flags.eye;
  if (flags.lookAt) {
    spec.lookAt = flags.lookAt;
    delete spec.quaternion;
  }
  const r = CameraSpecSchema.safeParse(spec);
  if (!r.success) throw new UserError(`camera: ${formatZodIssues(r.error.issues)}`, { source: 'snapshot' });
  return r.data;
}

async function writePng(flag: string, path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw new UserError(`cannot write '${path}': ${(err as Error).message}`, { source: flag, cause: err });
  }
}

function parseSize(flag: string, text: string): number {
  const n = parseIntFlag(flag, text, 1);
  if (n > 4096) throw new UserError(`expected at most 4096 pixels, got '${text}'`, { source: flag });
  return n;
}

function parseSupersample(text: string): number {
  const n = parseIntFlag('--supersample', text, 1);
  if (n > 4) throw new UserError(`expected 1 to 4, got '${text}'`, { source: '--supersample' });
  return n;
}

function parseFov(text: string): number {
  const v = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(v > 0 && v < 180))
    throw new UserError(`expected degrees in (0, 180), got '${text}'`, { source: '--fov' });
  return v;
}

function parseVec3(flag: string, text: string): [number, number, number] {
  const parts = text.split(',');
  const nums = parts.map((p) => (/^\s*-?\d+(\.\d+)?\s*$/.test(p) ? Number(p) : Number.NaN));
  if (nums.length !== 3 || nums.some((n) => !Number.isFinite(n)))
    throw new UserError(`expected three numbers 'x,y,z' in metres, got '${text}'`, { source: flag });
  return nums as [number, number, number];
}
