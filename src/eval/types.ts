import type { DisturbanceEvent } from '../../sim/tasks/disturbances.ts';

/** One episode to run: everything needed to reproduce it. */
export interface EpisodeSpec {
  /** Task id from the task registry, e.g. 'pick_place'. */
  task: string;
  /** Robot id from robots/, e.g. 'ur5e'. */
  robot: string;
  /** Episode seed. Same spec, same episode, bit for bit. */
  seed: number;
  /** Policy id. 'oracle' is the privileged scripted expert. */
  policy: string;
  /** Seen or unseen split of colours and positions. @default 'seen' */
  split: 'seen' | 'unseen';
  /** Position of this episode in the whole evaluation (before sharding). */
  index: number;
  /** Scene: a built-in name or a scene-spec YAML path. @default 'tabletop' */
  scene?: string;
  /** For the `language` policy: an instruction replacing the task's own text (the goal stays the task's). */
  instruction?: string;
  /** For the `language` policy: plan with this OpenAI-compatible LLM endpoint instead of the rules. */
  llm?: { baseURL: string; model: string };
  /** Perturb the world once mid-episode (knock the held block away, move the target, unclip the cable). */
  perturb?: boolean;
  /** Switch the instruction once mid-episode; the episode is judged on the new goal. */
  switch?: boolean;
  /** Record every topic of the episode to this MCAP file (graph policies only). */
  record?: string;
  /**
   * Where the policy's /detections come from: the sim's ground truth, or a perception node
   * on the sim camera's RGB-D images (graph policies only). @default 'ground-truth'
   */
  perception?: Perception;
}

/** Sources of /detections: `simbridge run/eval --perception`. */
export const PERCEPTION_SOURCES = ['ground-truth', 'camera'] as const;
export type Perception = (typeof PERCEPTION_SOURCES)[number];

/** What one episode produced. Every field but `wallTimeSeconds` is deterministic. */
export interface EpisodeResult {
  task: string;
  robot: string;
  seed: number;
  policy: string;
  split: 'seen' | 'unseen';
  index: number;
  instruction: string;
  /** The task's structured goal. */
  goal: unknown;
  success: boolean;
  /** Named success checks from task.evaluate(). */
  checks: Record<string, boolean | number>;
  /** Physics steps taken. */
  steps: number;
  /** Sim time at the end, seconds. */
  simTimeSeconds: number;
  /** Wall-clock time spent stepping, seconds. Not deterministic. */
  wallTimeSeconds: number;
  /** Hash of the final state (all body poses, joint positions), hex. */
  stateHash: string;
  /** For chains: subtasks completed in order, and how many there were. */
  subtasksCompleted: number;
  subtasksTotal: number;
  /** Times a sim-only grasp assist was engaged (0 when it is off). */
  graspAssists: number;
  /** Joint commands rejected (NaN, wrong length) or clamped to limits. */
  commandsRejected: number;
  commandsClamped: number;
  /** Language policies: the plan the instruction gave, and the policy's final status. */
  plan?: unknown;
  status?: unknown;
  /** Why the policy gave up, if it did (the episode then fails). */
  policyFailure?: string;
  /** Language policies: step attempts repeated after a failure, and corrective actions taken. */
  retries?: number;
  recoveries?: number;
  /** The instruction gave no plan (planner failure). */
  plannerFailure?: boolean;
  /** Disturbances applied (--perturb, --switch), in order; a switch names the new goal. */
  disturbances?: DisturbanceEvent[];
  /** Set when the episode could not run; success is then false. */
  error?: string;
}
