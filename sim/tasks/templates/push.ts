import type { Goal } from '../Goal.ts';
import { spawnBlock, spawnZone } from '../spawn.ts';
import { fill, registerTask, type TaskBuildContext, type TaskSetup } from '../Task.ts';

export const PUSH_PHRASINGS = [
  'push the {object} into the {zone}',
  'slide the {object} to the {zone} without lifting it',
  'push the {object} onto the {zone}',
] as const;

/** Adds a block and a zone and returns the push subtask. */
export function buildPush(ctx: TaskBuildContext): TaskSetup {
  const block = spawnBlock(ctx, ctx.colors.take('block'));
  const zone = spawnZone(ctx, ctx.colors.take('zone'));
  const goal: Goal = { type: 'push', object: block.id, zone: zone.id };
  return {
    goal,
    instruction: fill(ctx.rng.pick(PUSH_PHRASINGS), { object: block.className, zone: zone.className }),
  };
}

registerTask({
  id: 'push',
  description: 'Push a block into a named zone without lifting it; a second zone distracts.',
  phrasings: PUSH_PHRASINGS,
  timeLimitSeconds: () => 40,
  build(ctx) {
    const setup = buildPush(ctx);
    spawnZone(ctx, ctx.colors.take('zone'));
    return setup;
  },
});
