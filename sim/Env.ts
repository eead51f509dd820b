import type * as CANNON from 'cannon-es';
import { Quaternion, Vector3 } from 'three';
import { z } from 'zod';
import { checkJointCommand } from '../src/control/Limits.ts';
import { formatZodIssues, UserError } from '../src/errors.ts';
import { PhysicsWorld, type PhysicsWorldOptions } from './core/PhysicsWorld.ts';
import { Rng } from './core/Rng.ts';
import { hashFloat64 } from './core/stateHash.ts';
import { loadRobot, type RobotDescription } from './robot/RobotConfig.ts';
import { RobotTree } from './robot/RobotTree.ts';
import { type GraspAssistMode, SimRobot } from './robot/SimRobot.ts';
import { type Footprint, Layout, LayoutError, type Split } from './scene/Layout.ts';
import {
  parseRobotsSpec,
  type RobotPlacement,
  type RobotPlacementInput,
  SHARED_TABLE_TASKS,
} from './scene/RobotPlacement.ts';
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
  /**
   * Several robots on one table (sim/scene/RobotPlacement.ts): one physics world, one clock,
   * each arm with its own controllers, task and success checks, objects spawned within each
   * arm's reach. Replaces `robot`. @default one robot, `robot`, at its robot.yaml mount
   */
  robots?: readonly RobotPlacementInput[];
}

/** Footprint reserved around each robot base when objects are laid out, m. */
const BASE_RADIUS = 0.2;
/** Physics steps between two checks of the distance between different arms' links (20 Hz). */
const CLEARANCE_EVERY_STEPS = 12;

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
  /** The first arm's observation (the only arm's, on a one-robot table). */
  observation: Observation;
  instruction: string;
  goal: Goal;
  info: { task: string; seed: number; robot: string; split: Split; maxSteps: number };
  /** With several robots (EnvOptions.robots): each arm's own task, in placement order. */
  arms?: ArmReset[];
}

/** One arm's episode on a shared table. */
export interface ArmReset {
  /** The placement's name: the arm's namespace and tf frame prefix. */
  name: string;
  robot: string;
  task: string;
  instruction: string;
  goal: Goal;
  observation: Observation;
}

/** How close different arms' links came, from their bounding boxes (conservative). */
export interface ArmClearance {
  /** Smallest gap between two different arms' link bounding boxes so far, m (Infinity with one arm). */
  minGapMeters: number;
  /** Checks (20 Hz) at which two different arms' link bounding boxes overlapped. */
  overlaps: number;
}

interface BuiltEpisode {
  spec: SceneSpec;
  physics: PhysicsWorld;
  scene: Scene;
  arms: Array<{ robot: SimRobot; task: TaskTemplate; goal: Goal; instruction: string }>;
}

/** One arm of an episode: its robot, what it is asked to do, and its counters. */
export interface EnvArm {
  /** '' on a one-robot table; else the placement's name. */
  readonly name: string;
  readonly robot: SimRobot;
  readonly task: TaskTemplate;
  /** The goal the arm is judged on now (a switch replaces the reset's). */
  readonly goal: Goal;
  readonly instruction: string;
  /** The checks of the last step. */
  readonly lastChecks: Checks;
  /** Actions rejected / clamped so far. */
  readonly rejected: number;
  readonly clamped: number;
}

interface Arm extends EnvArm {
  goal: Goal;
  instruction: string;
  record: EpisodeRecord & { maxLift: Map<string, number> };
  /** Blocks whose rise is tracked each physics step, with the height it is measured from. */
  lifts: Array<{ id: string; body: CANNON.Body; z0: number }>;
  rejected: number;
  clamped: number;
  lastChecks: Checks;
  /** Scratch for validated joint targets. */
  q: Float64Array;
}

interface Episode {
  physics: PhysicsWorld;
  scene: Scene;
  arms: Arm[];
  maxSteps: number;
  spec: SceneSpec;
  disturber: Disturber | undefined;
  events: DisturbanceEvent[];
  clearance: ArmClearance;
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
  /** With several robots: each placement and its description (own tree, mount = its base). */
  readonly #placed: Array<{ placement: RobotPlacement; description: RobotDescription }> | undefined;
  #episode: Episode | undefined;
  #closed = false;

