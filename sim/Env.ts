import type * as CANNON from 'cannon-es';
import { Quaternion, Vector3 } from 'three';
import { z } from 'zod';
import { checkJointCommand } from '../src/control/Limits.ts';
import { formatZodIssues, UserError } from '../src/errors.ts';
import { PhysicsWorld, type PhysicsWorldOptions } from './core/PhysicsWorld.ts';
import { Rng } from './core/Rng.ts';
import { hashFloat64 } from './core/stateHash.ts';
import { loadRobot, type RobotDescription } from './robot/RobotConfig.ts';
import { type GraspAssistMode, SimRobot } from './robot/SimRobot.ts';
import { Layout, LayoutError, type Split } from './scene/Layout.ts';
import { Scene } from './scene/Scene.ts';
import {
  bodyPosition,
  bodyQuaternion,
  objectPosition,
  objectYaw,
  type Quat,
  type Vec3,
} from './scene/SceneObject.ts';
import { getScene, type SceneSpec } from './scene/SceneSpec.ts';
import { type DisturbanceEvent, type DisturbanceOptions, Disturber } from './tasks/disturbances.ts';
import { type Checks, type EpisodeRecord, evaluateGoal } from './tasks/evaluateGoal.ts';
import type { Goal } from './tasks/Goal.ts';
import './tasks/index.ts';
import { ColorPool, getTask, type TaskTemplate } from './tasks/Task.ts';

/** An object as the observation reports it (ground truth; a perception node would estimate it). */
export interface ObjectObservation {
  id: string;
  kind: 'block' | 'bowl' | 'zone' | 'cable' | 'clip';
  color: string;
  className: string;
  /** Bounding box, m. */
  size: Vec3;
  position: Vec3;
  quaternion: Quat;
  /** Rotation about world z, rad. */
  yaw: number;
  /** Bowls: inner side length, m. */
  innerSize?: number;
  /** Clips: label and slot width, m. */
  label?: string;
  slotWidth?: number;
  /** Cables: segment centres from the fixed end, and their radius, m. */
  segments?: Vec3[];
  segmentRadius?: number;
}

export interface Observation {
  /** Sim time, s. */
  time: number;
  joints: { names: string[]; position: number[]; velocity: number[] };
  /** Tool centre point, world frame. */
  ee: { position: Vec3; quaternion: Quat };
  /** Opening between the pads, m; `grasping` is true while stalled on an object. */
  gripper: { width: number; grasping: boolean };
  objects: ObjectObservation[];
}

/** An action: arm joint position targets (robot.yaml order) and a gripper opening. */
export const ActionSchema = z
  .object({
    /** rad (m for prismatic joints), one per arm joint. */
    joints: z.array(z.number().or(z.nan())),
    /** Opening between the pads, m. */
    gripper: z.number().or(z.nan()),
  })
  .strict();
export type Action = z.infer<typeof ActionSchema>;

export interface StepResult {
  observation: Observation;
  /** 1 when the task's success check holds, else 0. */
  reward: number;
  /** The task succeeded. */
  terminated: boolean;
  /** The step limit was reached. */
  truncated: boolean;
  done: boolean;
  info: StepInfo;
}

export interface StepInfo {
  checks: Checks;
  steps: number;
  /** Set when this step's action was rejected (and the previous targets held). */
  commandError?: string;
  /** Joints whose targets were clamped to their limits this step. */
  clamped?: string[];
  commandsRejected: number;
  commandsClamped: number;
}

export interface EnvOptions {
  /** Robot id (a folder of robots/), or a loaded description (see loadRobot). @default 'ur5e' */
  robot?: string | RobotDescription;
  /** Scene spec or built-in scene name. @default 'tabletop' */
  scene?: SceneSpec | string;
  physics?: PhysicsWorldOptions;
  /** Actions per second; each action is held for physicsHz / controlHz steps. @default 60 */
  controlHz?: number;
  /**
   * Sim-only grasp assist. 'cable' welds a pinched cable segment to the pad, because
   * friction alone lets it creep out under the hanging cable's weight; blocks always
   * hold by friction. Engagements are counted in `summary().graspAssists`. @default 'cable'
   */
  graspAssist?: GraspAssistMode;
}

