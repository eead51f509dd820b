import { UserError } from '../../src/errors.ts';
import type { Rng } from '../core/Rng.ts';
import type { ColorName } from '../scene/colors.ts';
import type { Layout, Split } from '../scene/Layout.ts';
import type { Scene } from '../scene/Scene.ts';
import type { SceneSpec } from '../scene/SceneSpec.ts';
import type { Goal } from './Goal.ts';

/** What a task template gets to build an episode with. */
export interface TaskBuildContext {
  scene: Scene;
  layout: Layout;
  /** The episode's RNG: every pose, colour and phrasing comes from it. */
  rng: Rng;
  spec: SceneSpec;
  split: Split;
  colors: ColorPool;
}

/** What a built episode asks for. */
export interface TaskSetup {
  goal: Goal;
  instruction: string;
}

/**
 * A task template, in the style of ManiSkill and robosuite: it loads its scene
 * objects and initialises the episode from the seeded RNG (`build`), and the
 * goal is checked by `evaluateGoal` (sim/tasks/evaluateGoal.ts).
 */
export interface TaskTemplate {
  /** Stable registry id. */
  id: string;
  description: string;
  /** Example phrasings, with {placeholders}. */
  phrasings: readonly string[];
  /** Sim time allowed per episode, s. */
  timeLimitSeconds(goal: Goal): number;
  build(ctx: TaskBuildContext): TaskSetup;
}

const REGISTRY = new Map<string, TaskTemplate>();

/** Registers a task template by its id. A duplicate id throws. */
export function registerTask(task: TaskTemplate): TaskTemplate {
  if (REGISTRY.has(task.id)) throw new Error(`task "${task.id}" is already registered`);
  REGISTRY.set(task.id, task);
  return task;
}

export function getTask(id: string): TaskTemplate {
  const t = REGISTRY.get(id);
  if (!t) throw new UserError(`unknown task "${id}"; known tasks: ${listTaskIds().join(', ')}`);
  return t;
}

export function listTaskIds(): string[] {
  return [...REGISTRY.keys()];
}

/** Hands out distinct colours per object kind from the split's palette. */
export class ColorPool {
  readonly #palette: readonly ColorName[];
  readonly #rng: Rng;
  readonly #used = new Map<string, Set<ColorName>>();

  constructor(palette: readonly ColorName[], rng: Rng) {
    this.#palette = palette;
    this.#rng = rng;
  }

  /** A colour not yet used for `kind`. */
  take(kind: string): ColorName {
    const used = this.#used.get(kind) ?? new Set<ColorName>();
    const free = this.#palette.filter((c) => !used.has(c));
    if (free.length === 0) throw new Error(`colour pool: no colour left for another ${kind}`);
    const c = this.#rng.pick(free);
    used.add(c);
    this.#used.set(kind, used);
    return c;
  }

  /** How many colours are still free for `kind`. */
  remaining(kind: string): number {
    const used = this.#used.get(kind);
    return this.#palette.filter((c) => !used?.has(c)).length;
  }

  /** Marks a colour used for `kind` (for colours picked on purpose). */
  claim(kind: string, color: ColorName): void {
    const used = this.#used.get(kind) ?? new Set<ColorName>();
    used.add(color);
    this.#used.set(kind, used);
  }
}

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`template "${template}": no value for {${k}}`);
    return v;
  });
}
