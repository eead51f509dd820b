import { Matrix4, Quaternion, Vector3 } from 'three';
import { Rng } from '../../../sim/core/Rng.ts';
import type { Action, ObjectObservation, Observation } from '../../../sim/Env.ts';
import type { RobotDescription } from '../../../sim/robot/RobotConfig.ts';
import { originToMatrix4 } from '../../../sim/robot/Urdf.ts';
import type { Goal } from '../../../sim/tasks/Goal.ts';
import { solveIk } from '../../control/Ik.ts';

/** Heights and speeds of the scripted motions. Metres, m/s, s. */
const SAFE_Z = 0.15; // free moves happen at or above this tcp height
const FREE_SPEED = 0.35;
const CARRY_SPEED = 0.3;
const APPROACH_SPEED = 0.12;
const CART_ACCEL = 1.0; // m/s²
const YAW_SPEED = 1.5; // rad/s
const MAX_ATTEMPTS = 3;

type Script = Generator<Action, void, Observation>;

/** Why the oracle gave up, for the episode result. */
export class OracleFailure extends Error {
  override name = 'OracleFailure';
}

/**
 * A privileged scripted expert. It reads ground-truth object poses from the
 * observation, plans top-down grasps with the IK, and acts only through the
 * env's action interface: arm joint position targets and a gripper opening,
 * like any policy. Its purpose is to show every task is solvable, and later to
 * generate demonstrations.
 *
 * Motions are straight tcp lines with a trapezoidal speed profile, solved by IK at
 * the control rate from the previous solution (so the arm never flips branch), as a
 * Cartesian servo would. Every stage is checked (grasped? placed? routed?) and
 * retried up to MAX_ATTEMPTS times.
 */
export class OraclePolicy {
  readonly #robot: RobotDescription;
  readonly #dt: number;
  readonly #script: Script;
  readonly #worldToBase = new Matrix4();
  readonly #rng = new Rng(7);
  #obs!: Observation;
  /** Last commanded joints and gripper opening. */
  #q: Float64Array;
  #grip: number;
  /** Last commanded tcp pose: position and yaw (the tcp always points down). */
  #pos = new Vector3();
  #yaw = 0;
  #started = false;
  #finished = false;
  failure: string | undefined;

