/**
 * sim.step: physics steps per second of the standard scene (UR5e + 6 objects at
 * 240 Hz) driven through `env.step`, against plain cannon-es stepping the same
 * bodies in the same run.
 *
 * - simbridge: `env.step({ joints, gripper })` streams a slow sinusoid around the
 *   home pose; each call runs `env.substeps` physics steps plus the joint
 *   controller, the kinematic articulation, the gripper and the success checks.
 * - baseline: the episode's bodies, cloned into a fresh `CANNON.World` with the
 *   same solver and contact settings, stepped by `world.step(dt)` alone; the arm's
 *   kinematic links get a small angular velocity each step.
 *
 * The env keeps its physics world private, so the baseline rebuilds the episode from
 * the same parts `SimEnv.reset` uses and checks that its objects sit where the env's do.
 * Phases alternate (baseline, sim, baseline, ...) and the medians are reported.
 */
import * as CANNON from 'cannon-es';
import { PhysicsWorld } from '../sim/core/PhysicsWorld.ts';
import { Rng } from '../sim/core/Rng.ts';
import { createEnv, type SimEnv } from '../sim/Env.ts';
import { loadRobot } from '../sim/robot/RobotConfig.ts';
import { SimRobot } from '../sim/robot/SimRobot.ts';
import { Layout } from '../sim/scene/Layout.ts';
import { Scene } from '../sim/scene/Scene.ts';
import { getScene } from '../sim/scene/SceneSpec.ts';
import '../sim/tasks/index.ts';
import { ColorPool, getTask } from '../sim/tasks/Task.ts';
import type { BenchOptions } from './run.ts';
import { median, round } from './stats.ts';

const ROBOT = 'ur5e';
const TASK = 'sort';
const OBJECTS = 6;
/** Joint motion: amplitude rad, frequency Hz. Small, so the arm stays clear of its limits. */
const AMPLITUDE = 0.2;
const FREQUENCY = 0.5;
const TARGETS = { rtf: 30, overhead: 1.25 };

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const warmupSeconds = quick ? 0.03 : 1;
  const phaseSeconds = quick ? 0.05 : 3;
  const rounds = quick ? 1 : 3;

  const env = createEnv({ robot: ROBOT });
  const seed = findSeed(env);
  const sim = new SimDriver(env, seed, true);
  // The same motion through env.act(): physics, articulation, gripper and task checks,
  // without building an observation (what the sim node does each step).
  const core = new SimDriver(createEnv({ robot: ROBOT }), seed, false);
  const baseline = new BaselineDriver(buildEpisodeWorld(seed, sim.objectPositions));
  const dt = baseline.dt;

  sim.measure(warmupSeconds);
  core.measure(warmupSeconds);
  baseline.measure(warmupSeconds);
  const simRates: number[] = [];
  const coreRates: number[] = [];
  const baseRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseRates.push(baseline.measure(phaseSeconds));
    simRates.push(sim.measure(phaseSeconds));
    coreRates.push(core.measure(phaseSeconds));
  }
  const coreStepsPerSecond = median(coreRates);
  const stepsPerSecond = median(simRates);
  const baseStepsPerSecond = median(baseRates);
  const rtf = stepsPerSecond * dt;
  const overhead = baseStepsPerSecond / stepsPerSecond;
  return {
    bench: 'sim.step',
    scene: `${TASK} seed ${seed} (${ROBOT} + ${OBJECTS} objects)`,
    task: TASK,
    seed,
    objects: OBJECTS,
    dt,
    substeps: env.substeps,
    stepsPerSecond: round(stepsPerSecond),
    rtf: round(rtf, 2),
    rounds: simRates.map((v) => round(v)),
    episodes: sim.episodes,
    baseline: {
      name: 'plain cannon-es, same bodies',
      bodies: baseline.world.bodies.length,
      stepsPerSecond: round(baseStepsPerSecond),
      rtf: round(baseStepsPerSecond * dt, 2),
      rounds: baseRates.map((v) => round(v)),
      meanContacts: round(baseline.meanContacts, 1),
    },
    overhead: round(overhead, 3),
    withoutObservation: {
      name: 'env.act: same steps without building observations',
      stepsPerSecond: round(coreStepsPerSecond),
      rtf: round(coreStepsPerSecond * dt, 2),
      overhead: round(baseStepsPerSecond / coreStepsPerSecond, 3),
    },
    targets: { rtf: `>=${TARGETS.rtf}`, overhead: `<=${TARGETS.overhead}` },
    meetsTargets: { rtf: rtf >= TARGETS.rtf, overhead: overhead <= TARGETS.overhead },
    quick,
  };
}

/** The first seed whose sort scene has exactly OBJECTS objects (2 bowls + 4 blocks). */
function findSeed(env: SimEnv): number {
  for (let seed = 1; seed <= 100; seed++) {
    if (env.reset({ task: TASK, seed }).observation.objects.length === OBJECTS) return seed;
  }
  throw new Error(`sim.bench: no ${TASK} seed in 1..100 gives ${OBJECTS} objects`);
}

