import { createCable, createClip } from '../../scene/objects.ts';
import type { Goal } from '../Goal.ts';
import { fill, registerTask } from '../Task.ts';

export const CABLE_ROUTE_PHRASINGS = [
  'route the cable through clip {a}, then clip {b}, then clip {c}',
  'thread the cable through clips {a}, {b} and {c} in that order',
  'pass the cable through clip {a}, clip {b} and then clip {c}',
] as const;

/**
 * A cable fixed at one end lies along +y near the robot; three clips stand in a
 * row beside it. Their labels are shuffled, and the instruction names them in the
 * order they stand from the fixed end, so the route is feasible and the order is
 * checked along the cable. The unseen split moves the row further from the cable.
 */
registerTask({
  id: 'cable_route',
  description: 'Route a cable, fixed at one end, through three clips in a given order.',
  phrasings: CABLE_ROUTE_PHRASINGS,
  timeLimitSeconds: () => 90,
  build(ctx) {
    const { rng, spec, scene } = ctx;
    const c = spec.cable;
    const anchor: [number, number, number] = [rng.uniform(0.3, 0.34), rng.uniform(-0.32, -0.28), c.radius];
    const yaw = Math.PI / 2 + rng.uniform(-0.05, 0.05);
    const color = ctx.colors.take('cable');
    const { object: cable, constraints } = createCable({
      id: 'cable',
      color,
      segments: c.segments,
      spacing: c.spacing,
      radius: c.radius,
      segmentMass: c.segmentMass,
      anchor,
      yaw,
      material: scene.physics.materials.cable,
    });
    scene.add(cable, constraints);
    const offset = ctx.split === 'seen' ? rng.uniform(0.08, 0.11) : rng.uniform(0.11, 0.13);
    const labels = rng.shuffle(['A', 'B', 'C']);
    // Each clip's slot faces the previous point of the route (the fixed end, then the
    // previous clip), as clips along a cable run are mounted.
    let previous: [number, number] = [anchor[0], anchor[1]];
    const clips = labels.map((label, i) => {
      const along = 0.12 + 0.12 * i + rng.uniform(-0.015, 0.015);
      const x = anchor[0] + offset + rng.uniform(-0.01, 0.01);
      const y = anchor[1] + along;
      const yaw = Math.atan2(y - previous[1], x - previous[0]) + rng.uniform(-0.1, 0.1);
      previous = [x, y];
      const clip = createClip({
        id: `clip_${label}`,
        label,
        color: 'gray',
        ...spec.clip,
        position: [x, y, 0],
        yaw,
      });
      if (clip.body) clip.body.material = scene.physics.materials.fixture;
      return scene.add(clip);
    });
    const goal: Goal = { type: 'cable_route', cable: cable.id, clips: clips.map((k) => k.id) };
    const [a, b, cl] = labels as [string, string, string];
    return { goal, instruction: fill(rng.pick(CABLE_ROUTE_PHRASINGS), { a, b, c: cl }) };
  },
});
