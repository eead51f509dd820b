// The skill library: closed-loop skills the oracle and the executor sequence.
import { GO_HOME } from './goHome.ts';
import { PICK } from './pick.ts';
import { PLACE, PUT_DOWN } from './place.ts';
import { PUSH } from './push.ts';
import { ROUTE_THROUGH } from './routeThrough.ts';
import type { SkillDefinition } from './Skill.ts';

export * from './geometry.ts';
export { GO_HOME, type GoHomeArgs, goHome } from './goHome.ts';
export * from './MotionContext.ts';
export * from './motion.ts';
export * from './perception.ts';
export { PICK, PICK_ATTEMPTS, type PickArgs, pick, releaseAndLift } from './pick.ts';
export { PLACE, type PlaceArgs, PUT_DOWN, type PutDownArgs, place, placeAt, putDown } from './place.ts';
export { PUSH, type PushArgs, push } from './push.ts';
export { ROUTE_THROUGH, type RouteThroughArgs, routeThrough } from './routeThrough.ts';
export * from './Skill.ts';
export { SkillFailure } from './SkillFailure.ts';

/** Skills by the names plans call them. */
export const SKILLS = {
  pick: PICK,
  place: PLACE,
  put_down: PUT_DOWN,
  push: PUSH,
  route_through: ROUTE_THROUGH,
  go_home: GO_HOME,
} as const satisfies Record<string, SkillDefinition<never>>;

export type SkillName = keyof typeof SKILLS;
