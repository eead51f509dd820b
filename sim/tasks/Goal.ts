/**
 * Structured goals: what a task asks for, independent of its wording.
 * Object ids refer to scene objects ('red_block', 'blue_bowl', 'clip_A').
 */
export type Goal =
  | { type: 'pick_place'; object: string; target: string }
  | { type: 'stack'; object: string; base: string }
  | { type: 'stack_all'; objects: string[] }
  | { type: 'push'; object: string; zone: string }
  | { type: 'sort'; color: string; objects: string[]; target: string; distractors: string[] }
  | { type: 'cable_route'; cable: string; clips: string[] }
  | { type: 'chain'; subtasks: Goal[] };

export type GoalType = Goal['type'];