  constructor(robot: RobotDescription, goal: Goal, options: { controlHz: number }) {
    this.#robot = robot;
    this.#dt = 1 / options.controlHz;
    this.#q = Float64Array.from(robot.config.home);
    this.#grip = robot.config.gripper.max_width;
    originToMatrix4(robot.config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] }, this.#worldToBase).invert();
    this.#script = this.#run(goal);
  }

  /** True once the script has finished or failed; the policy then holds still. */
  get finished(): boolean {
    return this.#finished;
  }

  act(obs: Observation): Action {
    this.#obs = obs;
    if (!this.#started) {
      this.#started = true;
      this.#q = Float64Array.from(obs.joints.position);
      this.#grip = obs.gripper.width;
      this.#pos.set(...obs.ee.position);
      this.#yaw = yawOf(obs.ee.quaternion);
    }
    if (!this.#finished) {
      try {
        const next = this.#script.next(obs);
        if (next.done) this.#finished = true;
        else return next.value;
      } catch (err) {
        if (!(err instanceof OracleFailure)) throw err;
        this.failure = err.message;
        this.#finished = true;
      }
    }
    return this.#hold();
  }

  #hold(): Action {
    return { joints: Array.from(this.#q), gripper: this.#grip };
  }

  *#run(goal: Goal): Script {
    yield* this.#solve(goal);
    yield* this.#moveTo(this.#pos.x, this.#pos.y, Math.max(this.#pos.z, SAFE_Z), this.#yaw, FREE_SPEED);
  }

  *#solve(goal: Goal): Script {
    switch (goal.type) {
      case 'pick_place':
        yield* this.#pickPlace(goal.object, goal.target);
        return;
      case 'stack':
        yield* this.#stack(goal.object, goal.base);
        return;
      case 'stack_all': {
        const [base, ...rest] = goal.objects;
        let below = base!;
        for (const id of rest) {
          yield* this.#stack(id, below);
          below = id;
        }
        return;
      }
      case 'push':
        yield* this.#push(goal.object, goal.zone);
        return;
      case 'sort':
        for (const id of goal.objects) yield* this.#pickPlace(id, goal.target);
        // A later placement can knock an earlier block out: check them all, redo the strays.
        for (let round = 0; round < 2; round++) {
          const strays = goal.objects.filter(
            (id) => !this.#inBowl(this.#object(id), this.#object(goal.target)),
          );
          for (const id of strays) yield* this.#pickPlace(id, goal.target);
        }
        return;
      case 'cable_route':
        yield* this.#routeCable(goal.cable, goal.clips);
        return;
      case 'chain':
        for (const sub of goal.subtasks) yield* this.#solve(sub);
        return;
    }
  }

  // ---- skills -------------------------------------------------------------

  *#pickPlace(objectId: string, bowlId: string): Script {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      yield* this.#pick(objectId);
      const bowl = this.#object(bowlId);
      const obj = this.#object(objectId);
      const spot = this.#freeSpotInBowl(bowl, objectId);
      // Release with the block's bottom 1 cm above the bowl's floor (8 mm plate).
      yield* this.#place(objectId, spot[0], spot[1], 0.008 + obj.size[2] / 2 + 0.01);
      if (this.#inBowl(this.#object(objectId), this.#object(bowlId))) return;
    }
    throw new OracleFailure(`could not place ${objectId} in ${bowlId} in ${MAX_ATTEMPTS} attempts`);
  }

  *#stack(topId: string, baseId: string): Script {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      yield* this.#pick(topId);
      const base = this.#object(baseId);
      const top = this.#object(topId);
      const z = base.position[2] + base.size[2] / 2 + top.size[2] / 2 + 0.004;
      yield* this.#place(topId, base.position[0], base.position[1], z);
      yield* this.#wait(0.3);
      const t = this.#object(topId);
      const b = this.#object(baseId);
      if (
        Math.hypot(t.position[0] - b.position[0], t.position[1] - b.position[1]) < b.size[0] / 2 &&
        t.position[2] > b.position[2] + b.size[2] * 0.75
      )
        return;
    }
    throw new OracleFailure(`could not stack ${topId} on ${baseId} in ${MAX_ATTEMPTS} attempts`);
  }

  /** Grasps an object from above and lifts it to SAFE_Z. Retries on a miss. */
  *#pick(id: string): Script {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const obj = this.#object(id);
      const yaw = graspYaw(obj.yaw);
      const [x, y, z] = obj.position;
      this.#grip = Math.min(this.#robot.config.gripper.max_width, obj.size[1] + 0.03);
      yield* this.#moveTo(this.#pos.x, this.#pos.y, Math.max(this.#pos.z, SAFE_Z), this.#yaw, FREE_SPEED);
      yield* this.#moveTo(x, y, SAFE_Z, yaw, FREE_SPEED);
      // Pads are 4 cm long and centred on the tcp: grip 5 mm above the centre keeps them off the table.
      yield* this.#moveTo(x, y, z + 0.005, yaw, APPROACH_SPEED);
      yield* this.#settle();
      yield* this.#close();
      if (this.#obs.gripper.grasping) {
        yield* this.#moveTo(this.#pos.x, this.#pos.y, SAFE_Z, this.#yaw, APPROACH_SPEED);
        if (this.#obs.gripper.grasping) return;
      }
      this.#grip = this.#robot.config.gripper.max_width;
      yield* this.#wait(0.3);
      yield* this.#moveTo(this.#pos.x, this.#pos.y, SAFE_Z, this.#yaw, APPROACH_SPEED);
    }
    throw new OracleFailure(`could not grasp ${id} in ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Carries the held object so its centre ends over (x, y) and releases it with its
   * centre at height `z`. The object's offset in the grip is measured, not assumed.
   */
  *#place(id: string, x: number, y: number, z: number): Script {
    const obj = this.#object(id);
    const dx = obj.position[0] - this.#obs.ee.position[0];
    const dy = obj.position[1] - this.#obs.ee.position[1];
    const dz = obj.position[2] - this.#obs.ee.position[2];
    yield* this.#moveTo(x - dx, y - dy, SAFE_Z, this.#yaw, CARRY_SPEED);
    yield* this.#moveTo(x - dx, y - dy, z - dz, this.#yaw, APPROACH_SPEED);
    yield* this.#settle();
    // Open just clear of the block (6 mm a side): wider pads would sweep its neighbours.
    this.#grip = Math.min(this.#robot.config.gripper.max_width, obj.size[1] + 0.012);
    yield* this.#wait(0.4);
    yield* this.#moveTo(this.#pos.x, this.#pos.y, SAFE_Z, this.#yaw, APPROACH_SPEED);
  }

  /** Pushes a block along the table into a zone, in short closed-loop strokes. */
  *#push(id: string, zoneId: string): Script {
    const zone = this.#object(zoneId);
    for (let stroke = 0; stroke < 8; stroke++) {
      const obj = this.#object(id);
      const ex = zone.position[0] - obj.position[0];
      const ey = zone.position[1] - obj.position[1];
      const dist = Math.hypot(ex, ey);
      if (dist < 0.012) return;
      const ux = ex / dist;
      const uy = ey / dist;
      // Push with the pads' front faces: tcp x along the push (either way round).
      let yaw = Math.atan2(uy, ux);
      if (yaw > Math.PI / 2) yaw -= Math.PI;
      if (yaw < -Math.PI / 2) yaw += Math.PI;
      const back = (obj.size[0] / 2) * Math.SQRT2 + 0.01 + 0.012;
      const sx = obj.position[0] - ux * back;
      const sy = obj.position[1] - uy * back;
      const contact = obj.size[0] / 2 + 0.01;
      const tx = zone.position[0] - ux * contact;
      const ty = zone.position[1] - uy * contact;
      this.#grip = 0.03;
      yield* this.#moveTo(this.#pos.x, this.#pos.y, Math.max(this.#pos.z, SAFE_Z), this.#yaw, FREE_SPEED);
      yield* this.#moveTo(sx, sy, SAFE_Z, yaw, FREE_SPEED);
      yield* this.#moveTo(sx, sy, 0.022, yaw, APPROACH_SPEED);
      yield* this.#moveTo(tx, ty, 0.022, yaw, 0.08);
      yield* this.#settle();
      yield* this.#moveTo(tx - ux * 0.02, ty - uy * 0.02, 0.022, yaw, APPROACH_SPEED);
      yield* this.#moveTo(this.#pos.x, this.#pos.y, SAFE_Z, yaw, APPROACH_SPEED);
    }
    const obj = this.#object(id);
    if (
      Math.hypot(zone.position[0] - obj.position[0], zone.position[1] - obj.position[1]) >
      zone.size[0] / 2
    ) {
      throw new OracleFailure(`could not push ${id} into ${zoneId}`);
    }
  }

  /**
   * Routes the cable through the clips in order. For a clip it picks the segment that
   * leaves 40% slack from the last routed point, lifts it over the clip, drops it into
   * the slot and seats it with a closed-finger poke. After each clip it checks every
   * clip so far and goes back to the first one the cable has left.
   */
  *#routeCable(cableId: string, clipIds: string[]): Script {
    let c = 0;
    let budget = 3 * clipIds.length;
    while (c < clipIds.length) {
      if (budget-- <= 0) throw new OracleFailure(`could not route the cable through ${clipIds[c]}`);
      const fixedIndex = c === 0 ? 0 : Math.max(0, this.#segmentInClip(cableId, clipIds[c - 1]!));
      yield* this.#routeThrough(cableId, clipIds[c]!, fixedIndex);
      const indices = clipIds.slice(0, c + 1).map((id) => this.#segmentInClip(cableId, id));
      const lost = indices.findIndex((k, i) => k < 0 || (i > 0 && k <= indices[i - 1]!));
      c = lost < 0 ? c + 1 : lost;
    }
  }

  /** One attempt to put the cable through one clip, from the segment after `fixedIndex`. */
  *#routeThrough(cableId: string, clipId: string, fixedIndex: number): Script {
    const cable = this.#object(cableId);
    const clip = this.#object(clipId);
    const segs = cable.segments!;
    const from = segs[fixedIndex]!;
    const dist = Math.hypot(clip.position[0] - from[0], clip.position[1] - from[1]);
    const spacing = Math.hypot(segs[1]![0] - segs[0]![0], segs[1]![1] - segs[0]![1]);
    // Enough cable between the last routed point and the grasped segment that it stays
    // slack both where the segment lies now and over the clip, lifted: a taut cable
    // pulls the last routed segment up out of its (open-topped) slot.
    const last = segs.length - 2; // the grasped segment needs a neighbour on each side
    if (fixedIndex >= last)
      throw new OracleFailure(`no cable left beyond segment ${fixedIndex} to reach ${clipId}`);
    let j = Math.max(1, fixedIndex + 1);
    while (j < last) {
      const arc = (j - fixedIndex) * spacing;
      const now = Math.hypot(segs[j]![0] - from[0], segs[j]![1] - from[1]);
      // Over the clip the segment is lifted ~7 cm; on the way there the gripper is never
      // farther from the fixed point than it is now or at the clip (a straight carry).
      const overClip = Math.hypot(dist, 0.07);
      if (arc >= 1.2 * overClip + 0.03 && (fixedIndex === 0 || arc >= now + 0.05 || arc >= 1.8 * overClip))
        break;
      j++;
    }
    const p = segs[j]!;
    const prev = segs[j - 1]!;
    const next = segs[j + 1]!;
    const yaw = foldHalfTurn(Math.atan2(next[1] - prev[1], next[0] - prev[0]));
    this.#grip = 0.032;
    yield* this.#moveTo(this.#pos.x, this.#pos.y, Math.max(this.#pos.z, SAFE_Z), this.#yaw, FREE_SPEED);
    yield* this.#moveTo(p[0], p[1], SAFE_Z, yaw, FREE_SPEED);
    yield* this.#moveTo(p[0], p[1], p[2] + 0.016, yaw, APPROACH_SPEED);
    yield* this.#settle();
    yield* this.#close();
    if (!this.#obs.gripper.grasping) {
      this.#grip = 0.032;
      yield* this.#moveTo(this.#pos.x, this.#pos.y, SAFE_Z, this.#yaw, APPROACH_SPEED);
      return;
    }
    const slotYaw = foldHalfTurn(clip.yaw);
    const [cx, cy] = clip.position;
    yield* this.#moveTo(this.#pos.x, this.#pos.y, 0.075, this.#yaw, APPROACH_SPEED);
    yield* this.#moveTo(cx, cy, 0.075, slotYaw, CARRY_SPEED * 0.6);
    yield* this.#moveTo(cx, cy, 0.072, slotYaw, APPROACH_SPEED);
    yield* this.#settle();
    this.#grip = 0.032;
    yield* this.#wait(0.4);
    yield* this.#moveTo(cx, cy, 0.09, slotYaw, APPROACH_SPEED);
    // Seat it: poke straight down into the slot with closed fingers (they fit between the posts).
    this.#grip = 0;
    yield* this.#wait(0.3);
    yield* this.#moveTo(cx, cy, 0.045, slotYaw, APPROACH_SPEED);
    yield* this.#moveTo(cx, cy, 0.09, slotYaw, APPROACH_SPEED);
  }

  // ---- motion primitives ---------------------------------------------------

  /** Straight-line tcp move (pointing down) with a trapezoidal speed profile. */
  *#moveTo(x: number, y: number, z: number, yaw: number, speed: number): Script {
    const start = this.#pos.clone();
    const startYaw = this.#yaw;
    const goal = new Vector3(x, y, z);
    const length = start.distanceTo(goal);
    const dyaw = wrapAngle(yaw - startYaw);
    const duration = Math.max(
      profileDuration(length, speed, CART_ACCEL),
      Math.abs(dyaw) / YAW_SPEED,
      this.#dt,
    );
    const steps = Math.ceil(duration / this.#dt);
    const p = new Vector3();
    for (let i = 1; i <= steps; i++) {
      const s = profileFraction((i / steps) * duration, duration, length, speed, CART_ACCEL);
      p.lerpVectors(start, goal, s);
      this.#solveTo(p, startYaw + dyaw * s);
      yield this.#hold();
    }
  }

  /** Solves IK for a top-down tcp pose and makes it the commanded one. */
  #solveTo(p: Vector3, yaw: number): void {
    const target = topDownPose(p, yaw, new Matrix4()).premultiply(this.#worldToBase);
    const chain = this.#robot.chain;
    const result = solveIk(chain, target, {
      seed: this.#q,
      rest: chain.dof > 6 ? this.#robot.config.home : undefined,
      restarts: 4,
      rng: this.#rng,
      maxIterations: 100,
    });
    if (!result.converged && result.positionError > 0.002) {
      throw new OracleFailure(
        `IK failed for tcp (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${p.z.toFixed(3)}) yaw ${yaw.toFixed(2)}: ` +
          `error ${(result.positionError * 1000).toFixed(1)} mm`,
      );
    }
    this.#q = result.q;
    this.#pos.copy(p);
    this.#yaw = yaw;
  }

  /** Waits until the arm reaches its commanded joints (bounded). */
  *#settle(): Script {
    for (let i = 0; i < 1 / this.#dt; i++) {
      const err = this.#obs.joints.position.reduce((m, v, k) => Math.max(m, Math.abs(v - this.#q[k]!)), 0);
      const speed = this.#obs.joints.velocity.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (err < 2e-4 && speed < 1e-3) return;
      yield this.#hold();
    }
  }

  /** Closes until the gripper stalls on an object or shuts (bounded). */
  *#close(): Script {
    this.#grip = 0;
    let last = this.#obs.gripper.width;
    for (let i = 0; i < 2 / this.#dt; i++) {
      yield this.#hold();
      const w = this.#obs.gripper.width;
      if (this.#obs.gripper.grasping || w < 1e-4) break;
      if (i > 5 && Math.abs(w - last) < 1e-7) break;
      last = w;
    }
    yield* this.#wait(0.1);
  }

  *#wait(seconds: number): Script {
    for (let i = 0; i < seconds / this.#dt; i++) yield this.#hold();
  }

  // ---- perception of the (privileged) observation ---------------------------

  #object(id: string): ObjectObservation {
    const o = this.#obs.objects.find((k) => k.id === id);
    if (!o) throw new OracleFailure(`no object ${id} in the observation`);
    return o;
  }

  #inBowl(obj: ObjectObservation, bowl: ObjectObservation): boolean {
    const [lx, ly] = toLocal(obj.position, bowl);
    const half = (bowl.innerSize ?? bowl.size[0]) / 2;
    return Math.abs(lx) < half && Math.abs(ly) < half && obj.position[2] < bowl.size[2] + obj.size[2] / 2;
  }

  /** The quadrant spot in the bowl farthest from blocks already in it (world x, y). */
  #freeSpotInBowl(bowl: ObjectObservation, exclude: string): [number, number] {
    const inside = this.#obs.objects.filter(
      (o) => o.kind === 'block' && o.id !== exclude && this.#inBowl(o, bowl),
    );
    if (inside.length === 0) return [bowl.position[0], bowl.position[1]];
    const q = (bowl.innerSize ?? bowl.size[0]) / 4;
    const c = Math.cos(bowl.yaw);
    const s = Math.sin(bowl.yaw);
    let best: [number, number] = [bowl.position[0], bowl.position[1]];
    let bestClear = -1;
    for (const [ax, ay] of [
      [q, q],
      [q, -q],
      [-q, q],
      [-q, -q],
    ] as const) {
      const x = bowl.position[0] + c * ax - s * ay;
      const y = bowl.position[1] + s * ax + c * ay;
      const clear = Math.min(...inside.map((o) => Math.hypot(o.position[0] - x, o.position[1] - y)));
      if (clear > bestClear) {
        bestClear = clear;
        best = [x, y];
      }
    }
    return best;
  }

  #segmentInClip(cableId: string, clipId: string): number {
    const cable = this.#object(cableId);
    const clip = this.#object(clipId);
    const halfSlot = (clip.slotWidth ?? 0) / 2;
    const segs = cable.segments!;
    for (let i = 0; i < segs.length; i++) {
      const [lx, ly] = toLocal(segs[i]!, clip);
      if (Math.abs(lx) <= clip.size[0] / 2 + 0.01 && Math.abs(ly) < halfSlot && segs[i]![2] < clip.size[2])
        return i;
    }
    return -1;
  }
}

// ---- helpers -----------------------------------------------------------------

/** tcp pose pointing straight down (+z tcp = world −z), rotated `yaw` about world z. */
function topDownPose(p: Vector3, yaw: number, out: Matrix4): Matrix4 {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  // columns: x = (c, s, 0), y = z × x = (s, −c, 0), z = (0, 0, −1)
  return out.set(c, s, 0, p.x, s, -c, 0, p.y, 0, 0, -1, p.z, 0, 0, 0, 1);
}

function yawOf(q: readonly number[]): number {
  const m = new Matrix4().makeRotationFromQuaternion(new Quaternion(q[0], q[1], q[2], q[3]));
  const e = m.elements; // column-major: x axis = (e0, e1, e2)
  return Math.atan2(e[1]!, e[0]!);
}

/** Yaw that aligns the closing axis with a face of a square object, in [−π/4, π/4]. */
function graspYaw(objectYaw: number): number {
  let y = objectYaw % (Math.PI / 2);
  if (y > Math.PI / 4) y -= Math.PI / 2;
  if (y < -Math.PI / 4) y += Math.PI / 2;
  return y;
}

/** The gripper is symmetric under a half turn: fold a yaw into [−π/2, π/2]. */
function foldHalfTurn(yaw: number): number {
  let y = wrapAngle(yaw);
  if (y > Math.PI / 2) y -= Math.PI;
  if (y < -Math.PI / 2) y += Math.PI;
  return y;
}

function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

function toLocal(p: readonly number[], frame: ObjectObservation): [number, number] {
  const dx = p[0]! - frame.position[0];
  const dy = p[1]! - frame.position[1];
  const c = Math.cos(frame.yaw);
  const s = Math.sin(frame.yaw);
  return [c * dx + s * dy, -s * dx + c * dy];
}

/** Duration of a trapezoidal (or triangular) profile over `length`. */
function profileDuration(length: number, vmax: number, amax: number): number {
  const ta = vmax / amax;
  const da = 0.5 * amax * ta * ta;
  return length >= 2 * da ? 2 * ta + (length - 2 * da) / vmax : 2 * Math.sqrt(length / amax);
}

/** Fraction of `length` covered at time t of that profile. */
function profileFraction(t: number, duration: number, length: number, vmax: number, amax: number): number {
  if (length < 1e-9) return Math.min(1, t / duration);
  const ta = Math.min(vmax / amax, duration / 2);
  const v = Math.min(vmax, amax * ta);
  let d: number;
  if (t <= ta) d = 0.5 * amax * t * t;
  else if (t >= duration - ta) d = length - 0.5 * amax * (duration - t) ** 2;
  else d = 0.5 * amax * ta * ta + v * (t - ta);
  return Math.min(1, Math.max(0, d / length));
}
