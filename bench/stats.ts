// Small statistics shared by the benchmarks.

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = values.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) of a non-empty list, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** `v` rounded to `digits` decimals. */
export function round(v: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
