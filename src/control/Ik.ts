/**
 * Inverse kinematics for a serial chain: damped least squares with Levenberg–Marquardt damping
 * scaled by the error (Sugihara, "Solvability-unconcerned inverse kinematics by the
 * Levenberg–Marquardt method", IEEE T-RO 2011), joint limits enforced by clamping every
 * iteration, an optional null-space pull toward a rest posture (for 7-DoF arms), and seeded random
 * restarts.
 *
 * Frames: the target is the tip link's pose in the chain's base link frame (ROS, Z-up, metres).
 *
 * Tuning:
 * - If solves fail near joint limits, raise `restarts`; each restart costs up to `maxIterations`.
 * - If a 7-DoF arm drifts to odd elbow postures, pass `rest` (e.g. the home pose) and raise
 *   `restGain` a little; too high a gain slows convergence of the primary task.
 *
 * An IK iteration allocates nothing; a solve allocates its result.
 */
import type { Matrix4 } from 'three';
import { Rng } from '../../sim/core/Rng.ts';
import { quaternionFromRotation } from '../../sim/robot/Affine.ts';
import type { KinematicChain } from '../../sim/robot/KinematicChain.ts';

export interface IkOptions {
  /** Initial joint values (rad or m), length dof. Usually the current joint state. @default mid-range of the limits */
  seed?: ArrayLike<number>;
  /**
   * Rest posture (rad or m) the redundant degrees of freedom are pulled toward, through the
   * Jacobian's null space, so the task is not disturbed. Meant for 7-DoF arms; on a non-singular
   * 6-DoF arm the null space is empty and this has no effect. @default undefined (no pull)
   */
  rest?: ArrayLike<number>;
  /** Fraction of the distance to `rest` taken per iteration, within the null space, 0..1. @default 0.1 */
  restGain?: number;
  /** Iterations per attempt (the seed and each restart). @default 200 */
  maxIterations?: number;
  /** Converged when the position error is at most this, metres. @default 1e-4 */
  positionTolerance?: number;
  /** Converged when the orientation error (rotation angle) is at most this, radians. @default 1e-3 */
  orientationTolerance?: number;
  /**
   * Extra attempts from other starting points when the seed does not converge. The first ones
   * start near the seed (growing random perturbations) and the rest anywhere within the limits,
   * so a solution close to the seed is preferred and arm motion stays continuous. @default 0
   */
  restarts?: number;
  /** Random source for restarts. @default new Rng(0) (deterministic) */
  rng?: Rng;
  /**
   * Weight of orientation error against position error in the least-squares cost, metres per
   * radian: 0.5 means 1 rad of orientation error costs as much as 0.5 m of position error.
   * @default 0.5
   */
  orientationWeight?: number;
  /** Wrap revolute joints by ±2π toward the seed when the limits allow it. @default true */
  wrapToSeed?: boolean;
}

export interface IkResult {
  /** Joint values, rad or m, within the chain's limits. */
  q: Float64Array;
  converged: boolean;
  /** Distance between the reached and the target tip position, metres. */
  positionError: number;
  /** Rotation angle between the reached and the target tip orientation, radians. */
  orientationError: number;
  /** Iterations over all attempts. */
  iterations: number;
  /** Restarts used (0 when the seed converged). */
  restartsUsed: number;
}

const TWO_PI = 2 * Math.PI;

/** Per-chain scratch buffers, so iterations allocate nothing. */
class Workspace {
  readonly n: number;
  readonly q: Float64Array;
  readonly best: Float64Array;
  readonly start: Float64Array;
  readonly dq: Float64Array;
  readonly tip = new Float64Array(12);
  readonly target = new Float64Array(12);
  readonly e = new Float64Array(6);
  readonly J: Float64Array;
  readonly A: Float64Array;
  readonly g: Float64Array;
  readonly M = new Float64Array(36);
  readonly X: Float64Array;
  readonly P: Float64Array;
  readonly r: Float64Array;
  /** 1 for joints frozen at a limit in the current iteration. */
  readonly active: Uint8Array;
  readonly col = new Float64Array(6);
  constructor(n: number) {
    this.n = n;
    this.q = new Float64Array(n);
    this.best = new Float64Array(n);
    this.start = new Float64Array(n);
    this.dq = new Float64Array(n);
    this.J = new Float64Array(6 * n);
    this.A = new Float64Array(n * n);
    this.g = new Float64Array(n);
    this.X = new Float64Array(6 * n);
    this.P = new Float64Array(n * n);
    this.r = new Float64Array(n);
    this.active = new Uint8Array(n);
  }
}
const workspaces = new WeakMap<KinematicChain, Workspace>();

