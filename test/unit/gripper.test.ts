// Grasp slip, as the issue asks: "a grasped 4 cm block carried 0.4 m at 0.3 m/s must move less than
// 5 mm relative to the fingers". Measured through the env, with friction only (the grasp assist is
// off for blocks), driving the arm by IK along straight tcp lines like a Cartesian servo would.
import { Matrix4, Quaternion, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/core/Rng.ts';
import {
  type Action,
  createEnv,
  type ObjectObservation,
  type Observation,
  type SimEnv,
} from '../../sim/Env.ts';
import { originToMatrix4 } from '../../sim/robot/Urdf.ts';
import { solveIk } from '../../src/control/Ik.ts';

const CONTROL_HZ = 60;
const SAFE_Z = 0.15; // m, tcp height for free moves
const CARRY_DISTANCE = 0.4; // m
const CARRY_SPEED = 0.3; // m/s, peak
const CARRY_ACCEL = 1.0; // m/s²
const LIFT = 0.1; // m
/** The reachable workspace the carry stays in (world x, y), m. */
const REACH = { x: [0.3, 0.65], y: [-0.3, 0.3] } as const;

/** Fraction of `length` covered at time t of a trapezoidal (or triangular) speed profile. */
function trapezoid(
  length: number,
  vmax: number,
  amax: number,
): { duration: number; at: (t: number) => number } {
  const ta = Math.min(vmax / amax, Math.sqrt(length / amax));
  const v = amax * ta;
  const cruise = Math.max(0, length - v * ta) / vmax;
  const duration = 2 * ta + cruise;
  return {
    duration,
    at(t) {
      let d: number;
      if (t <= ta) d = 0.5 * amax * t * t;
      else if (t >= duration - ta) d = length - 0.5 * amax * (duration - t) ** 2;
      else d = 0.5 * amax * ta * ta + v * (t - ta);
      return length < 1e-9 ? 1 : Math.min(1, Math.max(0, d / length));
    },
  };
}

/** tcp pointing straight down (tcp +z = world −z), rotated `yaw` about world z. */
function topDownPose(p: Vector3, yaw: number): Matrix4 {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return new Matrix4().set(c, s, 0, p.x, s, -c, 0, p.y, 0, 0, -1, p.z, 0, 0, 0, 1);
}

/** Yaw that lines the closing axis up with a face of a square block, in [−π/4, π/4]. */
function graspYaw(objectYaw: number): number {
  let y = objectYaw % (Math.PI / 2);
  if (y > Math.PI / 4) y -= Math.PI / 2;
  if (y < -Math.PI / 4) y += Math.PI / 2;
  return y;
}

/** Drives the env's arm along straight, top-down tcp lines by IK, one action per control step. */
class StraightLineMover {
  readonly env: SimEnv;
  obs: Observation;
  q: Float64Array;
  grip: number;
  readonly pos = new Vector3();
  yaw = 0;
  /** Called after every step with the new observation. */
  onStep: (obs: Observation) => void = () => {};
  readonly #worldToBase: Matrix4;
  readonly #rng = new Rng(3);

  constructor(env: SimEnv, obs: Observation) {
    this.env = env;
    this.obs = obs;
    this.q = Float64Array.from(obs.joints.position);
    this.grip = obs.gripper.width;
    this.pos.set(...obs.ee.position);
    const m = new Matrix4().makeRotationFromQuaternion(new Quaternion(...obs.ee.quaternion));
    this.yaw = Math.atan2(m.elements[1]!, m.elements[0]!);
    const mount = env.robotDescription.config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] };
    this.#worldToBase = originToMatrix4(mount, new Matrix4()).invert();
  }

  step(): Observation {
    const action: Action = { joints: Array.from(this.q), gripper: this.grip };
    const r = this.env.step(action);
    expect(r.info.commandError).toBeUndefined();
    this.obs = r.observation;
    this.onStep(this.obs);
    return this.obs;
  }

  moveTo(x: number, y: number, z: number, yaw: number, speed: number, accel = CARRY_ACCEL): void {
    const start = this.pos.clone();
    const goal = new Vector3(x, y, z);
    const startYaw = this.yaw;
    const dyaw = yaw - startYaw;
    const profile = trapezoid(start.distanceTo(goal), speed, accel);
    const duration = Math.max(profile.duration, Math.abs(dyaw) / 1.5, 1 / CONTROL_HZ);
    const steps = Math.ceil(duration * CONTROL_HZ);
    const p = new Vector3();
    for (let i = 1; i <= steps; i++) {
      const t = (i / steps) * profile.duration;
      const s = profile.at(t);
      p.lerpVectors(start, goal, s);
      this.#solve(p, startYaw + (dyaw * i) / steps);
      this.step();
    }
  }

  wait(seconds: number): void {
    for (let i = 0; i < seconds * CONTROL_HZ; i++) this.step();
  }

  /** Steps until the arm is at its commanded joints and still (bounded to 1 s). */
  settle(): void {
    for (let i = 0; i < CONTROL_HZ; i++) {
      const err = this.obs.joints.position.reduce((m, v, k) => Math.max(m, Math.abs(v - this.q[k]!)), 0);
      const speed = this.obs.joints.velocity.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (err < 2e-4 && speed < 1e-3) return;
      this.step();
    }
  }

  #solve(p: Vector3, yaw: number): void {
    const { chain, config } = this.env.robotDescription;
    const target = topDownPose(p, yaw).premultiply(this.#worldToBase);
    const r = solveIk(chain, target, {
      seed: this.q,
      rest: chain.dof > 6 ? config.home : undefined,
      restarts: 4,
      rng: this.#rng,
      maxIterations: 100,
    });
    if (!(r.converged || r.positionError < 1e-3)) {
      throw new Error(
        `IK failed at (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${p.z.toFixed(3)}): ${r.positionError} m`,
      );
    }
    this.q = r.q;
    this.pos.copy(p);
    this.yaw = yaw;
  }
}

