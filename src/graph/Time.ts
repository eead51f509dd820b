/** builtin_interfaces/msg/Time helpers. Sim time is kept as bigint nanoseconds so epoch times stay exact. */
import type { Time } from './types.ts';

export const NS_PER_SECOND = 1_000_000_000n;

export function timeToNs(t: Time): bigint {
  return BigInt(t.sec) * NS_PER_SECOND + BigInt(t.nanosec);
}

export function nsToTime(ns: bigint): Time {
  const sec = ns / NS_PER_SECOND;
  return { sec: Number(sec), nanosec: Number(ns - sec * NS_PER_SECOND) };
}

/** Seconds (float) to nanoseconds, rounded to the nearest ns. */
export function secondsToNs(seconds: number): bigint {
  const whole = Math.floor(seconds);
  return BigInt(whole) * NS_PER_SECOND + BigInt(Math.round((seconds - whole) * 1e9));
}

export function timeToSeconds(t: Time): number {
  return t.sec + t.nanosec / 1e9;
}

/** Wall time now, to the microsecond. */
export function wallNow(): Time {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nanosec: Math.round((ms - sec * 1000) * 1e6) % 1_000_000_000 };
}
