import * as CANNON from 'cannon-es';

export interface ParallelGripperOptions {
  /** Largest opening between the pads' inner faces, m. */
  maxWidth: number;
  /** Force the gripper reports while holding, N. */
  maxEffort: number;
  /** Speed of each finger, m/s. FACTS.md: faster closing means deeper penetration at contact. */
  closingSpeed: number;
  /** Pad bodies (kinematic), left then right. */
  pads: [CANNON.Body, CANNON.Body];
  /** Opening at reset, m. @default maxWidth */
  initialWidth?: number;
  /**
   * Sim-only grasp assist: the bodies it may weld to the left pad while the gripper
   * holds them (a LockConstraint). Every engagement is counted in `assists` and
   * reported in episode results. Off for real robots. @default none
   */
  assist?: { world: CANNON.World; applies: (body: CANNON.Body) => boolean };
}

/**
 * A parallel-jaw gripper that grasps by contact friction, like a real one under
 * force control. FACTS.md measured what holds in cannon-es: close to the object's
 * exact width (0-0.1 mm penetration) and hold that width. Squeezing harder makes
 * the object rotate and creep out; a gap lets it fall.
 *
 * So the fingers close at `closingSpeed` until both pads touch the same body. Then
 * the gripper stalls: it backs off to `HOLD_PENETRATION` of overlap, measured from
 * the contact equations, and holds that width. If the object leaves the pads for
 * `LOST_STEPS` steps, it closes on toward the commanded width, as a real gripper
 * under force control would.
 */
export class ParallelGripper {
  readonly maxWidth: number;
  readonly maxEffort: number;
  readonly closingSpeed: number;
  readonly pads: [CANNON.Body, CANNON.Body];
  /** Opening between the pads' inner faces, m. */
  width: number;
  /** Commanded opening, m. */
  commandWidth: number;
  /** Set while holding an object at a contact-limited width. */
  stalled = false;
  /** The body held between both pads, if any. */
  heldBody: CANNON.Body | null = null;
  /** Speed of each finger this step, m/s (positive opening). */
  fingerVelocity = 0;
  /** Times the grasp assist engaged since reset. */
  assists = 0;
  readonly #assist: ParallelGripperOptions['assist'];
  #weld: CANNON.LockConstraint | null = null;
  #lostSteps = 0;
  #contactLeft: CANNON.Body | null = null;
  #contactRight: CANNON.Body | null = null;

  constructor(o: ParallelGripperOptions) {
    this.maxWidth = o.maxWidth;
    this.maxEffort = o.maxEffort;
    this.closingSpeed = o.closingSpeed;
    this.pads = o.pads;
    this.width = o.initialWidth ?? o.maxWidth;
    this.commandWidth = this.width;
    this.#assist = o.assist;
  }

  /** Commands a new opening (m), clamped to [0, maxWidth]. Opening wider releases a stall. */
  command(width: number): void {
    const w = Math.max(0, Math.min(this.maxWidth, width));
    if (w > this.width + 1e-6) {
      this.stalled = false;
      this.heldBody = null;
      this.#unweld();
    }
    this.commandWidth = w;
  }

  reset(width: number): void {
    this.width = Math.max(0, Math.min(this.maxWidth, width));
    this.commandWidth = this.width;
    this.stalled = false;
    this.heldBody = null;
    this.#lostSteps = 0;
    this.fingerVelocity = 0;
    this.#unweld();
    this.assists = 0;
  }

  /** The opening for the next step, m. Call before the physics step. */
  step(dt: number): number {
    const prev = this.width;
    if (!this.stalled) {
      const e = this.commandWidth - this.width;
      const maxDelta = 2 * this.closingSpeed * dt;
      this.width += Math.max(-maxDelta, Math.min(maxDelta, e));
    }
    this.fingerVelocity = (this.width - prev) / (2 * dt);
    return this.width;
  }

  /** Reads the step's contacts. Call after the physics step. */
  afterStep(contacts: readonly CANNON.ContactEquation[]): void {
    const [left, right] = this.pads;
    let penLeft = 0;
    let penRight = 0;
    this.#contactLeft = null;
    this.#contactRight = null;
    for (const c of contacts) {
      let pad: CANNON.Body;
      let other: CANNON.Body;
      if (c.bi === left || c.bi === right) {
        pad = c.bi;
        other = c.bj;
      } else if (c.bj === left || c.bj === right) {
        pad = c.bj;
        other = c.bi;
      } else continue;
      if (other.type !== CANNON.Body.DYNAMIC) continue;
      // Signed separation along the normal; negative means overlap.
      const sep =
        (c.bj.position.x + c.rj.x - c.bi.position.x - c.ri.x) * c.ni.x +
        (c.bj.position.y + c.rj.y - c.bi.position.y - c.ri.y) * c.ni.y +
        (c.bj.position.z + c.rj.z - c.bi.position.z - c.ri.z) * c.ni.z;
      const depth = Math.max(0, -sep);
      if (pad === left) {
        this.#contactLeft = other;
        penLeft = Math.max(penLeft, depth);
      } else {
        this.#contactRight = other;
        penRight = Math.max(penRight, depth);
      }
    }
    const both = this.#contactLeft !== null && this.#contactLeft === this.#contactRight;
    const closing = this.commandWidth < this.width - 1e-6;
    if (!this.stalled && closing && both) {
      this.stalled = true;
      this.heldBody = this.#contactLeft;
      // Back off until the pads overlap the object by HOLD_PENETRATION in total.
      this.width = Math.min(this.maxWidth, this.width + penLeft + penRight - HOLD_PENETRATION);
      this.#lostSteps = 0;
      const held = this.heldBody;
      if (held && this.#assist?.applies(held)) {
        this.#weld = new CANNON.LockConstraint(left, held);
        this.#assist.world.addConstraint(this.#weld);
        this.assists++;
      }
    } else if (this.stalled) {
      // A welded body is held until the gripper opens, whether or not the pads touch it.
      if (both || this.#weld) this.#lostSteps = 0;
      else if (++this.#lostSteps >= LOST_STEPS) {
        this.stalled = false;
        this.heldBody = null;
        this.#unweld();
      }
    }
  }

  #unweld(): void {
    if (this.#weld) this.#assist?.world.removeConstraint(this.#weld);
    this.#weld = null;
  }

  /** True while an object is held between both pads. */
  get grasping(): boolean {
    return this.stalled && this.heldBody !== null;
  }

  /** Effort the gripper reports, N: max effort while stalled on an object, else 0. */
  get effort(): number {
    return this.stalled ? this.maxEffort : 0;
  }
}

/**
 * Total overlap kept between both pads and a held object, m: 0.1 mm per pad, the top
 * of FACTS.md's 0-0.1 mm band. Measured slip over the 0.4 m carry (UR5e / Panda):
 * 0.05 mm total → 1.7 / 144 mm (dropped), 0.1 mm → 0.8 / 17 mm, 0.2 mm → 0.07 / 1.6 mm,
 * 0.3 mm → 0.24 / 1.9 mm.
 */
const HOLD_PENETRATION = 0.0002;
/** Steps without contact before a stalled gripper decides the object is gone. */
const LOST_STEPS = 12;
