import type { Goal } from '../Goal.ts';
import { spawnBlock } from '../spawn.ts';
import { fill, registerTask, type TaskBuildContext, type TaskSetup } from '../Task.ts';

export const STACK_PHRASINGS = [
  'stack the {object} on the {base}',
  'put the {object} on top of the {base}',
  'place the {object} onto the {base}',
] as const;

export const STACK_ALL_PHRASINGS = [
  'stack all the blocks',
  'stack all the blocks on top of each other',
  'make a tower out of all the blocks',
] as const;

/** Adds a block and stacks it on `baseId` (or on a new block). */
export function buildStack(ctx: TaskBuildContext, baseId?: string, baseWord?: string): TaskSetup {
  const base = baseId ? ctx.scene.get(baseId) : spawnBlock(ctx, ctx.colors.take('block'));
  const top = spawnBlock(ctx, ctx.colors.take('block'));
  const goal: Goal = { type: 'stack', object: top.id, base: base.id };
  const template = ctx.rng.pick(STACK_PHRASINGS);
  const instruction = fill(template, { object: top.className, base: baseWord ?? base.className }).replace(
    'the it',
    'it',
  );
  return { goal, instruction };
}

registerTask({
  id: 'stack',
  description: 'Stack one named block on another, with a distractor block.',
  phrasings: STACK_PHRASINGS,
  timeLimitSeconds: () => 25,
  build(ctx) {
    const setup = buildStack(ctx);
    spawnBlock(ctx, ctx.colors.take('block'));
    return setup;
  },
});

registerTask({
  id: 'stack_all',
  description: 'Stack all three blocks into one tower, in any order.',
  phrasings: STACK_ALL_PHRASINGS,
  timeLimitSeconds: () => 45,
  build(ctx) {
    const blocks = [0, 1, 2].map(() => spawnBlock(ctx, ctx.colors.take('block')));
    return {
      goal: { type: 'stack_all', objects: blocks.map((b) => b.id) },
      instruction: ctx.rng.pick(STACK_ALL_PHRASINGS),
    };
  },
});
