/**
 * Timestamped samples of a fixed-length vector (a pose, a set of joint angles), read back at
 * any time by linear interpolation between the two samples around it. The viewer renders a
 * little in the past (see RENDER_DELAY_MS in SceneView) so that there is nearly always a
 * sample on each side: motion stays smooth at render rate even though /tf arrives at 50 Hz
 * and /joint_states is throttled. Before the first sample and after the last it holds the
 * nearest one (no extrapolation: a paused sim stands still).
 *
 * A pose is [x, y, z, qx, qy, qz, qw] with `quaternionAt: 3`: the quaternion part is
 * interpolated along the shorter arc and renormalised (nlerp, close enough to slerp for the
 * small rotations between two samples).
 */
export class Track {
  readonly length: number;
  readonly #quaternionAt: number;
  readonly #capacity: number;
  /** Ring buffer of sample times (ms) and values; #count newest samples, oldest at #head. */
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  #head = 0;
  #count = 0;

  /**
   * @param length values per sample
   * @param options.quaternionAt index of a unit quaternion (x, y, z, w) inside each sample, or -1
   * @param options.capacity samples kept @default 8
   */
  constructor(length: number, options: { quaternionAt?: number; capacity?: number } = {}) {
    this.length = length;
    this.#quaternionAt = options.quaternionAt ?? -1;
    this.#capacity = options.capacity ?? 8;
    this.#times = new Float64Array(this.#capacity);
    this.#values = new Float64Array(this.#capacity * length);
  }

  get size(): number {
    return this.#count;
  }

  /** Time of the newest sample, ms, or -Infinity. */
  get latestTime(): number {
    return this.#count ? this.#times[this.#slot(this.#count - 1)]! : Number.NEGATIVE_INFINITY;
  }

  clear(): void {
    this.#count = 0;
    this.#head = 0;
  }

  /**
   * Adds a sample. A time earlier than the newest sample's (a clock jump) clears the older
   * samples first. Values past `length` are ignored; missing ones read as 0.
   */
  push(timeMs: number, values: ArrayLike<number>): void {
    if (this.#count && timeMs < this.latestTime) this.clear();
    let slot: number;
    if (this.#count < this.#capacity) {
      slot = this.#slot(this.#count);
      this.#count++;
    } else {
      slot = this.#head;
      this.#head = (this.#head + 1) % this.#capacity;
    }
    this.#times[slot] = timeMs;
    const base = slot * this.length;
    for (let i = 0; i < this.length; i++) this.#values[base + i] = i < values.length ? values[i]! : 0;
  }

  /** Writes the value at `timeMs` into `out` and returns it; returns undefined when empty. */
  sample<T extends { [i: number]: number }>(timeMs: number, out: T): T | undefined {
    const n = this.#count;
    if (n === 0) return undefined;
    // Newest sample at or before timeMs.
    let k = n - 1;
    while (k > 0 && this.#times[this.#slot(k)]! > timeMs) k--;
    const a = this.#slot(k);
    if (k === n - 1 || this.#times[a]! >= timeMs) {
      // At or after the newest sample, or before the oldest: hold it.
      return this.#copy(a, out);
    }
    const b = this.#slot(k + 1);
    const ta = this.#times[a]!;
    const tb = this.#times[b]!;
    const u = tb > ta ? (timeMs - ta) / (tb - ta) : 1;
    const va = a * this.length;
    const vb = b * this.length;
    const q = this.#quaternionAt;
    for (let i = 0; i < this.length; i++) {
      if (q >= 0 && i >= q && i < q + 4) continue;
      out[i] = this.#values[va + i]! + (this.#values[vb + i]! - this.#values[va + i]!) * u;
    }
    if (q >= 0) {
      let dot = 0;
      for (let i = 0; i < 4; i++) dot += this.#values[va + q + i]! * this.#values[vb + q + i]!;
      const sign = dot < 0 ? -1 : 1; // take the shorter arc
      let norm = 0;
      for (let i = 0; i < 4; i++) {
        const x = this.#values[va + q + i]! * (1 - u) + sign * this.#values[vb + q + i]! * u;
        out[q + i] = x;
        norm += x * x;
      }
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < 4; i++) out[q + i] = out[q + i]! / norm;
    }
    return out;
  }

  #copy<T extends { [i: number]: number }>(slot: number, out: T): T {
    const base = slot * this.length;
    for (let i = 0; i < this.length; i++) out[i] = this.#values[base + i]!;
    return out;
  }

  #slot(k: number): number {
    return (this.#head + k) % this.#capacity;
  }
}
