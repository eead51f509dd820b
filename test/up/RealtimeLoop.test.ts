import { describe, expect, it } from 'vitest';
import { RealtimeLoop } from '../../src/up/RealtimeLoop.ts';

/** A loop on a wall clock the test moves by hand; `pump()` is one wake-up. */
function manualLoop(options: { maxCatchUpSeconds?: number; tick?: () => void } = {}) {
  let nowMs = 1000;
  let ticks = 0;
  const loop = new RealtimeLoop({
    stepSeconds: 0.01,
    maxCatchUpSeconds: options.maxCatchUpSeconds ?? 0.1,
    now: () => nowMs,
    tick:
      options.tick ??
      (() => {
        ticks++;
      }),
  });
  return {
    loop,
    advance(ms: number) {
      nowMs += ms;
    },
    get ticks() {
      return ticks;
    },
  };
}

/** Resolves once `done()` holds, checking once per event-loop turn; rejects after 2 s. */
function until(done: () => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (done()) resolve();
      else if (performance.now() > deadline) reject(new Error('condition not met within 2 s'));
      else setImmediate(check);
    };
    check();
  });
}

describe('RealtimeLoop', () => {
  it('runs the ticks the wall clock says are due, and no more', async () => {
    const m = manualLoop();
    expect(await m.loop.pump()).toBe(0);
    m.advance(35); // 3.5 steps of 10 ms
    expect(await m.loop.pump()).toBe(3);
    expect(await m.loop.pump()).toBe(0);
    m.advance(5); // the half step completes the 4th
    expect(await m.loop.pump()).toBe(1);
    expect(m.ticks).toBe(4);
    expect(m.loop.stats()).toMatchObject({ ticks: 4, droppedSeconds: 0 });
    expect(m.loop.stats().simSeconds).toBeCloseTo(0.04, 12);
  });

  it('catches up at most maxCatchUpSeconds after a stall and drops the rest', async () => {
    const m = manualLoop({ maxCatchUpSeconds: 0.05 });
    m.advance(1000); // a 1 s stall: 100 ticks due
    expect(await m.loop.pump()).toBe(5);
    expect(m.loop.stats().droppedSeconds).toBeCloseTo(0.95, 12);
    // The backlog is gone: the next wake-up runs only what fell due since.
    expect(await m.loop.pump()).toBe(0);
    m.advance(20);
    expect(await m.loop.pump()).toBe(2);
  });

  it('does not tick while paused, and does not catch up the paused time on resume', async () => {
    const m = manualLoop();
    m.loop.pause();
    m.advance(500);
    expect(await m.loop.pump()).toBe(0);
    m.loop.resume();
    expect(await m.loop.pump()).toBe(0);
    m.advance(30);
    expect(await m.loop.pump()).toBe(3);
    expect(m.loop.stats()).toMatchObject({ ticks: 3, droppedSeconds: 0, paused: false });
  });

  it('stops a running loop, waits for it, and is safe to stop twice', async () => {
    let ticks = 0;
    const loop = new RealtimeLoop({ stepSeconds: 0.001, tick: () => ticks++ });
    loop.start();
    await until(() => ticks >= 3);
    await loop.stop();
    const after = ticks;
    await loop.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ticks).toBe(after);
    expect(loop.stopped).toBe(true);
  });

  it('stops and reports the error when a tick throws', async () => {
    const errors: unknown[] = [];
    const loop = new RealtimeLoop({
      stepSeconds: 0.001,
      tick: () => {
        throw new Error('physics blew up');
      },
      onError: (e) => errors.push(e),
    });
    loop.start();
    await until(() => errors.length > 0);
    await loop.stop();
    expect(String(errors[0])).toContain('physics blew up');
    expect(errors).toHaveLength(1);
    expect(loop.stopped).toBe(true);
  });

  it('rejects a step that is not a positive number', () => {
    expect(() => new RealtimeLoop({ stepSeconds: 0, tick: () => {} })).toThrow(
      /stepSeconds must be a positive number, got 0/,
    );
  });
});