/**
 * Solves for joint values that put the chain's tip at `target` (tip pose in the base frame).
 * Never throws for unreachable targets: check `converged`, and the errors.
 */
export function solveIk(chain: KinematicChain, target: Matrix4, options: IkOptions = {}): IkResult {
  const n = chain.dof;
  let ws = workspaces.get(chain);
  if (ws === undefined) {
    ws = new Workspace(n);
    workspaces.set(chain, ws);
  }
  const maxIterations = options.maxIterations ?? 200;
  const tolP = options.positionTolerance ?? 1e-4;
  const tolR = options.orientationTolerance ?? 1e-3;
  const restarts = options.restarts ?? 0;
  const rng = options.rng ?? new Rng(0);
  const wrap = options.wrapToSeed ?? true;
  const { lower, upper } = chain;

  const te = target.elements;
  const T = ws.target;
  T[0] = te[0]!;
  T[1] = te[4]!;
  T[2] = te[8]!;
  T[3] = te[12]!;
  T[4] = te[1]!;
  T[5] = te[5]!;
  T[6] = te[9]!;
  T[7] = te[13]!;
  T[8] = te[2]!;
  T[9] = te[6]!;
  T[10] = te[10]!;
  T[11] = te[14]!;

  const seed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lo = lower[i]!;
    const hi = upper[i]!;
    const s = options.seed?.[i] ?? (Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : 0);
    seed[i] = Math.min(hi, Math.max(lo, s));
  }

  let bestCost = Infinity;
  let bestP = Infinity;
  let bestR = Infinity;
  const bestQ = new Float64Array(n);
  let iterations = 0;
  let restartsUsed = 0;
  let converged = false;

  for (let attempt = 0; attempt <= restarts; attempt++) {
    const start = ws.start;
    if (attempt === 0) start.set(seed);
    else {
      restartsUsed = attempt;
      // First half of the restarts: perturbations around the seed of growing size; then uniform.
      const half = Math.max(1, Math.ceil(restarts / 2));
      const spread = attempt <= half ? attempt / half : 1;
      for (let i = 0; i < n; i++) {
        const lo = Number.isFinite(lower[i]!) ? lower[i]! : seed[i]! - Math.PI;
        const hi = Number.isFinite(upper[i]!) ? upper[i]! : seed[i]! + Math.PI;
        const u = rng.uniform(lo, hi);
        start[i] = seed[i]! + spread * (u - seed[i]!);
      }
    }
    // Restarts look for any solution: the rest pull would drag them back to where the seed failed.
    const r = iterate(
      chain,
      ws,
      start,
      attempt === 0 ? options.rest : undefined,
      options,
      maxIterations,
      tolP,
      tolR,
    );
    iterations += r.iterations;
    const cost = r.positionError / tolP + r.orientationError / tolR;
    if (r.converged || cost < bestCost) {
      bestCost = cost;
      bestP = r.positionError;
      bestR = r.orientationError;
      bestQ.set(ws.q);
    }
    if (r.converged) {
      converged = true;
      break;
    }
  }

  if (wrap) {
    for (let i = 0; i < n; i++) {
      if (chain.kinds[i] !== 1) continue;
      let v = bestQ[i]!;
      const k = Math.round((seed[i]! - v) / TWO_PI);
      const w = v + k * TWO_PI;
      if (w >= lower[i]! && w <= upper[i]!) v = w;
      bestQ[i] = v;
    }
  }
  return {
    q: bestQ,
    converged,
    positionError: bestP,
    orientationError: bestR,
    iterations,
    restartsUsed,
  };
}

