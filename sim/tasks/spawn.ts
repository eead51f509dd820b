import type { ColorName } from '../scene/colors.ts';
import { createBlock, createBowl, createZone } from '../scene/objects.ts';
import type { SceneObject } from '../scene/SceneObject.ts';
import type { TaskBuildContext } from './Task.ts';

function uniqueId(ctx: TaskBuildContext, base: string): string {
  if (!ctx.scene.has(base)) return base;
  for (let i = 2; ; i++) if (!ctx.scene.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Adds a block of `color` at a free, seeded position and yaw. */
export function spawnBlock(ctx: TaskBuildContext, color: ColorName): SceneObject {
  const { block } = ctx.spec;
  const size = ctx.rng.uniform(block.size[0], block.size[1]);
  const p = ctx.layout.sample(size * 0.75);
  return ctx.scene.add(
    createBlock({
      id: uniqueId(ctx, `${color}_block`),
      color,
      size,
      mass: block.mass,
      position: [p.x, p.y, size / 2],
      yaw: ctx.rng.uniform(-Math.PI / 4, Math.PI / 4),
      material: ctx.scene.physics.materials.object,
    }),
  );
}

/** Adds a square bowl of `color`. */
export function spawnBowl(ctx: TaskBuildContext, color: ColorName): SceneObject {
  const { bowl } = ctx.spec;
  const inner = ctx.rng.uniform(bowl.innerSize[0], bowl.innerSize[1]);
  const p = ctx.layout.sample(inner * 0.5 + bowl.wallThickness * 1.41, 0.02);
  return ctx.scene.add(
    createBowl({
      id: uniqueId(ctx, `${color}_bowl`),
      color,
      innerSize: inner,
      wallHeight: bowl.wallHeight,
      wallThickness: bowl.wallThickness,
      position: [p.x, p.y, 0],
      yaw: ctx.rng.uniform(-Math.PI / 4, Math.PI / 4),
    }),
  );
}

/** Adds a flat square zone of `color`. */
export function spawnZone(ctx: TaskBuildContext, color: ColorName): SceneObject {
  const size = ctx.rng.uniform(ctx.spec.zone.size[0], ctx.spec.zone.size[1]);
  const p = ctx.layout.sample(size * 0.71, 0.02);
  return ctx.scene.add(
    createZone({
      id: uniqueId(ctx, `${color}_zone`),
      color,
      size,
      position: [p.x, p.y, 0],
      yaw: ctx.rng.uniform(-Math.PI / 4, Math.PI / 4),
    }),
  );
}
