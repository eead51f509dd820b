import type * as CANNON from 'cannon-es';
import { Matrix4 } from 'three';
import type { SimRobot } from '../robot/SimRobot.ts';
import { originToMatrix4 } from '../robot/Urdf.ts';
import { COLORS } from '../scene/colors.ts';
import type { Scene } from '../scene/Scene.ts';
import type { ObjectKind } from '../scene/SceneObject.ts';
import type { CameraFrame } from './CameraFrame.ts';
import type { PinholeCamera } from './PinholeCamera.ts';
import { Primitive } from './Primitive.ts';
import { RayScene, type RenderOptions } from './RayScene.ts';

/** One segmentation id and what it stands for. */
export interface InstanceLabel {
  /** The value in the segmentation image (0 is "nothing": sky and floor). */
  id: number;
  /** 'table', 'robot', or the scene object's id ('red_block', 'cable'). */
  name: string;
  kind: 'table' | 'robot' | ObjectKind;
  /** As perception would say it: 'red block', 'table', 'robot'. */
  className: string;
}

export const TABLE_INSTANCE = 1;
export const ROBOT_INSTANCE = 2;
/** The first scene object's id; the others follow in scene order. */
export const FIRST_OBJECT_INSTANCE = 3;

/** Table top extent, world frame, m: its surface is the z = 0 plane the physics uses. */
const TABLE = { x: [-0.4, 1.1], y: [-0.8, 0.8], thickness: 0.04 } as const;
const TABLE_COLOR = [0.62, 0.52, 0.4];
const FLOOR_Z = -0.75; // m
const FLOOR_COLOR = [0.2, 0.2, 0.22];
/** Robot links with a visual but no material colour. */
const DEFAULT_ROBOT_COLOR = [0.7, 0.7, 0.72];

const _link = new Matrix4();
const _m = new Matrix4();

interface Updater {
  primitive: Primitive;
  update(): void;
}

/**
 * The camera's view of a sim episode: the same scene the physics and the viewer have
 * (table, the robot's URDF visuals, every object's shape parts), as analytic
 * primitives that follow their bodies. Build one per episode; `render()` reads the
 * current poses. Pure: no I/O.
 */
export class SceneRenderer {
  readonly rayScene = new RayScene();
  /** Segmentation ids → objects, in id order. */
  readonly instances: InstanceLabel[];
  readonly #updaters: Updater[] = [];

  /** `robot`: the robot, or every robot at a shared table (all under the one 'robot' instance). */
  constructor(scene: Scene, robot?: SimRobot | readonly SimRobot[]) {
    const rs = this.rayScene;
    this.instances = [{ id: TABLE_INSTANCE, name: 'table', kind: 'table', className: 'table' }];
    const table = rs.add(
      Primitive.box(
        [TABLE.x[1] - TABLE.x[0], TABLE.y[1] - TABLE.y[0], TABLE.thickness],
        TABLE_COLOR,
        TABLE_INSTANCE,
      ),
    );
    table.setPose(
      (TABLE.x[0] + TABLE.x[1]) / 2,
      (TABLE.y[0] + TABLE.y[1]) / 2,
      -TABLE.thickness / 2,
      0,
      0,
      0,
      1,
    );
    rs.add(Primitive.rect(Infinity, Infinity, FLOOR_COLOR, 0)).setPose(0, 0, FLOOR_Z, 0, 0, 0, 1);
    const robots = robot === undefined ? [] : Array.isArray(robot) ? robot : [robot as SimRobot];
    if (robots.length > 0) {
      this.instances.push({ id: ROBOT_INSTANCE, name: 'robot', kind: 'robot', className: 'robot' });
    }
    for (const r of robots) this.#addRobot(r);
    let id = FIRST_OBJECT_INSTANCE;
    for (const o of scene.objects) {
      const instance = id++;
      this.instances.push({ id: instance, name: o.id, kind: o.kind, className: o.className });
      const color = COLORS[o.color];
      if (o.segments) {
        for (const s of o.segments) {
          const part = o.parts[0]!;
          const radius = part.type === 'sphere' ? part.radius : o.size[1] / 2;
          this.#follow(rs.add(Primitive.sphere(radius, color, instance)), s);
        }
        continue;
      }
      for (const part of o.parts) {
        const p = rs.add(
          part.type === 'box'
            ? Primitive.box(part.size, color, instance)
            : Primitive.sphere(part.radius, color, instance),
        );
        if (o.body) this.#follow(p, o.body, part.offset);
        else {
          const pose = o.pose ?? { position: [0, 0, 0], yaw: 0 };
          const [x, y, z] = pose.position;
          p.setPose(x, y, z, 0, 0, Math.sin(pose.yaw / 2), Math.cos(pose.yaw / 2), part.offset);
        }
      }
    }
  }

  /** Moves every primitive to its body's current pose. */
  update(): void {
    for (const u of this.#updaters) u.update();
  }

  /** Updates the poses and renders colour, depth and segmentation. */
  render(camera: PinholeCamera, frame: CameraFrame, options?: RenderOptions): void {
    this.update();
    this.rayScene.render(camera, frame, options);
  }

  /** The label of a segmentation id, or undefined for 0 and unknown ids. */
  label(id: number): InstanceLabel | undefined {
    return this.instances.find((l) => l.id === id);
  }

  #follow(p: Primitive, body: CANNON.Body, offset?: ArrayLike<number>): void {
    const update = () => {
      const x = body.position;
      const q = body.quaternion;
      p.setPose(x.x, x.y, x.z, q.x, q.y, q.z, q.w, offset);
    };
    update();
    this.#updaters.push({ primitive: p, update });
  }

  #addRobot(robot: SimRobot): void {
    const articulation = robot.articulation;
    for (const link of robot.description.urdf.links.values()) {
      for (const visual of link.visuals) {
        const g = visual.geometry;
        const rgba = visual.material?.rgba;
        const color = rgba ? rgba.slice(0, 3) : DEFAULT_ROBOT_COLOR;
        let p: Primitive;
        if (g.type === 'box') p = Primitive.box(g.size, color, ROBOT_INSTANCE);
        else if (g.type === 'sphere') p = Primitive.sphere(g.radius, color, ROBOT_INSTANCE);
        else if (g.type === 'cylinder') p = Primitive.cylinder(g.radius, g.length, color, ROBOT_INSTANCE);
        else continue; // meshes: the robots here are primitive-only (robots/*/robot.urdf)
        this.rayScene.add(p);
        const origin = originToMatrix4(visual.origin, new Matrix4());
        const name = link.name;
        const update = () => {
          articulation.linkWorldMatrix(name, _link);
          _m.multiplyMatrices(_link, origin);
          p.setPoseFromMatrix4(_m.elements);
        };
        update();
        this.#updaters.push({ primitive: p, update });
      }
    }
  }
}