/** One LM descent from `start`; leaves the best q of the attempt in ws.q. */
function iterate(
  chain: KinematicChain,
  ws: Workspace,
  start: Float64Array,
  rest: ArrayLike<number> | undefined,
  options: IkOptions,
  maxIterations: number,
  tolP: number,
  tolR: number,
): { converged: boolean; positionError: number; orientationError: number; iterations: number } {
  const n = ws.n;
  const { q, best, dq, tip, target, e, J, A, g } = ws;
  const { lower, upper } = chain;
  const wr = options.orientationWeight ?? 0.5;
  const wr2 = wr * wr;
  const restGain = options.restGain ?? 0.1;
  // Small constant damping keeps the system well-posed at singularities (Sugihara's w̄).
  const bias = 1e-5;
  q.set(start);
  for (let i = 0; i < n; i++) q[i] = Math.min(upper[i]!, Math.max(lower[i]!, q[i]!));

  let bestCost = Infinity;
  let bestP = Infinity;
  let bestR = Infinity;
  let sinceImproved = 0;
  let it = 0;
  for (; it < maxIterations; it++) {
    chain.fkJacobian(q, tip, J);
    poseError(target, tip, e);
    const pe = Math.hypot(e[0]!, e[1]!, e[2]!);
    const oe = Math.hypot(e[3]!, e[4]!, e[5]!);
    const cost = pe * pe + wr2 * oe * oe;
    if (cost < bestCost * 0.999) sinceImproved = 0;
    else sinceImproved++;
    if (cost < bestCost) {
      bestCost = cost;
      bestP = pe;
      bestR = oe;
      best.set(q);
    }
    if (pe <= tolP && oe <= tolR) {
      best.set(q);
      return { converged: true, positionError: pe, orientationError: oe, iterations: it + 1 };
    }
    // A local minimum or a limit-blocked descent: give the iterations to a restart instead.
    if (sinceImproved > 10) break;

    // (JᵀWJ + λI) dq = JᵀWe with λ = E + w̄ (E = ½ eᵀWe): Gauss–Newton near the solution,
    // gradient descent far from it. Joints at a limit that the step would push further out are
    // frozen and the system re-solved without them (an active set), so descent continues along
    // the limit instead of being cancelled by the clamp.
    const lambda = 0.5 * cost + bias;
    const active = ws.active;
    active.fill(0);
    for (let pass = 0; pass <= n; pass++) {
      buildSystem(ws, wr2, lambda);
      choleskySolve(A, g, dq, n);
      let changed = false;
      for (let i = 0; i < n; i++) {
        if (active[i] === 0 && ((q[i]! <= lower[i]! && dq[i]! < 0) || (q[i]! >= upper[i]! && dq[i]! > 0))) {
          active[i] = 1;
          changed = true;
        }
      }
      if (!changed) break;
    }

    if (rest !== undefined) addNullSpacePull(ws, rest, restGain);

    // Limit the step so one bad linearisation cannot throw the arm across its range.
    let maxStep = 0;
    for (let i = 0; i < n; i++) maxStep = Math.max(maxStep, Math.abs(dq[i]!));
    const scale = maxStep > 0.5 ? 0.5 / maxStep : 1;
    for (let i = 0; i < n; i++) {
      const v = q[i]! + scale * dq[i]!;
      q[i] = Math.min(upper[i]!, Math.max(lower[i]!, v));
    }
  }
  q.set(best);
  return { converged: false, positionError: bestP, orientationError: bestR, iterations: it };
}

/** Fills ws.A = JᵀWJ + λI and ws.g = JᵀWe, with the joints in ws.active removed (dq = 0). */
function buildSystem(ws: Workspace, wr2: number, lambda: number): void {
  const { n, J, e, A, g, active } = ws;
  for (let a = 0; a < n; a++) {
    if (active[a] === 1) {
      for (let b = 0; b < n; b++) {
        A[a * n + b] = 0;
        A[b * n + a] = 0;
      }
      A[a * n + a] = 1;
      g[a] = 0;
      continue;
    }
    let ga = 0;
    for (let k = 0; k < 6; k++) ga += J[k * n + a]! * e[k]! * (k < 3 ? 1 : wr2);
    g[a] = ga;
    for (let b = a; b < n; b++) {
      if (active[b] === 1) continue;
      let s = 0;
      for (let k = 0; k < 6; k++) s += J[k * n + a]! * J[k * n + b]! * (k < 3 ? 1 : wr2);
      A[a * n + b] = s;
      A[b * n + a] = s;
    }
    A[a * n + a]! += lambda;
  }
}

