import { spawnBlock, spawnBowl } from '../spawn.ts';
import { fill, registerTask } from '../Task.ts';

export const SORT_PHRASINGS = [
  'put all the {color} blocks in the {color} bowl',
  'sort the {color} blocks into the {color} bowl',
  'move every {color} block to the {color} bowl',
] as const;

registerTask({
  id: 'sort',
  description: 'Put every block of one colour in the bowl of that colour; other blocks stay out.',
  phrasings: SORT_PHRASINGS,
  timeLimitSeconds: () => 50,
  build(ctx) {
    const color = ctx.colors.take('block');
    ctx.colors.claim('bowl', color);
    const count = ctx.rng.int(2, 3);
    const bowl = spawnBowl(ctx, color);
    const objects = Array.from({ length: count }, () => spawnBlock(ctx, color).id);
    const distractors = [0, 1].map(() => spawnBlock(ctx, ctx.colors.take('block')).id);
    spawnBowl(ctx, ctx.colors.take('bowl'));
    return {
      goal: { type: 'sort', color, objects, target: bowl.id, distractors },
      instruction: fill(ctx.rng.pick(SORT_PHRASINGS), { color }),
    };
  },
});
