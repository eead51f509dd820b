import { describe, expect, it } from 'vitest';
import { QOS_CLOCK, SimClock, timeToSeconds } from '../../src/graph/index.ts';
import { makeGraph } from './helpers.ts';

describe('sim-time timers', () => {
  it('fire in sim-time order as a driven clock advances, with now() at each due time', () => {
    const clock = new SimClock();
    const { context } = makeGraph({ clock });
    const node = context.createNode('n');
    const log: string[] = [];
    node.createTimer(0.1, () => log.push(`fast@${timeToSeconds(node.now()).toFixed(2)}`));
    node.createTimer(0.25, () => log.push(`slow@${timeToSeconds(node.now()).toFixed(2)}`), { clock: 'sim' });
    clock.advanceBy(0.05);
    expect(log).toEqual([]);
    clock.advanceBy(0.5);
    expect(log).toEqual([
      'fast@0.10',
      'fast@0.20',
      'slow@0.25',
      'fast@0.30',
      'fast@0.40',
      'fast@0.50',
      'slow@0.50',
    ]);
    expect(node.now()).toEqual({ sec: 0, nanosec: 550_000_000 });
    context.destroy();
  });

  it('gives the same firing sequence for the same clock steps, however they are grouped', () => {
    // Steps are absolute times in ns, so both groupings end at exactly 1 s.
    const run = (steps: bigint[]) => {
      const clock = new SimClock();
      const { context } = makeGraph({ clock });
      const node = context.createNode('n');
      const log: string[] = [];
      for (const [name, period] of [
        ['a', 0.004],
        ['b', 0.01],
        ['c', 1 / 60],
      ] as const) {
        node.createTimer(period, () => log.push(`${name}${node.now().nanosec}`));
      }
      for (const s of steps) clock.advanceTo(s);
      context.destroy();
      return log;
    };
    const fine = run(Array.from({ length: 240 }, (_, i) => BigInt(Math.round(((i + 1) * 1e9) / 240))));
    const coarse = run([500_000_000n, 750_000_000n, 1_000_000_000n]);
    expect(fine.length).toBeGreaterThan(300);
    expect(coarse).toEqual(fine);
  });

  it('cancels, resets and isolates a throwing timer', () => {
    const clock = new SimClock();
    const { context } = makeGraph({ clock });
    const node = context.createNode('n');
    const errors: string[] = [];
    node.on('error', (e) => errors.push(`${e.kind}:${e.error.message}`));
    let ticks = 0;
    const t = node.createTimer(1, () => ticks++);
    node.createTimer(1, () => {
      throw new Error('tick failed');
    });
    clock.advanceBy(2);
    expect(ticks).toBe(2);
    expect(errors).toEqual(['timer:tick failed', 'timer:tick failed']);
    t.cancel();
    clock.advanceBy(2);
    expect(ticks).toBe(2);
    clock.advanceBy(0.5);
    t.reset();
    clock.advanceBy(0.9);
    expect(ticks).toBe(2);
    clock.advanceBy(0.1);
    expect(ticks).toBe(3);
    t.destroy();
    t.destroy();
    context.destroy();
  });

  it('follows /clock messages when the context runs on sim time from the topic', () => {
    const { context } = makeGraph({ clock: 'sim' });
    const sim = context.createNode('sim');
    const clockPub = sim.createPublisher('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK);
    const node = context.createNode('policy');
    const fired: number[] = [];
    node.createTimer(0.5, () => fired.push(timeToSeconds(node.now())));
    for (let ms = 0; ms <= 1200; ms += 100)
      clockPub.publish({ clock: { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 } });
    expect(fired).toEqual([0.5, 1]);
    expect(node.now()).toEqual({ sec: 1, nanosec: 200_000_000 });
    context.destroy();
  });

  it('refuses a sim timer without a sim clock, and a non-positive period', () => {
    const { context } = makeGraph();
    const node = context.createNode('n');
    expect(() => node.createTimer(0.1, () => {}, { clock: 'sim' })).toThrow(
      /needs a context created with a sim clock/,
    );
    expect(() => node.createTimer(0, () => {})).toThrow(/period must be .* > 0 \(got 0\)/);
    const wall = node.createTimer(1000, () => {});
    expect(wall.clock).toBe('wall');
    context.destroy();
  });
});