/** A seeded pick_place layout with a block that can be carried 0.4 m inside the reachable workspace. */
function findCarry(env: SimEnv): { seed: number; blockId: string; direction: [number, number] } {
  const margin = 0.02;
  const inside = (x: number, y: number) =>
    x >= REACH.x[0] + margin &&
    x <= REACH.x[1] - margin &&
    y >= REACH.y[0] + margin &&
    y <= REACH.y[1] - margin;
  for (let seed = 0; seed < 50; seed++) {
    const { observation } = env.reset({ task: 'pick_place', seed });
    for (const b of observation.objects.filter((o) => o.kind === 'block')) {
      const [x, y] = b.position;
      if (!inside(x, y)) continue;
      // Prefer the direction with the most room at its end; 5° steps.
      let best: [number, number] | undefined;
      let bestRoom = -1;
      for (let deg = 0; deg < 360; deg += 5) {
        const ux = Math.cos((deg * Math.PI) / 180);
        const uy = Math.sin((deg * Math.PI) / 180);
        const ex = x + CARRY_DISTANCE * ux;
        const ey = y + CARRY_DISTANCE * uy;
        if (!inside(ex, ey)) continue;
        const room = Math.min(ex - REACH.x[0], REACH.x[1] - ex, ey - REACH.y[0], REACH.y[1] - ey);
        if (room > bestRoom) {
          bestRoom = room;
          best = [ux, uy];
        }
      }
      if (best) return { seed, blockId: b.id, direction: best };
    }
  }
  throw new Error('no pick_place layout in seeds 0..49 has a block with a 0.4 m carry inside the workspace');
}

/** The block's position in the tcp frame, m. */
function inTcpFrame(obs: Observation, block: ObjectObservation): Vector3 {
  const q = new Quaternion(...obs.ee.quaternion).invert();
  return new Vector3(...block.position).sub(new Vector3(...obs.ee.position)).applyQuaternion(q);
}

function objectById(obs: Observation, id: string): ObjectObservation {
  const o = obs.objects.find((k) => k.id === id);
  if (!o) throw new Error(`no object ${id}`);
  return o;
}

