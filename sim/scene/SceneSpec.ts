import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatZodIssues, UserError } from '../../src/errors.ts';
import { CameraSpecSchema, TABLETOP_CAMERA } from '../camera/CameraSpec.ts';
import { COLOR_NAMES, type ColorName } from './colors.ts';

const colorName = z.enum(COLOR_NAMES as [ColorName, ...ColorName[]]);
const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, { message: 'range must be [min, max] with min <= max' });

/**
 * A scene spec: the ranges within which a task's episode randomises every pose
 * and colour. Lengths in metres, masses in kg. Strict: unknown keys are errors.
 */
export const SceneSpecSchema = z
  .object({
    name: z.string().min(1),
    /** Where objects may be placed on the table (world frame, z-up, table top at z = 0). */
    workspace: z.object({ x: range, y: range }).strict(),
    /**
     * Position hold-out: the workspace is cut into square cells of this size, in a
     * checkerboard; the seen split samples object positions from the even cells and the
     * unseen split from the odd ones.
     */
    holdoutCellSize: z.number().positive(),
    /** Colours used in the seen split, and colours held out for the unseen split. */
    colors: z.object({ seen: z.array(colorName).min(4), unseen: z.array(colorName).min(4) }).strict(),
    /** Minimum distance between object footprints' centres, beyond their radii. */
    clearance: z.number().nonnegative(),
    block: z
      .object({ size: range, mass: z.number().positive(), friction: z.number().nonnegative() })
      .strict(),
    bowl: z
      .object({
        innerSize: range,
        wallHeight: z.number().positive(),
        wallThickness: z.number().positive(),
      })
      .strict(),
    zone: z.object({ size: range }).strict(),
    cable: z
      .object({
        segments: z.number().int().min(8).max(80),
        spacing: z.number().positive(),
        radius: z.number().positive(),
        segmentMass: z.number().positive(),
      })
      .strict(),
    clip: z
      .object({
        slotWidth: z.number().positive(),
        postHeight: z.number().positive(),
        postWidth: z.number().positive(),
        postLength: z.number().positive(),
      })
      .strict(),
    /** The scene camera (sim/camera/CameraSpec.ts); without it, cameras use TABLETOP_CAMERA. */
    camera: CameraSpecSchema.optional(),
  })
  .strict();

export type SceneSpec = z.infer<typeof SceneSpecSchema>;

/** The standard tabletop scene. */
export const TABLETOP_SCENE: SceneSpec = {
  name: 'tabletop',
  workspace: { x: [0.32, 0.62], y: [-0.26, 0.26] },
  holdoutCellSize: 0.06,
  colors: {
    seen: ['red', 'green', 'blue', 'yellow', 'white', 'gray'],
    unseen: ['purple', 'orange', 'pink', 'cyan', 'brown'],
  },
  clearance: 0.03,
  block: { size: [0.038, 0.042], mass: 0.1, friction: 0.5 },
  bowl: { innerSize: [0.11, 0.13], wallHeight: 0.04, wallThickness: 0.01 },
  zone: { size: [0.1, 0.12] },
  cable: { segments: 44, spacing: 0.02, radius: 0.008, segmentMass: 0.008 },
  clip: { slotWidth: 0.03, postHeight: 0.04, postWidth: 0.015, postLength: 0.05 },
  camera: TABLETOP_CAMERA,
};

const SCENES: Record<string, SceneSpec> = { tabletop: TABLETOP_SCENE };

export function listScenes(): string[] {
  return Object.keys(SCENES);
}

/** Looks up a built-in scene by name; the error lists the known names. */
export function getScene(name: string): SceneSpec {
  const spec = SCENES[name];
  if (!spec) throw new UserError(`unknown scene "${name}"; known scenes: ${listScenes().join(', ')}`);
  return spec;
}

/** Parses and validates scene-spec YAML text. `source` (a path) is named in errors. */
export function parseSceneSpec(text: string, source: string): SceneSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UserError(`invalid YAML: ${(err as Error).message}`, { source });
  }
  const result = SceneSpecSchema.safeParse(raw);
  if (!result.success)
    throw new UserError(`invalid scene spec: ${formatZodIssues(result.error.issues)}`, { source });
  return result.data;
}
