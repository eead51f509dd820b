import type { Goal } from '../Goal.ts';
import { spawnBlock, spawnBowl } from '../spawn.ts';
import { fill, registerTask, type TaskBuildContext, type TaskSetup } from '../Task.ts';

export const PICK_PLACE_PHRASINGS = [
  'put the {object} in the {target}',
  'place the {object} into the {target}',
  'pick up the {object} and put it in the {target}',
  'move the {object} to the {target}',
] as const;

/** Adds a block and a bowl (or reuses `bowl`) and returns the subtask. */
export function buildPickPlace(ctx: TaskBuildContext, bowlId?: string): TaskSetup {
  const block = spawnBlock(ctx, ctx.colors.take('block'));
  const bowl = bowlId ? ctx.scene.get(bowlId) : spawnBowl(ctx, ctx.colors.take('bowl'));
  const goal: Goal = { type: 'pick_place', object: block.id, target: bowl.id };
  const instruction = fill(ctx.rng.pick(PICK_PLACE_PHRASINGS), {
    object: block.className,
    target: bowl.className,
  });
  return { goal, instruction };
}

registerTask({
  id: 'pick_place',
  description: 'Put a block of one colour in a bowl of a given colour, with distractors.',
  phrasings: PICK_PLACE_PHRASINGS,
  timeLimitSeconds: () => 25,
  build(ctx) {
    const setup = buildPickPlace(ctx);
    const distractors = ctx.rng.int(1, 2);
    for (let i = 0; i < distractors; i++) spawnBlock(ctx, ctx.colors.take('block'));
    spawnBowl(ctx, ctx.colors.take('bowl'));
    return setup;
  },
});
