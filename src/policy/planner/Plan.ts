import { z } from 'zod';
import { formatZodIssues } from '../../errors.ts';
import { describeObject, type WorldObject, type WorldSummary } from './WorldSummary.ts';

const objectId = (what: string) => z.string().min(1).describe(`${what}: an object id from the world summary`);

/** Grasp a block and lift it. The gripper must be empty. */
export const PickSchema = z
  .object({ skill: z.literal('pick'), object: objectId('the block to pick') })
  .strict();
/** Put the held block into a bowl or zone, or on top of another block. */
export const PlaceSchema = z
  .object({
    skill: z.literal('place'),
    object: objectId('the held block'),
    target: objectId('a bowl, a zone, or a block to stack on'),
  })
  .strict();
/** Push a block along the table into a zone without lifting it. The gripper must be empty. */
export const PushSchema = z
  .object({ skill: z.literal('push'), object: objectId('the block to push'), zone: objectId('the zone') })
  .strict();
/** Lay the cable into one clip's slot (lift a segment, carry it over, lower it in, tension it). */
export const RouteThroughSchema = z
  .object({ skill: z.literal('route_through'), cable: objectId('the cable'), clip: objectId('the clip') })
  .strict();
/** Return the arm to its home pose. */
export const GoHomeSchema = z.object({ skill: z.literal('go_home') }).strict();

/** One typed skill call, keyed on `skill`. */
export const SkillCallSchema = z.discriminatedUnion('skill', [
  PickSchema,
  PlaceSchema,
  PushSchema,
  RouteThroughSchema,
  GoHomeSchema,
]);
export type SkillCall = z.infer<typeof SkillCallSchema>;
export type SkillName = SkillCall['skill'];
export const SKILL_NAMES = [
  'pick',
  'place',
  'push',
  'route_through',
  'go_home',
] as const satisfies readonly SkillName[];

export const PlanSourceSchema = z.enum(['rules', 'llm']);
export type PlanSource = z.infer<typeof PlanSourceSchema>;

/** A plan: skill calls run in order, where it came from, and the instruction it serves. */
export const PlanSchema = z
  .object({
    steps: z.array(SkillCallSchema),
    source: PlanSourceSchema,
    instruction: z.string(),
  })
  .strict();
export type Plan = z.infer<typeof PlanSchema>;

export type PlanValidation = { ok: true; plan: Plan } | { ok: false; errors: string[] };

/**
 * Checks a plan (any value: it may come from an LLM or a file) against the schema and
 * the world: every object it names exists, each skill gets objects of the right kind
 * (pick a block; place into a bowl, into a zone or onto a block; push into a zone;
 * route the cable through a clip), and the gripper's state fits (place only what is
 * held; pick, push and route only with an empty gripper).
 * Errors say why, in words a user reads on /policy/status.
 */
export function validatePlan(plan: unknown, world: WorldSummary): PlanValidation {
  const parsed = PlanSchema.safeParse(plan, { reportInput: true });
  if (!parsed.success) return { ok: false, errors: [`plan: ${formatZodIssues(parsed.error.issues)}`] };
  const errors = checkSteps(parsed.data.steps, world);
  return errors.length ? { ok: false, errors } : { ok: true, plan: parsed.data };
}

/** The semantic checks of `validatePlan`, for steps that already fit the schema. */
export function checkSteps(steps: readonly SkillCall[], world: WorldSummary): string[] {
  const byId = new Map(world.objects.map((o) => [o.id, o]));
  const errors: string[] = [];
  let held: WorldObject | undefined;
  steps.forEach((step, i) => {
    const at = `step ${i + 1} (${step.skill})`;
    const get = (id: string): WorldObject | undefined => {
      const o = byId.get(id);
      if (!o) errors.push(`${at}: ${missingObjectMessage(id, world)}`);
      return o;
    };
    switch (step.skill) {
      case 'pick': {
        const o = get(step.object);
        if (!o) break;
        if (o.kind !== 'block') {
          errors.push(`${at}: cannot pick up the ${describeObject(o)}: only blocks can be picked up`);
          break;
        }
        if (held) {
          errors.push(
            `${at}: cannot pick up the ${describeObject(o)} while holding the ${describeObject(held)}`,
          );
        }
        held = o;
        break;
      }
      case 'place': {
        const o = get(step.object);
        const t = get(step.target);
        if (!o || !t) break;
        if (o.kind !== 'block') {
          errors.push(
            `${at}: cannot place ${article(o.kind)} ${o.kind} ${placePreposition(t.kind)} the ${t.kind}: only blocks can be placed`,
          );
        } else if (t.kind !== 'bowl' && t.kind !== 'zone' && t.kind !== 'block') {
          errors.push(
            `${at}: cannot place the ${describeObject(o)} on the ${describeObject(t)}: place into a bowl, into a zone or onto a block`,
          );
        } else if (t.id === o.id) {
          errors.push(`${at}: cannot place the ${describeObject(o)} on itself`);
        } else if (held?.id !== o.id) {
          errors.push(
            held
              ? `${at}: the gripper holds the ${describeObject(held)}, not the ${describeObject(o)}`
              : `${at}: the ${describeObject(o)} is not held: pick it up first`,
          );
        }
        held = undefined;
        break;
      }
      case 'push': {
        const o = get(step.object);
        const z = get(step.zone);
        if (!o || !z) break;
        if (o.kind !== 'block')
          errors.push(`${at}: cannot push the ${describeObject(o)}: only blocks can be pushed`);
        else if (z.kind !== 'zone') {
          errors.push(
            `${at}: cannot push the ${describeObject(o)} into the ${describeObject(z)}: push into a zone`,
          );
        } else if (held) errors.push(`${at}: cannot push while holding the ${describeObject(held)}`);
        break;
      }
      case 'route_through': {
        const c = get(step.cable);
        const k = get(step.clip);
        if (!c || !k) break;
        if (c.kind !== 'cable') errors.push(`${at}: the ${describeObject(c)} is not a cable`);
        else if (k.kind !== 'clip') {
          errors.push(`${at}: cannot route the cable through the ${describeObject(k)}: route through a clip`);
        } else if (held)
          errors.push(`${at}: cannot route the cable while holding the ${describeObject(held)}`);
        break;
      }
      case 'go_home':
        break;
    }
  });
  return errors;
}

/** 'no purple block in the scene' for ids shaped like the sim's (`purple_block_2`). */
export function missingObjectMessage(id: string, world: WorldSummary): string {
  const m = /^([a-z]+)_(block|bowl|zone|cable)(?:_\d+)?$/.exec(id);
  const clip = /^clip_([A-Za-z0-9]+)$/.exec(id);
  const name = m ? `${m[1]} ${m[2]}` : clip ? `clip ${clip[1]}` : `object "${id}"`;
  const ids = world.objects.map((o) => o.id).join(', ');
  return `no ${name} in the scene (objects: ${ids || 'none'})`;
}

export function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function placePreposition(kind: string): string {
  return kind === 'bowl' ? 'in' : 'on';
}
