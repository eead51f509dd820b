// Registers every task template. Import this module to populate the registry.
import './templates/pickPlace.ts';
import './templates/stack.ts';
import './templates/push.ts';
import './templates/sort.ts';
import './templates/cableRoute.ts';
import './templates/chain.ts';

export { type Checks, evaluateGoal } from './evaluateGoal.ts';
export type { Goal, GoalType } from './Goal.ts';
export { getTask, listTaskIds, registerTask, type TaskTemplate } from './Task.ts';
