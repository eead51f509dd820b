import { z } from 'zod';

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);

/**
 * A pinhole camera in a scene spec: intrinsics, pose in the world frame (z-up) and
 * publish rate. Intrinsics are either focal lengths in pixels (`fx`, `fy`, optional
 * principal point `cx`, `cy`) or a vertical field of view (`fovYDegrees`, square
 * pixels). The pose is a `position` plus either a `lookAt` point (the image's up is
 * world +z; looking straight down, it is world +x) or a `quaternion` (x, y, z, w):
 * the orientation of camera_link as REP 103 names it (x forward, y left, z up), not of
 * the optical frame. Strict: unknown keys are errors.
 */
export const CameraSpecSchema = z
  .object({
    /** Image width, pixels. */
    width: z.number().int().min(1).max(4096),
    /** Image height, pixels. */
    height: z.number().int().min(1).max(4096),
    /** Focal lengths, pixels (give both, or fovYDegrees). */
    fx: z.number().positive().finite().optional(),
    fy: z.number().positive().finite().optional(),
    /** Principal point, pixels; pixel centres are integers (OpenCV). @default (width - 1) / 2, (height - 1) / 2 */
    cx: finite.optional(),
    cy: finite.optional(),
    /** Vertical field of view, degrees (instead of fx, fy). */
    fovYDegrees: z.number().gt(0).lt(180).optional(),
    /** Optical centre, world frame, m. */
    position: vec3,
    /** A point the optical axis passes through, world frame, m. */
    lookAt: vec3.optional(),
    /** camera_link orientation in the world (x forward, y left, z up): x, y, z, w. */
    quaternion: z.tuple([finite, finite, finite, finite]).optional(),
    /** Frames per second, sim time. */
    rateHz: z.number().positive().max(240),
    /** Nearest depth rendered, m. @default 0.05 */
    nearMeters: z.number().positive().optional(),
    /** Farthest depth rendered, m; beyond it depth is NaN. @default 10 */
    farMeters: z.number().positive().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const focal = c.fx !== undefined || c.fy !== undefined;
    if (focal && (c.fx === undefined || c.fy === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [c.fx === undefined ? 'fx' : 'fy'],
        message: 'give fx and fy together',
      });
    if (focal === (c.fovYDegrees !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['fovYDegrees'],
        message: 'give either fx and fy, or fovYDegrees',
      });
    if ((c.lookAt === undefined) === (c.quaternion === undefined))
      ctx.addIssue({ code: 'custom', path: ['lookAt'], message: 'give either lookAt or quaternion' });
    if (c.lookAt && Math.hypot(...c.lookAt.map((v, i) => v - c.position[i]!)) < 1e-6)
      ctx.addIssue({ code: 'custom', path: ['lookAt'], message: 'lookAt must differ from position' });
    if (c.quaternion && Math.abs(Math.hypot(...c.quaternion) - 1) > 1e-3)
      ctx.addIssue({ code: 'custom', path: ['quaternion'], message: 'quaternion must have unit norm' });
    if ((c.nearMeters ?? 0.05) >= (c.farMeters ?? 10))
      ctx.addIssue({ code: 'custom', path: ['farMeters'], message: 'farMeters must exceed nearMeters' });
  });

export type CameraSpec = z.infer<typeof CameraSpecSchema>;

/**
 * The standard tabletop camera: in front of the robot, above the table's far edge,
 * looking back at the workspace so that the arm rarely hides an object. 320×240 at
 * 10 Hz costs about a tenth of a core (bench/camera.bench.ts).
 */
export const TABLETOP_CAMERA: CameraSpec = {
  width: 320,
  height: 240,
  fovYDegrees: 50,
  position: [1.05, 0, 0.7],
  lookAt: [0.45, 0, 0],
  rateHz: 10,
};
