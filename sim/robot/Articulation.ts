import * as CANNON from 'cannon-es';
import { Matrix4, Quaternion, Vector3 } from 'three';
import { CollisionGroup } from '../core/PhysicsWorld.ts';
import { AFFINE_SIZE, affineFromOrigin, affineMultiply, quaternionFromRotation } from './Affine.ts';
import type { RobotTree } from './RobotTree.ts';
import { originToMatrix4, type UrdfGeometry, type UrdfOrigin, type UrdfRobot } from './Urdf.ts';

const _pos = new Vector3();
const _quat = new Quaternion();
const _m = new Matrix4();
const _cq = new CANNON.Quaternion();
const _dq = new CANNON.Quaternion();

/** One link's physics body and the pose it must reach this step. */
interface LinkBody {
  link: string;
  /** Index of the link in the tree's packed poses. */
  index: number;
  body: CANNON.Body;
  /** Target pose for the step in flight: x y z, qx qy qz qw. */
  target: Float64Array;
}

/**
 * The arm as a kinematic articulation (DESIGN.md, "Real arms are stiff").
 *
 * Every URDF link with collision geometry becomes a kinematic cannon-es body.
 * Each step our forward kinematics give the links' next poses; `drive()` sets each
 * body's linear and angular velocity so that integration lands on that pose, which
 * lets contacts see the true link velocity (fingers carry objects by friction only
 * when their velocity is set; FACTS.md). `snap()` then removes integration error.
 *
 * Bodies never sleep: a sleeping kinematic body ignores the velocity set on it.
 */
export class Articulation {
  readonly bodies: ReadonlyMap<string, CANNON.Body>;
  readonly #links: LinkBody[];
  readonly #tree: RobotTree;
  /** base_link pose in the world. */
  readonly mount: Matrix4;
  readonly #mountAffine = new Float64Array(AFFINE_SIZE);
  readonly #scratch = new Float64Array(AFFINE_SIZE);

  constructor(urdf: UrdfRobot, tree: RobotTree, mount: UrdfOrigin) {
    this.#tree = tree;
    this.mount = originToMatrix4(mount, new Matrix4());
    affineFromOrigin(mount, this.#mountAffine, 0);
    const links: LinkBody[] = [];
    const bodies = new Map<string, CANNON.Body>();
    for (const link of urdf.links.values()) {
      const shapes = link.collisions.filter((c) => c.geometry.type !== 'mesh');
      if (shapes.length === 0) continue;
      const body = new CANNON.Body({
        type: CANNON.Body.KINEMATIC,
        mass: 0,
        collisionFilterGroup: CollisionGroup.ROBOT,
        collisionFilterMask: CollisionGroup.OBJECT | CollisionGroup.CABLE,
      });
      body.allowSleep = false;
      body.sleepSpeedLimit = 0;
      for (const c of shapes) {
        const { shape, orientation } = toShape(c.geometry);
        const o = originToMatrix4(c.origin, _m);
        _pos.setFromMatrixPosition(o);
        _quat.setFromRotationMatrix(o);
        const q = new CANNON.Quaternion(_quat.x, _quat.y, _quat.z, _quat.w);
        body.addShape(shape, new CANNON.Vec3(_pos.x, _pos.y, _pos.z), orientation ? q.mult(orientation) : q);
      }
      links.push({ link: link.name, index: tree.linkIndex(link.name), body, target: new Float64Array(7) });
      bodies.set(link.name, body);
    }
    this.#links = links;
    this.bodies = bodies;
  }

  addTo(world: CANNON.World): void {
    for (const l of this.#links) world.addBody(l.body);
  }

  /** World pose of a link after the last `tree.update()`, into `out`. */
  linkWorldMatrix(link: string, out: Matrix4): Matrix4 {
    return out.multiplyMatrices(this.mount, this.#tree.linkPose(link));
  }

  /** Places every body at the tree's current pose with zero velocity (reset). */
  place(): void {
    for (const l of this.#links) {
      this.#computeTarget(l);
      const t = l.target;
      l.body.position.set(t[0]!, t[1]!, t[2]!);
      l.body.quaternion.set(t[3]!, t[4]!, t[5]!, t[6]!);
      l.body.previousPosition.copy(l.body.position);
      l.body.velocity.setZero();
      l.body.angularVelocity.setZero();
      l.body.aabbNeedsUpdate = true;
    }
  }

  /**
   * Sets each body's velocity to reach the tree's current pose (the next step's
   * target) in `dt`. Call after `tree.update(next)` and before `world.step(dt)`.
   */
  drive(dt: number): void {
    for (const l of this.#links) {
      this.#computeTarget(l);
      const t = l.target;
      const b = l.body;
      b.velocity.set((t[0]! - b.position.x) / dt, (t[1]! - b.position.y) / dt, (t[2]! - b.position.z) / dt);
      // Angular velocity from the quaternion difference dq = target · current⁻¹.
      _cq.set(t[3]!, t[4]!, t[5]!, t[6]!);
      b.quaternion.conjugate(_dq);
      _cq.mult(_dq, _dq);
      if (_dq.w < 0) _dq.set(-_dq.x, -_dq.y, -_dq.z, -_dq.w);
      const s = Math.sqrt(_dq.x * _dq.x + _dq.y * _dq.y + _dq.z * _dq.z);
      if (s < 1e-12) {
        b.angularVelocity.setZero();
      } else {
        const angle = 2 * Math.atan2(s, _dq.w);
        const k = angle / (s * dt);
        b.angularVelocity.set(_dq.x * k, _dq.y * k, _dq.z * k);
      }
    }
  }

  /** Puts each body exactly on its target pose after the step (removes integration drift). */
  snap(): void {
    for (const l of this.#links) {
      const t = l.target;
      l.body.position.set(t[0]!, t[1]!, t[2]!);
      l.body.quaternion.set(t[3]!, t[4]!, t[5]!, t[6]!);
      l.body.aabbNeedsUpdate = true;
    }
  }

  #computeTarget(l: LinkBody): void {
    // World pose = mount · link pose, on packed affines (no Matrix4 on the hot path).
    const a = this.#scratch;
    affineMultiply(this.#mountAffine, 0, this.#tree.packed, l.index * AFFINE_SIZE, a, 0);
    const t = l.target;
    t[0] = a[3]!;
    t[1] = a[7]!;
    t[2] = a[11]!;
    quaternionFromRotation(a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!, t, 3);
  }
}

function toShape(g: UrdfGeometry): { shape: CANNON.Shape; orientation?: CANNON.Quaternion } {
  switch (g.type) {
    case 'box':
      return { shape: new CANNON.Box(new CANNON.Vec3(g.size[0] / 2, g.size[1] / 2, g.size[2] / 2)) };
    case 'sphere':
      return { shape: new CANNON.Sphere(g.radius) };
    case 'cylinder': {
      // cannon-es cylinders run along their local y axis; URDF cylinders along z.
      const q = new CANNON.Quaternion().setFromAxisAngle(new CANNON.Vec3(1, 0, 0), Math.PI / 2);
      return { shape: new CANNON.Cylinder(g.radius, g.radius, g.length, 12), orientation: q };
    }
    case 'mesh':
      throw new Error('mesh collision geometry is not supported; use primitives');
  }
}
