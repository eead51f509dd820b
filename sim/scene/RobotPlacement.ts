import { z } from 'zod';
import { formatZodIssues, UserError } from '../../src/errors.ts';

const finite = z.number().finite();
const range = z
  .tuple([finite, finite])
  .refine(([lo, hi]) => lo <= hi, { message: 'range must be [min, max] with min <= max' });

/**
 * Tasks whose objects are all placed through the scene's Layout, so they can be spawned inside
 * one arm's reach on a shared table. cable_route anchors its cable at fixed table coordinates.
 */
export const SHARED_TABLE_TASKS = ['pick_place', 'stack', 'stack_all', 'push', 'sort', 'chain'] as const;

/**
 * One robot on a shared table: its name (the namespace of its topics under the sim's, and the
 * prefix of its tf frames, as robot_state_publisher's frame_prefix gives), its model, where its
 * base stands, and the task its own policy is given.
 */
export const RobotPlacementSchema = z
  .object({
    /** `left` gives /left/joint_states, /left/sim/status and the frames left/base_link, left/tcp... */
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a ROS name token: a letter, then letters, digits or _'),
    /** Robot id, a folder of robots/ (ur5e, panda). @default 'ur5e' */
    robot: z.string().min(1).default('ur5e'),
    /**
     * Pose of the robot's base_link on the table, world frame (z-up, table top at z = 0), m and
     * rad about z. It replaces the robot.yaml `mount`.
     */
    base: z
      .object({ xyz: z.tuple([finite, finite, finite]), yaw: finite.default(0) })
      .strict()
      .default({ xyz: [0, 0, 0], yaw: 0 }),
    /** The task whose objects are spawned for this arm. @default the reset's task */
    task: z.enum(SHARED_TABLE_TASKS).optional(),
    /**
     * Where this arm's task objects are spawned, in its base frame, m: keep it inside the arm's
     * reach and clear of the other arms' regions. @default the scene spec's workspace
     */
    reach: z.object({ x: range, y: range }).strict().optional(),
  })
  .strict();

/** Base centres closer than this would put one arm's base inside the other's, m. */
export const MIN_BASE_SEPARATION = 0.4;

/** Several robots on one table: unique names, bases apart. */
export const RobotsSpecSchema = z
  .array(RobotPlacementSchema)
  .min(1)
  .max(4)
  .superRefine((robots, ctx) => {
    robots.forEach((r, i) => {
      const first = robots.findIndex((o) => o.name === r.name);
      if (first !== i) {
        ctx.addIssue({
          code: 'custom',
          message: `robot name "${r.name}" is also robots.${first}'s; names must be unique`,
          path: [i, 'name'],
        });
      }
      for (let j = 0; j < i; j++) {
        const o = robots[j]!;
        const d = Math.hypot(r.base.xyz[0] - o.base.xyz[0], r.base.xyz[1] - o.base.xyz[1]);
        if (d < MIN_BASE_SEPARATION) {
          ctx.addIssue({
            code: 'custom',
            message: `base is ${d.toFixed(3)} m from ${o.name}'s; bases must be at least ${MIN_BASE_SEPARATION} m apart`,
            path: [i, 'base', 'xyz'],
          });
        }
      }
    });
  });

export type RobotPlacement = z.infer<typeof RobotPlacementSchema>;
export type RobotPlacementInput = z.input<typeof RobotPlacementSchema>;

/**
 * The standard two-arm table: two arms side by side facing +x, 0.8 m apart, each spawning its
 * task's objects in the tabletop workspace in front of it (x 0.32-0.62 m, y ±0.26 m from its
 * base), so the two regions leave 0.28 m of table between them.
 */
export const TWO_ARM_ROBOTS: RobotPlacementInput[] = [
  { name: 'left', robot: 'ur5e', base: { xyz: [0, 0.4, 0] } },
  { name: 'right', robot: 'ur5e', base: { xyz: [0, -0.4, 0] } },
];

/** Checks a robots spec from outside (a launch file, an option); `source` is named in errors. */
export function parseRobotsSpec(value: unknown, source: string): RobotPlacement[] {
  const r = RobotsSpecSchema.safeParse(value, { reportInput: true });
  if (!r.success) throw new UserError(`invalid robots: ${formatZodIssues(r.error.issues)}`, { source });
  return r.data;
}
