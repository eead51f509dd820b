/**
 * Thrown inside a skill when it cannot go on at all: an object it needs is missing from
 * the observation, or the IK has no solution for a commanded pose. `runSkill` turns it into
 * a failed outcome of kind 'error'; it never escapes a skill run through `runSkill`.
 */
export class SkillFailure extends Error {
  override name = 'SkillFailure';
}