  constructor(options: EnvOptions = {}) {
    this.#options = options;
    if (options.robots) {
      const placements = parseRobotsSpec(options.robots, 'robots');
      this.#placed = placements.map((placement) => ({
        placement,
        description: placedDescription(loadRobot(placement.robot), placement),
      }));
      this.#robot = this.#placed[0]!.description;
    } else {
      this.#robot = typeof options.robot === 'object' ? options.robot : loadRobot(options.robot ?? 'ur5e');
    }
    const cHz = options.controlHz ?? 60;
    if (!(Number.isFinite(cHz) && cHz > 0))
      throw new UserError(`controlHz must be a positive number, got ${cHz}`);
  }

  /** The robot's description; with several robots, the first arm's (its mount is its base). */
  get robotDescription(): RobotDescription {
    return this.#robot;
  }

  /** Each arm's description, in placement order (one entry on a one-robot table). */
  get robotDescriptions(): RobotDescription[] {
    return this.#placed ? this.#placed.map((p) => p.description) : [this.#robot];
  }

  /** Arm names in placement order: [''] on a one-robot table. */
  get armNames(): string[] {
    return this.#placed ? this.#placed.map((p) => p.placement.name) : [''];
  }

  /** True when the env holds several placed robots (EnvOptions.robots). */
  get multiArm(): boolean {
    return this.#placed !== undefined;
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
    if (options.robot && this.#placed) {
      throw new UserError('reset: robot cannot be changed on a table of placed robots (EnvOptions.robots)');
    }
    if (options.robot) {
      this.#robot = loadRobot(options.robot); // throws for an unknown robot before anything changes
    }
    const split = options.split ?? 'seen';
    if (split !== 'seen' && split !== 'unseen')
      throw new UserError(`split must be "seen" or "unseen", got "${split}"`);
    const task = getTask(options.task);
    const description = this.#robot;
    if (this.#placed) {
      if (options.disturb && (options.disturb.perturb || options.disturb.switch)) {
        throw new UserError('disturbances (--perturb, --switch) need a one-robot table');
      }
      for (const { placement } of this.#placed) {
        const id = placement.task ?? options.task;
        getTask(id);
        if (!(SHARED_TABLE_TASKS as readonly string[]).includes(id)) {
          throw new UserError(
            `task "${id}" (robot ${placement.name}) cannot share a table: it places objects at fixed table positions; shared-table tasks: ${SHARED_TABLE_TASKS.join(', ')}`,
          );
        }
      }
    }
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
    const { physics, scene, spec: builtSpec } = built;
    const names = this.armNames;
    const arms: Arm[] = built.arms.map((a, i) => ({
      name: names[i]!,
      robot: a.robot,
      task: a.task,
      goal: a.goal,
      instruction: a.instruction,
      record: { maxLift: new Map(), subtasksCompleted: 0, cableSpacing: spec.cable.spacing },
      lifts: scene.objects
        .filter((o) => o.kind === 'block' && o.body)
        .map((o) => ({ id: o.id, body: o.body!, z0: o.body!.position.z })),
      rejected: 0,
      clamped: 0,
      lastChecks: { success: false },
      q: new Float64Array(a.robot.description.chain.dof),
    }));
    const limitSeconds = Math.max(...arms.map((a) => a.task.timeLimitSeconds(a.goal)));
    const maxSteps =
      options.timeLimit === false ? Number.POSITIVE_INFINITY : Math.round(limitSeconds / physics.dtSeconds);
    this.#episode = {
      physics,
      scene,
      arms,
      maxSteps,
      spec: builtSpec,
      disturber: undefined,
      events: [],
      clearance: { minGapMeters: Number.POSITIVE_INFINITY, overlaps: 0 },
    };
    if (options.disturb && (options.disturb.perturb || options.disturb.switch)) {
      this.#episode.disturber = new Disturber(
        this.#disturbed(this.#episode),
        options.seed,
        new Rng(options.seed).fork('disturb'),
        options.disturb,
      );
    }
    for (let i = 0; i < arms.length; i++) arms[i]!.lastChecks = this.evaluateArm(i);
    if (arms.length > 1) this.#checkClearance(this.#episode);
    const first = arms[0]!;
    const result: ResetResult = {
      observation: this.observe(),
      instruction: first.instruction,
      goal: first.goal,
      info: { task: first.task.id, seed: options.seed, robot: description.id, split, maxSteps },
    };
    if (this.#placed) {
      result.arms = arms.map((a, i) => ({
        name: a.name,
        robot: a.robot.description.id,
        task: a.task.id,
        instruction: a.instruction,
        goal: a.goal,
        observation: this.observeArm(i),
      }));
    }
    return result;
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
    const graspAssist = this.#options.graspAssist ?? 'cable';
    if (this.#placed) return this.#buildShared(task, spec, split, seed, attempt, physics, graspAssist);
    const robot = new SimRobot(description, physics, { graspAssist });
    const scene = new Scene(physics);
    const base = new Rng(seed);
    const rng = attempt === 0 ? base : base.fork(`layout-retry-${attempt}`);
    const layout = new Layout(spec, split, rng.fork('layout'));
    layout.reserve({ x: 0, y: 0, radius: BASE_RADIUS }); // the robot's base
    const palette = split === 'seen' ? spec.colors.seen : spec.colors.unseen;
    const { goal, instruction } = task.build({
      scene,
      layout,
      rng,
      spec,
      split,
      colors: new ColorPool(palette, rng.fork('colors')),
    });
    return { physics, scene, arms: [{ robot, task, goal, instruction }], spec };
  }

  /**
   * A shared table: every robot in one world, then each arm's task objects laid out in its own
   * reach (its placement's `reach`, in its base frame), clear of every base and of the other
   * arms' objects. Colours are drawn from one pool, so no two arms' objects of a kind share a
   * colour and each instruction names its objects unambiguously for every policy at the table.
   */
  #buildShared(
    defaultTask: TaskTemplate,
    spec: SceneSpec,
    split: Split,
    seed: number,
    attempt: number,
    physics: PhysicsWorld,
    graspAssist: GraspAssistMode,
  ): BuiltEpisode {
    const placed = this.#placed!;
    const robots = placed.map((p) => new SimRobot(p.description, physics, { graspAssist }));
    const scene = new Scene(physics);
    const base = new Rng(seed);
    const rng = attempt === 0 ? base : base.fork(`layout-retry-${attempt}`);
    const footprints: Footprint[] = placed.map(({ placement: p }) => ({
      x: p.base.xyz[0],
      y: p.base.xyz[1],
      radius: BASE_RADIUS,
    }));
    const palette = split === 'seen' ? spec.colors.seen : spec.colors.unseen;
    const colors = new ColorPool(palette, rng.fork('colors'));
    const arms = placed.map(({ placement: p }, i) => {
      const task = p.task ? getTask(p.task) : defaultTask;
      const layout = new Layout(spec, split, rng.fork(`layout/${p.name}`), {
        placed: footprints,
        frame: { x: p.base.xyz[0], y: p.base.xyz[1], yaw: p.base.yaw },
        ...(p.reach ? { workspace: p.reach } : {}),
      });
      let setup: { goal: Goal; instruction: string };
      try {
        setup = task.build({ scene, layout, rng: rng.fork(`task/${p.name}`), spec, split, colors });
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('colour pool')) {
          throw new UserError(
            `robot ${p.name}: ${err.message}: the arms' tasks need more distinct colours than the scene's ${split} palette has (${palette.length}); give an arm a task with fewer objects`,
          );
        }
        throw err;
      }
      return { robot: robots[i]!, task, ...setup };
    });
    return { physics, scene, arms, spec };
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
    if (ep.arms.length > 1) throw new Error('SimEnv: several robots; use actArms() with one action per arm');
    const r = this.actArms([action]);
    return { info: r.infos[0]!, terminated: r.terminated, truncated: r.truncated };
  }

  /**
   * One action per arm (placement order), then `substeps` physics steps of the one shared
   * world. `terminated` when every arm's task succeeds.
   */
  actArms(actions: readonly unknown[]): { infos: StepInfo[]; terminated: boolean; truncated: boolean } {
    const ep = this.#requireEpisode();
    if (actions.length !== ep.arms.length) {
      throw new Error(`SimEnv: expected ${ep.arms.length} actions (one per arm), got ${actions.length}`);
    }
    const partial: Array<Partial<StepInfo>> = ep.arms.map(() => ({}));
    for (let i = 0; i < ep.arms.length; i++) this.#applyAction(ep.arms[i]!, actions[i], partial[i]!);
    for (let i = 0; i < this.substeps && ep.physics.steps < ep.maxSteps; i++) this.#physicsStep(ep);
    if (ep.disturber) this.#disturb(ep, ep.disturber);
    let terminated = true;
    const infos = ep.arms.map((arm, i): StepInfo => {
      const checks = this.evaluateArm(i);
      arm.lastChecks = checks;
      terminated &&= checks.success;
      return {
        ...partial[i],
        checks,
        steps: ep.physics.steps,
        commandsRejected: arm.rejected,
        commandsClamped: arm.clamped,
      };
    });
    const truncated = !terminated && ep.physics.steps >= ep.maxSteps;
    return { infos, terminated, truncated };
  }

  /** The episode's arms, in placement order (one on a one-robot table). */
  get arms(): readonly EnvArm[] {
    return this.#requireEpisode().arms;
  }

  /** How close different arms' links have come this episode (20 Hz checks of bounding boxes). */
  get armClearance(): Readonly<ArmClearance> {
    return this.#requireEpisode().clearance;
  }

  /** Disturbances applied so far this episode (see ResetOptions.disturb), oldest first. */
  get events(): readonly DisturbanceEvent[] {
    return this.#requireEpisode().events;
  }

  /** The instruction the episode is judged on now (a switch replaces the reset's); the first arm's. */
  get instruction(): string {
    return this.#requireEpisode().arms[0]!.instruction;
  }

  /** The goal the episode is judged on now (a switch replaces the reset's); the first arm's. */
  get goal(): Goal {
    return this.#requireEpisode().arms[0]!.goal;
  }

  /** The episode's simulated robot (for the sim node: link poses, gripper state); the first arm's. */
  get robot(): SimRobot {
    return this.#requireEpisode().arms[0]!.robot;
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

  /**
   * The task's named checks for the current state. With several robots: `success` when every
   * arm's task succeeds, `armsSucceeded`, and each arm's checks as `<name>.<check>`.
   */
  evaluate(): Checks {
    const ep = this.#requireEpisode();
    if (ep.arms.length === 1 && !this.#placed) return this.evaluateArm(0);
    const out: Checks = { success: true, armsSucceeded: 0 };
    ep.arms.forEach((arm, i) => {
      const checks = this.evaluateArm(i);
      if (checks.success) (out.armsSucceeded as number)++;
      else out.success = false;
      for (const [k, v] of Object.entries(checks)) out[`${arm.name}.${k}`] = v;
    });
    return out;
  }

  /** One arm's task checks for the current state. */
  evaluateArm(index: number): Checks {
    const ep = this.#requireEpisode();
    const arm = this.#arm(ep, index);
    return evaluateGoal(arm.goal, ep.scene, arm.robot, arm.record);
  }

  /** The first arm's observation (the only arm's on a one-robot table). */
  observe(): Observation {
    return this.observeArm(0);
  }

  /** What one arm's policy observes: its joints, tcp and gripper, and every object on the table. */
  observeArm(index: number): Observation {
    const ep = this.#requireEpisode();
    const robot = this.#arm(ep, index).robot;
    const p = new Vector3();
    const q = new Quaternion();
    robot.tcpPose(p, q);
    return {
      time: ep.physics.timeSeconds,
      joints: {
        names: [...robot.jointNames],
        position: Array.from(robot.arm.position),
        velocity: Array.from(robot.arm.velocity),
      },
      ee: { position: [p.x, p.y, p.z], quaternion: [q.x, q.y, q.z, q.w] },
      gripper: { width: robot.gripper.width, grasping: robot.gripper.grasping },
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
    const first = ep.arms[0]!;
    const total = first.goal.type === 'chain' ? first.goal.subtasks.length : 1;
    const done =
      first.goal.type === 'chain' ? first.record.subtasksCompleted : first.lastChecks.success ? 1 : 0;
    return {
      steps: ep.physics.steps,
      simTimeSeconds: ep.physics.timeSeconds,
      stateHash: this.stateHash(),
      commandsRejected: first.rejected,
      commandsClamped: first.clamped,
      subtasksCompleted: done,
      subtasksTotal: total,
      graspAssists: first.robot.gripper.assists,
      instruction: first.instruction,
      goal: first.goal,
    };
  }

  /**
   * Hash of every body's pose and velocity, each arm's joint state and gripper opening
   * (placement order), and the step count.
   */
  stateHash(): string {
    const ep = this.#requireEpisode();
    const bodies = ep.physics.world.bodies;
    let armValues = 0;
    for (const a of ep.arms) armValues += a.robot.arm.dof * 2 + 1;
    const values = new Float64Array(bodies.length * 13 + armValues + 1);
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
    for (const a of ep.arms) {
      const arm = a.robot.arm;
      values.set(arm.position, k);
      values.set(arm.velocity, k + arm.dof);
      values[k + 2 * arm.dof] = a.robot.gripper.width;
      k += 2 * arm.dof + 1;
    }
    values[k] = ep.physics.steps;
    return hashFloat64(values);
  }

  close(): void {
    this.#episode = undefined;
    this.#closed = true;
  }

  #applyAction(ep: Arm, action: unknown, info: Partial<StepInfo>): void {
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
      const check = checkJointCommand(ep.robot.jointNames, parsed.data.joints, chain, ep.q, 'action.joints');
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
    ep.robot.commandJoints(ep.q);
    ep.robot.commandGripper(parsed.data.gripper);
  }

  #physicsStep(ep: Episode): void {
    for (const arm of ep.arms) arm.robot.beforeStep();
    ep.physics.step();
    for (const arm of ep.arms) arm.robot.afterStep(ep.physics.world.contacts);
    for (const arm of ep.arms) {
      for (const l of arm.lifts) {
        const lift = l.body.position.z - l.z0;
        if (lift > (arm.record.maxLift.get(l.id) ?? 0)) arm.record.maxLift.set(l.id, lift);
      }
      if (arm.goal.type === 'chain' && ep.physics.steps % 12 === 0) {
        const next = arm.goal.subtasks[arm.record.subtasksCompleted];
        if (next && evaluateGoal(next, ep.scene, arm.robot, arm.record).success) {
          arm.record.subtasksCompleted++;
          // Lifts count per subtask: a push is judged on what happened since it began.
          for (const l of arm.lifts) {
            l.z0 = l.body.position.z;
            arm.record.maxLift.set(l.id, 0);
          }
        }
      }
    }
    if (ep.arms.length > 1 && ep.physics.steps % CLEARANCE_EVERY_STEPS === 0) this.#checkClearance(ep);
  }

  /**
   * The arms' links do not collide with each other in the physics (robot bodies touch only
   * objects), so the sim watches their separation instead: the gap between the bounding boxes
   * of every pair of links of different arms. Boxes enclose the links, so a positive gap proves
   * the arms are apart.
   */
  #checkClearance(ep: Episode): void {
    let min = ep.clearance.minGapMeters;
    let overlapped = false;
    for (let a = 0; a < ep.arms.length; a++) {
      for (let b = a + 1; b < ep.arms.length; b++) {
        for (const ba of ep.arms[a]!.robot.articulation.bodies.values()) {
          ba.updateAABB();
          for (const bb of ep.arms[b]!.robot.articulation.bodies.values()) {
            bb.updateAABB();
            const gap = aabbGap(ba.aabb, bb.aabb);
            if (gap < min) min = gap;
            if (gap === 0) overlapped = true;
          }
        }
      }
    }
    ep.clearance.minGapMeters = min;
    if (overlapped) ep.clearance.overlaps++;
  }

  #disturbed(ep: Episode) {
    const arm = ep.arms[0]!;
    return {
      scene: ep.scene,
      robot: arm.robot,
      spec: ep.spec,
      goal: arm.goal,
      timeSeconds: ep.physics.timeSeconds,
      cableSpacing: arm.record.cableSpacing,
    };
  }

  #disturb(ep: Episode, disturber: Disturber): void {
    const event = disturber.check(this.#disturbed(ep));
    if (!event) return;
    ep.events.push(event);
    if (event.kind === 'switch' && event.goal && event.instruction) {
      const arm = ep.arms[0]!;
      arm.goal = event.goal;
      arm.instruction = event.instruction;
      // The new goal gets its full time from now.
      const steps = Math.round(arm.task.timeLimitSeconds(event.goal) / ep.physics.dtSeconds);
      ep.maxSteps = Math.max(ep.maxSteps, ep.physics.steps + steps);
    }
  }

  #arm(ep: Episode, index: number): Arm {
    const arm = ep.arms[index];
    if (!arm) throw new RangeError(`SimEnv: no arm ${index}; the table has ${ep.arms.length}`);
    return arm;
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

/** Gap between two bounding boxes, m (0 when they overlap). */
function aabbGap(a: CANNON.AABB, b: CANNON.AABB): number {
  const dx = Math.max(0, a.lowerBound.x - b.upperBound.x, b.lowerBound.x - a.upperBound.x);
  const dy = Math.max(0, a.lowerBound.y - b.upperBound.y, b.lowerBound.y - a.upperBound.y);
  const dz = Math.max(0, a.lowerBound.z - b.upperBound.z, b.lowerBound.z - a.upperBound.z);
  return Math.hypot(dx, dy, dz);
}

/**
 * A robot's description as placed on a shared table: its mount is the placement's base, and it
 * has a kinematic tree of its own (the cached description's tree is shared by every user of it,
 * and two arms of one model must not overwrite each other's link poses).
 */
export function placedDescription(
  description: RobotDescription,
  placement: RobotPlacement,
): RobotDescription {
  return {
    ...description,
    config: {
      ...description.config,
      mount: { xyz: [...placement.base.xyz], rpy: [0, 0, placement.base.yaw] },
    },
    tree: new RobotTree(description.urdf),
  };
}

/** Creates a headless environment. */
export function createEnv(options: EnvOptions = {}): SimEnv {
  return new SimEnv(options);
}