export interface ResetOptions {
  task: string;
  seed: number;
  /** Overrides the env's robot for this and later episodes. */
  robot?: string;
  /** @default 'seen' */
  split?: Split;
  /**
   * Mid-episode disturbances (robustness evaluation): a perturbation of the world and/or an
   * instruction switch, once each; see sim/tasks/disturbances.ts. What happened is in
   * `events`; a switch changes the goal the episode is judged on.
   */
  disturb?: DisturbanceOptions;
  /**
   * Stop stepping at the task's time limit (an episode ends there). Off for interactive
   * use (`simbridge up`), where the sim runs on until the next reset. @default true
   */
  timeLimit?: boolean;
}

export interface ResetResult {
  observation: Observation;
  instruction: string;
  goal: Goal;
  info: { task: string; seed: number; robot: string; split: Split; maxSteps: number };
}

interface BuiltEpisode {
  spec: SceneSpec;
  physics: PhysicsWorld;
  robot: SimRobot;
  scene: Scene;
  goal: Goal;
  instruction: string;
}

interface Episode {
  physics: PhysicsWorld;
  robot: SimRobot;
  scene: Scene;
  task: TaskTemplate;
  goal: Goal;
  instruction: string;
  maxSteps: number;
  record: EpisodeRecord & { maxLift: Map<string, number> };
  /** Blocks whose rise is tracked each physics step, with the height it is measured from. */
  lifts: Array<{ id: string; body: CANNON.Body; z0: number }>;
  rejected: number;
  clamped: number;
  lastChecks: Checks;
  spec: SceneSpec;
  disturber: Disturber | undefined;
  events: DisturbanceEvent[];
}

/**
 * A Gymnasium-style environment over the simulator, for headless tests.
 * `reset` builds a seeded episode; `step` applies one action; `evaluate` returns the
 * task's named checks. Invalid actions never throw: they are rejected (NaN, wrong
 * length) or clamped (out of limits), counted, and reported in `info`.
 */
export class SimEnv {
  readonly #options: EnvOptions;
  #robot: RobotDescription;
  #episode: Episode | undefined;
  #closed = false;
  /** Scratch for validated joint targets. */
  #q = new Float64Array(16);

  constructor(options: EnvOptions = {}) {
    this.#options = options;
    this.#robot = typeof options.robot === 'object' ? options.robot : loadRobot(options.robot ?? 'ur5e');
    const cHz = options.controlHz ?? 60;
    if (!(Number.isFinite(cHz) && cHz > 0))
      throw new UserError(`controlHz must be a positive number, got ${cHz}`);
  }

  get robotDescription(): RobotDescription {
    return this.#robot;
  }