/**
 * dq += (I − J⁺J)·gain·(rest − q), with J⁺ = Jᵀ(JJᵀ + εI)⁻¹ computed from ws.J.
 */
function addNullSpacePull(ws: Workspace, rest: ArrayLike<number>, gain: number): void {
  const { n, J, M, X, P, r, q, dq, col } = ws;
  const eps = 1e-6;
  for (let a = 0; a < 6; a++) {
    for (let b = a; b < 6; b++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += J[a * n + k]! * J[b * n + k]!;
      M[a * 6 + b] = s;
      M[b * 6 + a] = s;
    }
    M[a * 6 + a]! += eps;
  }
  if (!choleskyFactor(M, 6)) return;
  // X = (JJᵀ + εI)⁻¹ J, column by column.
  for (let k = 0; k < n; k++) {
    for (let a = 0; a < 6; a++) col[a] = J[a * n + k]!;
    choleskySubstitute(M, col, 6);
    for (let a = 0; a < 6; a++) X[a * n + k] = col[a]!;
  }
  // P = Jᵀ X = J⁺J
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let k = 0; k < 6; k++) s += J[k * n + a]! * X[k * n + b]!;
      P[a * n + b] = s;
    }
  }
  for (let i = 0; i < n; i++) r[i] = gain * (rest[i]! - q[i]!);
  for (let a = 0; a < n; a++) {
    let s = r[a]!;
    for (let b = 0; b < n; b++) s -= P[a * n + b]! * r[b]!;
    dq[a]! += s;
  }
}

/**
 * Pose error from `cur` to `tgt` (packed [R|t] row-major) in the base frame: e[0..3) position
 * difference (m), e[3..6) rotation vector of R_tgt·R_curᵀ (rad).
 */
export function poseError(tgt: Float64Array, cur: Float64Array, e: Float64Array): void {
  e[0] = tgt[3]! - cur[3]!;
  e[1] = tgt[7]! - cur[7]!;
  e[2] = tgt[11]! - cur[11]!;
  // R = Rt · Rcᵀ
  const r = rowDot;
  const m00 = r(tgt, cur, 0, 0);
  const m01 = r(tgt, cur, 0, 1);
  const m02 = r(tgt, cur, 0, 2);
  const m10 = r(tgt, cur, 1, 0);
  const m11 = r(tgt, cur, 1, 1);
  const m12 = r(tgt, cur, 1, 2);
  const m20 = r(tgt, cur, 2, 0);
  const m21 = r(tgt, cur, 2, 1);
  const m22 = r(tgt, cur, 2, 2);
  quaternionFromRotation(m00, m01, m02, m10, m11, m12, m20, m21, m22, _quat, 0);
  let x = _quat[0]!;
  let y = _quat[1]!;
  let z = _quat[2]!;
  let w = _quat[3]!;
  if (w < 0) {
    w = -w;
    x = -x;
    y = -y;
    z = -z;
  }
  const vn = Math.hypot(x, y, z);
  const f = vn > 1e-12 ? (2 * Math.atan2(vn, w)) / vn : 2;
  e[3] = x * f;
  e[4] = y * f;
  e[5] = z * f;
}

const _quat = new Float64Array(4);

/** Row i of a's rotation dotted with row j of b's: (Ra·Rbᵀ)[i][j]. */
function rowDot(a: Float64Array, b: Float64Array, i: number, j: number): number {
  return a[i * 4]! * b[j * 4]! + a[i * 4 + 1]! * b[j * 4 + 1]! + a[i * 4 + 2]! * b[j * 4 + 2]!;
}

/** In-place Cholesky factor of an SPD n×n matrix (lower triangle). False if not positive definite. */
function choleskyFactor(A: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= A[j * n + k]! * A[j * n + k]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    A[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= A[i * n + k]! * A[j * n + k]!;
      A[i * n + j] = s / l;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place (b becomes x), with L from choleskyFactor. */
function choleskySubstitute(L: Float64Array, b: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
}

/** x = A⁻¹ b for SPD A (A is overwritten); x = 0 if A is not positive definite. */
function choleskySolve(A: Float64Array, b: Float64Array, x: Float64Array, n: number): void {
  if (!choleskyFactor(A, n)) {
    x.fill(0);
    return;
  }
  x.set(b);
  choleskySubstitute(A, x, n);
}
