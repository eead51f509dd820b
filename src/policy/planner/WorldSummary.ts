import { z } from 'zod';
import { formatZodIssues, UserError } from '../../errors.ts';

/** Object kinds the planner knows; they match the sim's and /detections' class ids. */
export const ObjectKindSchema = z.enum(['block', 'bowl', 'zone', 'cable', 'clip']);
export type ObjectKind = z.infer<typeof ObjectKindSchema>;

/** One object as the planner sees it. */
export const WorldObjectSchema = z
  .object({
    /** Stable object id, such as 'red_block' or 'clip_A'. Plans refer to objects by it. */
    id: z.string().min(1),
    kind: ObjectKindSchema,
    /** Colour word, such as 'red'. Clips are 'gray'. */
    color: z.string(),
    /** What a person calls it: 'red block', 'blue bowl', 'clip' (with `label` 'A'). */
    className: z.string(),
    /** Centre in the robot's base frame (ROS, Z-up: +x away from the robot, +y to its left), m. */
    position: z.tuple([z.number(), z.number(), z.number()]),
    /** Clips: the letter printed on them. */
    label: z.string().optional(),
  })
  .strict();
export type WorldObject = z.infer<typeof WorldObjectSchema>;

/**
 * What the planner knows of the scene: the objects present, as the policy node builds
 * them from /detections (the sim publishes ground truth there; a real cell runs a
 * perception node).
 */
export const WorldSummarySchema = z.object({ objects: z.array(WorldObjectSchema) }).strict();
export type WorldSummary = z.infer<typeof WorldSummarySchema>;

/**
 * Builds a WorldSummary from richer object records (an observation's objects, or
 * decoded detections), keeping only the fields the planner reads, and checks it.
 * Throws UserError naming the bad field.
 */
export function toWorldSummary(
  objects: ReadonlyArray<{
    id: string;
    kind: string;
    color: string;
    className: string;
    position: readonly number[];
    label?: string | undefined;
  }>,
  source = 'world summary',
): WorldSummary {
  const picked = objects.map((o) => ({
    id: o.id,
    kind: o.kind,
    color: o.color,
    className: o.className,
    position: [...o.position],
    ...(o.label !== undefined ? { label: o.label } : {}),
  }));
  const parsed = WorldSummarySchema.safeParse({ objects: picked }, { reportInput: true });
  if (!parsed.success) throw new UserError(formatZodIssues(parsed.error.issues), { source });
  return parsed.data;
}

/** How a person names an object: 'red block', 'clip A'. */
export function describeObject(o: Pick<WorldObject, 'kind' | 'className' | 'label'>): string {
  if (o.kind === 'clip') return o.label ? `clip ${o.label}` : 'clip';
  return o.className;
}
