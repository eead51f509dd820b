import * as CANNON from 'cannon-es';

/** Collision groups. Arm links touch only objects; objects touch everything. */
export const CollisionGroup = {
  /** The table top and other static fixtures (bowls, clips). */
  STATIC: 1,
  /** Kinematic arm links and gripper pads. */
  ROBOT: 2,
  /** Dynamic objects: blocks, cable segments. */
  OBJECT: 4,
  /** Cable segments, which do not collide with each other. */
  CABLE: 8,
} as const;

export interface PhysicsWorldOptions {
  /** Fixed physics step, seconds. Smaller is more stable and slower. @default 1/240 */
  dtSeconds?: number;
  /**
   * Gauss-Seidel iterations per step. FACTS.md: 10 lets a 3-cube stack topple,
   * 20 holds it to ~10 mm drift (0.4 mm with sleeping). Raise it if stacks creep.
   * @default 20
   */
  solverIterations?: number;
  /**
   * Contact stiffness. 1e8 with relaxation 3 cuts grasp slip from 0.7 mm (default 1e7)
   * to 0.12 mm (FACTS.md). If bodies tend to explode, lower it.
   * @default 1e8
   */
  contactStiffness?: number;
  /** Contact relaxation, in steps. @default 3 */
  contactRelaxation?: number;
  /** Default Coulomb friction coefficient. @default 0.5 */
  friction?: number;
  /** Let slow dynamic bodies sleep; it stops stacks creeping (pmndrs/cannon-es #177). @default true */
  allowSleep?: boolean;
}

/** A material pair with its own friction; everything else as the world's default contact. */
function addFriction(world: CANNON.World, a: CANNON.Material, b: CANNON.Material, friction: number): void {
  const m = world.defaultContactMaterial;
  world.addContactMaterial(
    new CANNON.ContactMaterial(a, b, {
      friction,
      restitution: 0,
      contactEquationStiffness: m.contactEquationStiffness,
      contactEquationRelaxation: m.contactEquationRelaxation,
      frictionEquationStiffness: m.frictionEquationStiffness,
      frictionEquationRelaxation: m.frictionEquationRelaxation,
    }),
  );
}

/** Friction coefficient between gripper pads and blocks (rubber on plastic). */
const PAD_FRICTION = 1.0;

/**
 * The cannon-es world with simbridge's fixed settings. It advances only through
 * `step()`, which calls `world.step(dt)` with the fixed dt: `fixedStep()` reads the
 * wall clock, which would break determinism.
 *
 * Frame: ROS Z-up, metres. The table top is z = 0.
 */
export class PhysicsWorld {
  readonly world: CANNON.World;
  /** Materials with their own contact properties: gripper pads and cable segments. */
  readonly materials = {
    pad: new CANNON.Material('pad'),
    cable: new CANNON.Material('cable'),
    object: new CANNON.Material('object'),
    fixture: new CANNON.Material('fixture'),
  };
  readonly dtSeconds: number;
  #steps = 0;

  constructor(options: PhysicsWorldOptions = {}) {
    this.dtSeconds = options.dtSeconds ?? 1 / 240;
    if (!(this.dtSeconds > 0 && this.dtSeconds <= 0.01)) {
      throw new RangeError(`PhysicsWorld: dtSeconds must be in (0, 0.01], got ${this.dtSeconds}`);
    }
    const world = new CANNON.World({ gravity: new CANNON.Vec3(0, 0, -9.81) });
    world.allowSleep = options.allowSleep ?? true;
    (world.solver as CANNON.GSSolver).iterations = options.solverIterations ?? 20;
    (world.solver as CANNON.GSSolver).tolerance = 1e-7;
    world.defaultContactMaterial.contactEquationStiffness = options.contactStiffness ?? 1e8;
    world.defaultContactMaterial.contactEquationRelaxation = options.contactRelaxation ?? 3;
    world.defaultContactMaterial.frictionEquationStiffness = options.contactStiffness ?? 1e8;
    world.defaultContactMaterial.frictionEquationRelaxation = options.contactRelaxation ?? 3;
    world.defaultContactMaterial.friction = options.friction ?? 0.5;
    world.defaultContactMaterial.restitution = 0;
    // cannon-es caps friction per step at μ·|frictionGravity|·m as an *impulse*, so with
    // the default (gravity) friction comes out 1/dt too strong: a cube rests on a 30°
    // slope at μ = 0.001, and a pushed block tips over instead of sliding (FACTS.md).
    // g·dt turns the cap into the real Coulomb force μ·m·g.
    world.frictionGravity = new CANNON.Vec3(0, 0, 9.81 * this.dtSeconds);
    // NaiveBroadphase, cannon-es' default: with ~20 bodies and an infinite table plane,
    // measured 2.5x faster per step than SAPBroadphase (25.3k vs 10.3k steps/s, sort scene).
    world.broadphase = new CANNON.NaiveBroadphase();
    world.quatNormalizeFast = false;
    world.quatNormalizeSkip = 0;
    // Rubber pads on a cable segment. Measured: a pinched 8 g segment carrying the rest
    // of the cable creeps out of the pads at 1-2 cm/s whatever this μ is (0.1 to 4 behave
    // the same: the chain's constraints, not the friction cap, limit it), hence the named
    // cable grasp assist in ParallelGripper.
    addFriction(world, this.materials.pad, this.materials.cable, 1);
    // Rubber pads on blocks: μ 1 (the default 0.5 elsewhere). Measured slip over the
    // 0.4 m carry with real friction: μ 0.5 → 4.1 / 3.0 mm (UR5e / Panda); μ 1 → 0.9 / 2.7 mm.
    addFriction(world, this.materials.pad, this.materials.object, PAD_FRICTION);
    // A rubber-jacketed cable on the table and in the clips' slots.
    addFriction(world, this.materials.cable, this.materials.fixture, 1);
    this.world = world;
  }

  /** Steps taken since construction. */
  get steps(): number {
    return this.#steps;
  }

  /** Sim time, seconds: steps × dt, exact for any step count. */
  get timeSeconds(): number {
    return this.#steps * this.dtSeconds;
  }

  /** Advance by exactly one fixed step. */
  step(): void {
    this.world.step(this.dtSeconds);
    this.#steps++;
  }

  addBody(body: CANNON.Body): void {
    this.world.addBody(body);
  }

  removeBody(body: CANNON.Body): void {
    this.world.removeBody(body);
  }
}