  /** Physics steps per action. */
  get substeps(): number {
    const dt = this.#options.physics?.dtSeconds ?? 1 / 240;
    return Math.max(1, Math.round(1 / dt / (this.#options.controlHz ?? 60)));
  }

  reset(options: ResetOptions): ResetResult {
    this.#assertOpen();
    if (!Number.isInteger(options.seed) || options.seed < 0) {
      throw new UserError(`seed must be a non-negative integer, got ${options.seed}`);
    }
    if (options.robot) {
      this.#robot = loadRobot(options.robot); // throws for an unknown robot before anything changes
    }
    const split = options.split ?? 'seen';
    if (split !== 'seen' && split !== 'unseen')
      throw new UserError(`split must be "seen" or "unseen", got "${split}"`);
    const task = getTask(options.task);
    const description = this.#robot;
    this.#q = new Float64Array(description.chain.dof);
    const spec =
      typeof this.#options.scene === 'object'
        ? this.#options.scene
        : getScene(this.#options.scene ?? 'tabletop');

    // A scene too crowded to lay out is drawn again from a seeded fork of the episode's
    // RNG (deterministic), a bounded number of times.
    let built: BuiltEpisode | undefined;
    for (let attempt = 0; !built; attempt++) {
      try {
        built = this.#build(task, description, spec, split, options.seed, attempt);
      } catch (err) {
        if (!(err instanceof LayoutError) || attempt >= 9) throw err;
      }
    }
    const { physics, robot, scene, goal, instruction, spec: builtSpec } = built;
    const lifts = scene.objects
      .filter((o) => o.kind === 'block' && o.body)
      .map((o) => ({ id: o.id, body: o.body!, z0: o.body!.position.z }));
    const maxSteps =
      options.timeLimit === false
        ? Number.POSITIVE_INFINITY
        : Math.round(task.timeLimitSeconds(goal) / physics.dtSeconds);
    this.#episode = {
      physics,
      robot,
      scene,
      task,
      goal,
      instruction,
      maxSteps,
      record: { maxLift: new Map(), subtasksCompleted: 0, cableSpacing: spec.cable.spacing },
      lifts,
      rejected: 0,
      clamped: 0,
      lastChecks: { success: false },
      spec: builtSpec,
      disturber: undefined,
      events: [],
    };
    if (options.disturb && (options.disturb.perturb || options.disturb.switch)) {
      this.#episode.disturber = new Disturber(
        this.#disturbed(this.#episode),
        options.seed,
        new Rng(options.seed).fork('disturb'),
        options.disturb,
      );
    }
    this.#episode.lastChecks = this.evaluate();
    return {
      observation: this.observe(),
      instruction,
      goal,
      info: { task: task.id, seed: options.seed, robot: description.id, split, maxSteps },
    };
  }

  #build(
    task: TaskTemplate,
    description: RobotDescription,
    spec: SceneSpec,
    split: Split,
    seed: number,
    attempt: number,
  ): BuiltEpisode {
    const physics = new PhysicsWorld(this.#options.physics);
    const robot = new SimRobot(description, physics, { graspAssist: this.#options.graspAssist ?? 'cable' });
    const scene = new Scene(physics);
    const base = new Rng(seed);
    const rng = attempt === 0 ? base : base.fork(`layout-retry-${attempt}`);
    const layout = new Layout(spec, split, rng.fork('layout'));
    layout.reserve({ x: 0, y: 0, radius: 0.2 }); // the robot's base
    const palette = split === 'seen' ? spec.colors.seen : spec.colors.unseen;
    const { goal, instruction } = task.build({
      scene,
      layout,
      rng,
      spec,
      split,
      colors: new ColorPool(palette, rng.fork('colors')),
    });
    return { physics, robot, scene, goal, instruction, spec };
  }

  step(action: unknown): StepResult {
    const { info, terminated, truncated } = this.act(action);
    return {
      observation: this.observe(),
      reward: terminated ? 1 : 0,
      terminated,
      truncated,
      done: terminated || truncated,
      info,
    };
  }

  /**
   * `step()` without building the observation: applies the action, steps
   * `substeps` physics steps and evaluates the task. For adapters (the sim node)
   * that publish observations at their own rates.
   */
  act(action: unknown): { info: StepInfo; terminated: boolean; truncated: boolean } {
    const ep = this.#requireEpisode();
    const info: Partial<StepInfo> = {};
    this.#applyAction(ep, action, info);
    for (let i = 0; i < this.substeps && ep.physics.steps < ep.maxSteps; i++) this.#physicsStep(ep);
    if (ep.disturber) this.#disturb(ep, ep.disturber);
    const checks = this.evaluate();
    ep.lastChecks = checks;
    const terminated = checks.success;
    const truncated = !terminated && ep.physics.steps >= ep.maxSteps;
    return {
      info: {
        ...info,
        checks,
        steps: ep.physics.steps,
        commandsRejected: ep.rejected,
        commandsClamped: ep.clamped,
      },
      terminated,
      truncated,
    };
  }

  /** Disturbances applied so far this episode (see ResetOptions.disturb), oldest first. */
  get events(): readonly DisturbanceEvent[] {
    return this.#requireEpisode().events;
  }

  /** The instruction the episode is judged on now (a switch replaces the reset's). */
  get instruction(): string {
    return this.#requireEpisode().instruction;
  }

  /** The goal the episode is judged on now (a switch replaces the reset's). */
  get goal(): Goal {
    return this.#requireEpisode().goal;
  }

  /** The episode's simulated robot (for the sim node: link poses, gripper state). */
  get robot(): SimRobot {
    return this.#requireEpisode().robot;
  }

  /** The episode's objects and table (for cameras and viewers: shapes and bodies). */
  get scene(): Scene {
    return this.#requireEpisode().scene;
  }

  /** Sim time, s. */
  get timeSeconds(): number {
    return this.#requireEpisode().physics.timeSeconds;
  }

  /** The physics step, s. */
  get dtSeconds(): number {
    return this.#requireEpisode().physics.dtSeconds;
  }

  /** The task's named checks for the current state. */
  evaluate(): Checks {
    const ep = this.#requireEpisode();
    return evaluateGoal(ep.goal, ep.scene, ep.robot, ep.record);
  }

  observe(): Observation {
    const ep = this.#requireEpisode();
    const p = new Vector3();
    const q = new Quaternion();
    ep.robot.tcpPose(p, q);
    return {
      time: ep.physics.timeSeconds,
      joints: {
        names: [...ep.robot.jointNames],
        position: Array.from(ep.robot.arm.position),
        velocity: Array.from(ep.robot.arm.velocity),
      },
      ee: { position: [p.x, p.y, p.z], quaternion: [q.x, q.y, q.z, q.w] },
      gripper: { width: ep.robot.gripper.width, grasping: ep.robot.gripper.grasping },
      objects: ep.scene.objects.map((o): ObjectObservation => {
        const base: ObjectObservation = {
          id: o.id,
          kind: o.kind,
          color: o.color,
          className: o.className,
          size: [...o.size],
          position: objectPosition(o),
          quaternion: o.body
            ? bodyQuaternion(o.body)
            : [0, 0, Math.sin((o.pose?.yaw ?? 0) / 2), Math.cos((o.pose?.yaw ?? 0) / 2)],
          yaw: objectYaw(o),
        };
        if (o.innerSize !== undefined) base.innerSize = o.innerSize;
        if (o.kind === 'clip') {
          base.label = o.label;
          base.slotWidth = o.slotWidth;
        }
        if (o.segments) {
          base.segments = o.segments.map(bodyPosition);
          base.segmentRadius = o.size[1] / 2;
        }
        return base;
      }),
    };
  }

  /** Episode facts for results: counts, time, the final-state hash. */
  summary(): {
    steps: number;
    simTimeSeconds: number;
    stateHash: string;
    commandsRejected: number;
    commandsClamped: number;
    subtasksCompleted: number;
    subtasksTotal: number;
    graspAssists: number;
    instruction: string;
    goal: Goal;
  } {
    const ep = this.#requireEpisode();
    const total = ep.goal.type === 'chain' ? ep.goal.subtasks.length : 1;
    const done = ep.goal.type === 'chain' ? ep.record.subtasksCompleted : ep.lastChecks.success ? 1 : 0;
    return {
      steps: ep.physics.steps,
      simTimeSeconds: ep.physics.timeSeconds,
      stateHash: this.stateHash(),
      commandsRejected: ep.rejected,
      commandsClamped: ep.clamped,
      subtasksCompleted: done,
      subtasksTotal: total,
      graspAssists: ep.robot.gripper.assists,
      instruction: ep.instruction,
      goal: ep.goal,
    };
  }

  /** Hash of every body's pose and velocity, the joint state and the step count. */
  stateHash(): string {
    const ep = this.#requireEpisode();
    const bodies = ep.physics.world.bodies;
    const arm = ep.robot.arm;
    const values = new Float64Array(bodies.length * 13 + arm.dof * 2 + 2);
    let k = 0;
    for (const b of bodies) {
      for (const v of [b.position, b.velocity, b.angularVelocity]) {
        values[k++] = v.x;
        values[k++] = v.y;
        values[k++] = v.z;
      }
      values[k++] = b.quaternion.x;
      values[k++] = b.quaternion.y;
      values[k++] = b.quaternion.z;
      values[k++] = b.quaternion.w;
    }
    values.set(arm.position, k);
    values.set(arm.velocity, k + arm.dof);
    values[k + 2 * arm.dof] = ep.robot.gripper.width;
    values[k + 2 * arm.dof + 1] = ep.physics.steps;
    return hashFloat64(values);
  }

  close(): void {
    this.#episode = undefined;
    this.#closed = true;
  }

  #applyAction(ep: Episode, action: unknown, info: Partial<StepInfo>): void {
    // The common, well-formed action skips zod (a hot path); anything else gets zod's
    // verdict and its error message.
    const parsed = isPlainAction(action)
      ? { success: true as const, data: action }
      : ActionSchema.safeParse(action, { reportInput: true });
    if (!parsed.success) {
      ep.rejected++;
      info.commandError = `action: ${formatZodIssues(parsed.error.issues)}`;
      return;
    }
    const { chain } = ep.robot.description;
    try {
      const check = checkJointCommand(
        ep.robot.jointNames,
        parsed.data.joints,
        chain,
        this.#q,
        'action.joints',
      );
      if (!Number.isFinite(parsed.data.gripper)) {
        throw new UserError(`gripper opening ${parsed.data.gripper} is not finite`, {
          source: 'action.gripper',
        });
      }
      if (check.clampedCount > 0) {
        ep.clamped++;
        info.clamped = [...check.clamped];
      }
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ep.rejected++;
      info.commandError = err.message;
      return;
    }
    ep.robot.commandJoints(this.#q);
    ep.robot.commandGripper(parsed.data.gripper);
  }

  #physicsStep(ep: Episode): void {
    ep.robot.beforeStep();
    ep.physics.step();
    ep.robot.afterStep(ep.physics.world.contacts);
    for (const l of ep.lifts) {
      const lift = l.body.position.z - l.z0;
      if (lift > (ep.record.maxLift.get(l.id) ?? 0)) ep.record.maxLift.set(l.id, lift);
    }
    if (ep.goal.type === 'chain' && ep.physics.steps % 12 === 0) {
      const next = ep.goal.subtasks[ep.record.subtasksCompleted];
      if (next && evaluateGoal(next, ep.scene, ep.robot, ep.record).success) {
        ep.record.subtasksCompleted++;
        // Lifts count per subtask: a push is judged on what happened since it began.
        for (const l of ep.lifts) {
          l.z0 = l.body.position.z;
          ep.record.maxLift.set(l.id, 0);
        }
      }
    }
  }

  #disturbed(ep: Episode) {
    return {
      scene: ep.scene,
      robot: ep.robot,
      spec: ep.spec,
      goal: ep.goal,
      timeSeconds: ep.physics.timeSeconds,
      cableSpacing: ep.record.cableSpacing,
    };
  }

  #disturb(ep: Episode, disturber: Disturber): void {
    const event = disturber.check(this.#disturbed(ep));
    if (!event) return;
    ep.events.push(event);
    if (event.kind === 'switch' && event.goal && event.instruction) {
      ep.goal = event.goal;
      ep.instruction = event.instruction;
      // The new goal gets its full time from now.
      const steps = Math.round(ep.task.timeLimitSeconds(event.goal) / ep.physics.dtSeconds);
      ep.maxSteps = Math.max(ep.maxSteps, ep.physics.steps + steps);
    }
  }

  #requireEpisode(): Episode {
    this.#assertOpen();
    if (!this.#episode) throw new Error('SimEnv: call reset() before step(), evaluate() or observe()');
    return this.#episode;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('SimEnv: the env is closed');
  }
}

/** `{ joints: number[], gripper: number }` with no other keys: what ActionSchema accepts. */
function isPlainAction(a: unknown): a is Action {
  if (typeof a !== 'object' || a === null || Object.getPrototypeOf(a) !== Object.prototype) return false;
  const o = a as Record<string, unknown>;
  let keys = 0;
  for (const k in o) {
    if (k !== 'joints' && k !== 'gripper') return false;
    keys++;
  }
  if (keys !== 2 || typeof o.gripper !== 'number' || !Array.isArray(o.joints)) return false;
  for (const v of o.joints) if (typeof v !== 'number') return false;
  return true;
}

/** Creates a headless environment. */
export function createEnv(options: EnvOptions = {}): SimEnv {
  return new SimEnv(options);
}
