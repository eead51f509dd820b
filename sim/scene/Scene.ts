import type * as CANNON from 'cannon-es';
import type { PhysicsWorld } from '../core/PhysicsWorld.ts';
import { createTable } from './objects.ts';
import type { ObjectKind, SceneObject } from './SceneObject.ts';

/**
 * The objects of one episode on the table, added to a physics world.
 * Object ids are unique; lookups by an unknown id throw with the known ids.
 */
export class Scene {
  readonly physics: PhysicsWorld;
  readonly table: CANNON.Body;
  readonly #objects = new Map<string, SceneObject>();

  constructor(physics: PhysicsWorld) {
    this.physics = physics;
    this.table = createTable();
    this.table.material = physics.materials.fixture;
    physics.addBody(this.table);
  }

  add(object: SceneObject, constraints: CANNON.Constraint[] = []): SceneObject {
    if (this.#objects.has(object.id)) throw new Error(`scene: duplicate object id "${object.id}"`);
    this.#objects.set(object.id, object);
    if (object.segments) for (const s of object.segments) this.physics.addBody(s);
    else if (object.body) this.physics.addBody(object.body);
    for (const c of constraints) this.physics.world.addConstraint(c);
    return object;
  }

  get(id: string): SceneObject {
    const o = this.#objects.get(id);
    if (!o) throw new Error(`scene: no object "${id}"; objects: ${[...this.#objects.keys()].join(', ')}`);
    return o;
  }

  has(id: string): boolean {
    return this.#objects.has(id);
  }

  get objects(): SceneObject[] {
    return [...this.#objects.values()];
  }

  ofKind(kind: ObjectKind): SceneObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }
}