describe('ParallelGripper grasp slip', () => {
  it.each(['ur5e', 'panda'])(
    '%s carries a grasped 4 cm block 0.4 m at 0.3 m/s with under 5 mm slip',
    (robot) => {
      const env = createEnv({ robot, controlHz: CONTROL_HZ });
      const { seed, blockId, direction } = findCarry(env);
      const reset = env.reset({ task: 'pick_place', seed });
      const block0 = objectById(reset.observation, blockId);
      expect(block0.size[0]).toBeGreaterThan(0.037);
      expect(block0.size[0]).toBeLessThan(0.043);
      const mover = new StraightLineMover(env, reset.observation);
      const { max_width } = env.robotDescription.config.gripper;

      // Grasp from above, as the oracle does: pads centred 5 mm above the block's centre.
      const [bx, by, bz] = block0.position;
      const yaw = graspYaw(block0.yaw);
      mover.grip = Math.min(max_width, block0.size[1] + 0.03);
      mover.moveTo(mover.pos.x, mover.pos.y, SAFE_Z, mover.yaw, 0.35);
      mover.moveTo(bx, by, SAFE_Z, yaw, 0.35);
      mover.moveTo(bx, by, bz + 0.005, yaw, 0.12);
      mover.settle();
      mover.grip = 0;
      for (let i = 0; i < 2 * CONTROL_HZ && !mover.obs.gripper.grasping; i++) mover.step();
      expect(mover.obs.gripper.grasping).toBe(true);

      // From here on the grasp must hold at every step.
      let lostAt: number | undefined;
      mover.onStep = (obs) => {
        if (!obs.gripper.grasping && lostAt === undefined) lostAt = obs.time;
      };
      mover.wait(0.1);
      mover.moveTo(mover.pos.x, mover.pos.y, mover.pos.z + LIFT, mover.yaw, 0.12);
      mover.settle();
      const lifted = objectById(mover.obs, blockId);
      expect(lifted.position[2] - bz).toBeGreaterThan(LIFT - 0.01);
      const before = inTcpFrame(mover.obs, lifted);
      const carryStart = new Vector3(...lifted.position);

      let peakSpeed = 0;
      let prevEe = new Vector3(...mover.obs.ee.position);
      const track = mover.onStep;
      mover.onStep = (obs) => {
        track(obs);
        const ee = new Vector3(...obs.ee.position);
        peakSpeed = Math.max(peakSpeed, ee.distanceTo(prevEe) * CONTROL_HZ);
        prevEe = ee;
      };
      const [ux, uy] = direction;
      mover.moveTo(
        mover.pos.x + CARRY_DISTANCE * ux,
        mover.pos.y + CARRY_DISTANCE * uy,
        mover.pos.z,
        mover.yaw,
        CARRY_SPEED,
        CARRY_ACCEL,
      );
      mover.onStep = track;
      const afterCarry = inTcpFrame(mover.obs, objectById(mover.obs, blockId)).distanceTo(before);
      mover.wait(2);

      const end = objectById(mover.obs, blockId);
      const slip = inTcpFrame(mover.obs, end).distanceTo(before);
      console.log(
        `grasp slip ${robot}: ${(slip * 1000).toFixed(3)} mm over a ${CARRY_DISTANCE} m carry at ` +
          `${CARRY_SPEED} m/s (peak tcp speed ${peakSpeed.toFixed(3)} m/s) and a 2 s hold; ` +
          `${(afterCarry * 1000).toFixed(3)} mm of it by the end of the carry ` +
          `(pick_place seed ${seed}, ${blockId})`,
      );
      expect(lostAt).toBeUndefined();
      expect(mover.obs.gripper.grasping).toBe(true);
      // The carry really happened, at the asked speed.
      expect(new Vector3(...end.position).distanceTo(carryStart)).toBeGreaterThan(CARRY_DISTANCE - 0.01);
      expect(peakSpeed).toBeGreaterThan(0.9 * CARRY_SPEED);
      expect(peakSpeed).toBeLessThan(1.1 * CARRY_SPEED);
      expect(slip).toBeLessThan(0.005);
      // No sim-only help for blocks: friction holds them.
      expect(env.summary().graspAssists).toBe(0);
    },
  );
});