/** Streams the sinusoid through env.step; resets when an episode reaches its step limit. */
class SimDriver {
  readonly #env: SimEnv;
  readonly #seed: number;
  readonly #home: number[];
  readonly #maxWidth: number;
  readonly #joints: number[];
  readonly objectPositions: [number, number, number][];
  episodes = 0;
  #calls = 0;
  /** Physics steps of the current episode so far. */
  #steps = 0;

  readonly #observe: boolean;

  constructor(env: SimEnv, seed: number, observe: boolean) {
    this.#env = env;
    this.#observe = observe;
    this.#seed = seed;
    const reset = env.reset({ task: TASK, seed });
    this.#home = reset.observation.joints.position;
    this.#joints = this.#home.slice();
    this.#maxWidth = env.robotDescription.config.gripper.max_width;
    this.objectPositions = reset.observation.objects.map((o) => o.position);
    this.episodes = 1;
  }

  /** Steps for at least `seconds` of wall time (resets excluded); returns physics steps/s. */
  measure(seconds: number): number {
    const env = this.#env;
    const controlDt = env.substeps / 240;
    let steps = 0;
    let wall = 0;
    while (wall < seconds) {
      let done = false;
      const start = performance.now();
      for (let i = 0; i < 60 && !done; i++) {
        const t = this.#calls++ * controlDt;
        for (let j = 0; j < this.#joints.length; j++) {
          this.#joints[j] = this.#home[j]! + AMPLITUDE * Math.sin(2 * Math.PI * FREQUENCY * t + j);
        }
        const gripper = this.#maxWidth * (0.5 + 0.5 * Math.sin(2 * Math.PI * FREQUENCY * t));
        const action = { joints: this.#joints, gripper };
        const r = this.#observe ? env.step(action) : env.act(action);
        steps += r.info.steps - this.#steps;
        this.#steps = r.info.steps;
        done = r.terminated || r.truncated;
      }
      wall += (performance.now() - start) / 1000;
      if (done) {
        // The step limit (50 s of sim time): start the same episode again, untimed.
        env.reset({ task: TASK, seed: this.#seed });
        this.#calls = 0;
        this.#steps = 0;
        this.episodes++;
      }
    }
    return steps / wall;
  }
}

/** Rebuilds the episode exactly as SimEnv.reset does, then clones its bodies into a fresh world. */
function buildEpisodeWorld(seed: number, envObjects: [number, number, number][]): CANNON.World {
  const description = loadRobot(ROBOT);
  const spec = getScene('tabletop');
  const physics = new PhysicsWorld();
  new SimRobot(description, physics, { graspAssist: 'cable' });
  const scene = new Scene(physics);
  const rng = new Rng(seed);
  const layout = new Layout(spec, 'seen', rng.fork('layout'));
  layout.reserve({ x: 0, y: 0, radius: 0.2 });
  getTask(TASK).build({
    scene,
    layout,
    rng,
    spec,
    split: 'seen',
    colors: new ColorPool(spec.colors.seen, rng.fork('colors')),
  });
  const objects = scene.objects;
  const mismatch =
    objects.length !== envObjects.length ||
    objects.some((o, i) => {
      const p = o.body?.position ?? (o.segments ? o.segments[0]!.position : undefined);
      const e = envObjects[i]!;
      return p !== undefined && Math.hypot(p.x - e[0], p.y - e[1]) > 1e-9;
    });
  if (mismatch)
    throw new Error('sim.bench: the rebuilt episode does not match env.reset; update buildEpisodeWorld');
  return cloneWorld(physics.world);
}

/** Steps a plain CANNON.World; the kinematic links turn slowly about world z. */
class BaselineDriver {
  readonly world: CANNON.World;
  readonly dt = 1 / 240;
  readonly #kinematic: CANNON.Body[];
  #steps = 0;
  #contacts = 0;
  #counted = 0;

  constructor(world: CANNON.World) {
    this.world = world;
    this.#kinematic = world.bodies.filter((b) => b.type === CANNON.Body.KINEMATIC);
  }

  get meanContacts(): number {
    return this.#counted ? this.#contacts / this.#counted : 0;
  }

  measure(seconds: number): number {
    let steps = 0;
    const start = performance.now();
    let wall = 0;
    while (wall < seconds) {
      for (let i = 0; i < 240; i++) {
        const w =
          AMPLITUDE * 2 * Math.PI * FREQUENCY * Math.cos(2 * Math.PI * FREQUENCY * this.#steps * this.dt);
        for (const b of this.#kinematic) b.angularVelocity.set(0, 0, w);
        this.world.step(this.dt);
        this.#steps++;
      }
      steps += 240;
      this.#contacts += this.world.contacts.length;
      this.#counted++;
      wall = (performance.now() - start) / 1000;
    }
    return steps / wall;
  }
}

function cloneWorld(src: CANNON.World): CANNON.World {
  const world = new CANNON.World({ gravity: src.gravity.clone() });
  world.allowSleep = src.allowSleep;
  const from = src.solver as CANNON.GSSolver;
  const to = world.solver as CANNON.GSSolver;
  to.iterations = from.iterations;
  to.tolerance = from.tolerance;
  world.broadphase = new CANNON.NaiveBroadphase(); // as sim/core/PhysicsWorld.ts
  world.quatNormalizeFast = src.quatNormalizeFast;
  world.quatNormalizeSkip = src.quatNormalizeSkip;
  if (src.frictionGravity) world.frictionGravity = src.frictionGravity.clone();
  const d = src.defaultContactMaterial;
  Object.assign(world.defaultContactMaterial, {
    friction: d.friction,
    restitution: d.restitution,
    contactEquationStiffness: d.contactEquationStiffness,
    contactEquationRelaxation: d.contactEquationRelaxation,
    frictionEquationStiffness: d.frictionEquationStiffness,
    frictionEquationRelaxation: d.frictionEquationRelaxation,
  });
  // Materials are plain keys, so the clones share them and the contact materials that name them.
  for (const cm of src.contactmaterials) {
    if (cm === d) continue;
    world.addContactMaterial(
      new CANNON.ContactMaterial(cm.materials[0]!, cm.materials[1]!, {
        friction: cm.friction,
        restitution: cm.restitution,
        contactEquationStiffness: cm.contactEquationStiffness,
        contactEquationRelaxation: cm.contactEquationRelaxation,
        frictionEquationStiffness: cm.frictionEquationStiffness,
        frictionEquationRelaxation: cm.frictionEquationRelaxation,
      }),
    );
  }
  const clones = new Map<CANNON.Body, CANNON.Body>();
  for (const b of src.bodies) {
    const c = new CANNON.Body({
      type: b.type,
      mass: b.mass,
      position: b.position.clone(),
      quaternion: b.quaternion.clone(),
      velocity: b.velocity.clone(),
      angularVelocity: b.angularVelocity.clone(),
      collisionFilterGroup: b.collisionFilterGroup,
      collisionFilterMask: b.collisionFilterMask,
      collisionResponse: b.collisionResponse,
      linearDamping: b.linearDamping,
      angularDamping: b.angularDamping,
      fixedRotation: b.fixedRotation,
      isTrigger: b.isTrigger,
      allowSleep: b.allowSleep,
      sleepSpeedLimit: b.sleepSpeedLimit,
      sleepTimeLimit: b.sleepTimeLimit,
      ...(b.material ? { material: b.material } : {}),
    });
    b.shapes.forEach((s, i) => {
      c.addShape(cloneShape(s), b.shapeOffsets[i]!.clone(), b.shapeOrientations[i]!.clone());
    });
    c.updateMassProperties();
    world.addBody(c);
    clones.set(b, c);
  }
  for (const k of src.constraints) world.addConstraint(cloneConstraint(k, clones));
  return world;
}

function cloneShape(s: CANNON.Shape): CANNON.Shape {
  let c: CANNON.Shape;
  if (s instanceof CANNON.Box) c = new CANNON.Box(s.halfExtents.clone());
  else if (s instanceof CANNON.Sphere) c = new CANNON.Sphere(s.radius);
  else if (s instanceof CANNON.Plane) c = new CANNON.Plane();
  else if (s instanceof CANNON.ConvexPolyhedron) {
    // Cylinders are convex polyhedra with their own type tag, which the narrowphase reads.
    c = new CANNON.ConvexPolyhedron({
      vertices: s.vertices.map((v) => v.clone()),
      faces: s.faces.map((f) => f.slice()),
      normals: s.faceNormals.map((n) => n.clone()),
      ...(s.uniqueAxes ? { axes: s.uniqueAxes.map((a) => a.clone()) } : {}),
    });
    c.type = s.type;
  } else throw new Error(`sim.bench: cannot clone shape type ${s.type}`);
  c.collisionFilterGroup = s.collisionFilterGroup;
  c.collisionFilterMask = s.collisionFilterMask;
  c.collisionResponse = s.collisionResponse;
  c.material = s.material;
  return c;
}

function cloneConstraint(k: CANNON.Constraint, clones: Map<CANNON.Body, CANNON.Body>): CANNON.Constraint {
  const a = clones.get(k.bodyA)!;
  const b = clones.get(k.bodyB)!;
  if (k instanceof CANNON.LockConstraint) return new CANNON.LockConstraint(a, b);
  if (k instanceof CANNON.PointToPointConstraint) {
    return new CANNON.PointToPointConstraint(a, k.pivotA.clone(), b, k.pivotB.clone(), k.equationX.maxForce);
  }
  throw new Error(`sim.bench: cannot clone constraint ${k.constructor.name}`);
}
