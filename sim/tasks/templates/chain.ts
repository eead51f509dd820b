import type { Goal } from '../Goal.ts';
import { spawnBowl } from '../spawn.ts';
import { registerTask, type TaskSetup } from '../Task.ts';
import { buildPickPlace } from './pickPlace.ts';
import { buildPush } from './push.ts';
import { buildStack } from './stack.ts';

const JOINERS = [', then ', ', and then ', '. After that, ', ', then '] as const;

/**
 * Two to five subtasks in one instruction ("..., then ..."). A stack subtask may
 * build on the block the previous subtask moved ("stack the green block on it").
 * Subtasks are checked in order, and the result reports how many were completed,
 * as CALVIN does.
 */
registerTask({
  id: 'chain',
  description: 'Two to five pick-place, push and stack subtasks in one instruction.',
  phrasings: [
    '{subtask}, then {subtask}',
    '{subtask}, and then {subtask}',
    '{subtask}. After that, {subtask}',
  ],
  timeLimitSeconds: (goal) => (goal.type === 'chain' ? 8 + 22 * goal.subtasks.length : 60),
  build(ctx) {
    const { rng } = ctx;
    const n = rng.int(2, 5);
    const bowls = [spawnBowl(ctx, ctx.colors.take('bowl')).id];
    const bowlUse = new Map<string, number>();
    let pushed = false;
    let previous: string | undefined;
    const parts: TaskSetup[] = [];
    for (let i = 0; i < n; i++) {
      const canStack = previous !== undefined || ctx.colors.remaining('block') - (n - i - 1) >= 2;
      const options = ['pick_place', ...(canStack ? ['stack'] : []), ...(pushed ? [] : ['push'])];
      const kind = rng.pick(options);
      let part: TaskSetup;
      if (kind === 'pick_place') {
        let bowl = bowls.find((b) => (bowlUse.get(b) ?? 0) < 2);
        if (!bowl || (bowls.length < 2 && rng.next() < 0.4)) {
          bowl = spawnBowl(ctx, ctx.colors.take('bowl')).id;
          bowls.push(bowl);
        }
        bowlUse.set(bowl, (bowlUse.get(bowl) ?? 0) + 1);
        part = buildPickPlace(ctx, bowl);
      } else if (kind === 'push') {
        pushed = true;
        part = buildPush(ctx);
      } else {
        // A stack on a fresh base takes two blocks; keep a colour for every later subtask.
        const spare = ctx.colors.remaining('block') - (n - i - 1);
        const onPrevious = previous !== undefined && (spare < 2 || rng.next() < 0.5);
        part = buildStack(ctx, onPrevious ? previous : undefined, onPrevious ? 'it' : undefined);
      }
      previous = 'object' in part.goal ? part.goal.object : undefined;
      parts.push(part);
    }
    let instruction = parts[0]!.instruction;
    for (const p of parts.slice(1)) {
      instruction += rng.pick(JOINERS) + p.instruction;
    }
    const goal: Goal = { type: 'chain', subtasks: parts.map((p) => p.goal) };
    return { goal, instruction };
  },
});
