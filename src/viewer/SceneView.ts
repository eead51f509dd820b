import {
  AmbientLight,
  AxesHelper,
  BoxGeometry,
  CatmullRomCurve3,
  Color,
  DirectionalLight,
  GridHelper,
  Group,
  HemisphereLight,
  Matrix4,
  Mesh,
  MeshStandardMaterial,
  PerspectiveCamera,
  PlaneGeometry,
  Quaternion,
  Scene,
  SphereGeometry,
  TubeGeometry,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import URDFLoader from 'urdf-loader';
import type { URDFRobot } from 'urdf-loader/src/URDFClasses.js';
import type { Vec3 } from '../../sim/scene/SceneObject.ts';
import { FrameTree, type TransformStampedJson } from './FrameTree.ts';
import { cableSegmentOf, DEFAULT_FIXTURE_DIMS, type FixtureDims, objectShape } from './objectShape.ts';
import { Track } from './Track.ts';

/*
 * Frames. The whole viewer works in the ROS world frame, z up (REP-103): x forward from the
 * robot, y to its left. three.js is y-up by convention, so instead of rotating every pose the
 * camera's up vector is set to +z and OrbitControls orbits about it:
 *
 *        z (up)
 *        |   y
 *        |  /
 *        | /
 *        +------ x (away from the robot base)
 *
 * The table top is the plane z = 0; the robot base (world -> base_link on /tf_static) stands on it.
 */

/**
 * How far in the past the viewer renders, ms. Poses arrive at 30-50 Hz; rendering ~2.5 sample
 * periods behind the newest keeps a sample on each side of the render time, so motion is
 * interpolated rather than stepped. Lower it for less lag, raise it if motion stutters.
 */
export const RENDER_DELAY_MS = 60;

/** sensor_msgs/JointState fields the viewer reads. */
export interface JointStateJson {
  name: string[];
  position: ArrayLike<number>;
}

/** vision_msgs/Detection3DArray fields the viewer reads. */
export interface DetectionArrayJson {
  detections: Array<{
    id: string;
    results: Array<{ hypothesis: { class_id: string } }>;
    bbox: {
      center: {
        position: { x: number; y: number; z: number };
        orientation: { x: number; y: number; z: number; w: number };
      };
      size: { x: number; y: number; z: number };
    };
  }>;
}

interface DrawnObject {
  /** class and rounded size: a change rebuilds the meshes. */
  key: string;
  group: Group;
  track: Track;
}

interface DrawnCable {
  mesh: Mesh<TubeGeometry, MeshStandardMaterial>;
  radius: number;
  /** Segment ids in order, with their latest detected positions (fallback when /tf lacks them). */
  segments: Map<number, { id: string; track: Track }>;
}

const BACKGROUND = 0x1b2029;
const TABLE = 0x5b6270;
const _m = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3();
const _pose = new Float64Array(7);

/**
 * The 3D view: the robot from /robot_description (urdf-loader), posed from /joint_states and
 * the world -> base_link transform; the objects, cable and clips from /detections, posed from
 * /tf (falling back to the detections' own poses); axes on every TF frame when asked. Every
 * pose is interpolated at render time (see Track and RENDER_DELAY_MS).
 */
export class SceneView {
  readonly renderer: WebGLRenderer;
  readonly scene = new Scene();
  readonly camera: PerspectiveCamera;
  readonly controls: OrbitControls;
  readonly frames = new FrameTree();
  readonly #world = new Group();
  readonly #objectsGroup = new Group();
  readonly #axesGroup = new Group();
  #robot: URDFRobot | undefined;
  #jointNames: string[] = [];
  #jointTrack: Track | undefined;
  #jointValues = new Float64Array(0);
  readonly #objects = new Map<string, DrawnObject>();
  readonly #cables = new Map<string, DrawnCable>();
  readonly #axes = new Map<string, AxesHelper>();
  #fixtures: FixtureDims = DEFAULT_FIXTURE_DIMS;
  #showFrames = false;
  #showRobot = true;
  /** Frames rendered so far. */
  renderedFrames = 0;
  /** Time the last render() took, ms (scene update and WebGL calls; the GPU may finish later). */
  renderMs = 0;

  constructor(container: HTMLElement) {
    this.renderer = new WebGLRenderer({ antialias: false });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setClearColor(BACKGROUND);
    container.appendChild(this.renderer.domElement);
    this.camera = new PerspectiveCamera(45, 1, 0.01, 50);
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(1.3, -0.95, 0.85);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(0.3, 0.02, 0.18);
    this.controls.enableDamping = true;
    this.controls.update();

    this.scene.background = new Color(BACKGROUND);
    this.scene.add(new HemisphereLight(0xdde6f0, 0x30343c, 1.4));
    this.scene.add(new AmbientLight(0xffffff, 0.25));
    const sun = new DirectionalLight(0xffffff, 2.2);
    sun.position.set(1.2, -0.8, 2.0);
    this.scene.add(sun);

    const table = new Mesh(
      new PlaneGeometry(2.4, 2.4),
      new MeshStandardMaterial({ color: TABLE, roughness: 0.9 }),
    );
    table.position.set(0.3, 0, -0.0005); // just below z = 0, so zones (1 mm thick) draw on top
    this.scene.add(table);
    const grid = new GridHelper(2.4, 24, 0x7b8494, 0x6a7281);
    grid.rotation.x = Math.PI / 2; // GridHelper lies in x-z (y-up); stand it in x-y
    grid.position.set(0.3, 0, 0.0002);
    this.scene.add(grid);

    this.#axesGroup.visible = false;
    this.#world.add(this.#objectsGroup, this.#axesGroup);
    this.scene.add(this.#world);

    const resize = () => {
      const w = Math.max(1, container.clientWidth);
      const h = Math.max(1, container.clientHeight);
      this.renderer.setSize(w, h, true);
      this.camera.aspect = w / h;
      this.camera.updateProjectionMatrix();
    };
    new ResizeObserver(resize).observe(container);
    resize();
  }

  get robotLoaded(): boolean {
    return this.#robot !== undefined;
  }

  /** Ids of the objects and cables drawn. */
  get objectIds(): string[] {
    return [...this.#objects.keys(), ...this.#cables.keys()];
  }

  set fixtures(dims: FixtureDims) {
    this.#fixtures = dims;
  }

  set showFrames(on: boolean) {
    this.#showFrames = on;
    this.#axesGroup.visible = on;
  }

  set showRobot(on: boolean) {
    this.#showRobot = on;
    if (this.#robot) this.#robot.visible = on;
  }

  /** Replaces the robot with the one this URDF describes (primitive geometry; meshes are not fetched). */
  setRobotDescription(urdf: string): void {
    const loader = new URDFLoader();
    loader.parseCollision = false;
    // Mesh files would need a package:// server; simbridge's robots use primitives only.
    loader.loadMeshCb = (_url, _manager, _material, done) => done(new Group());
    const robot = loader.parse(urdf);
    robot.matrixAutoUpdate = false;
    robot.visible = this.#showRobot;
    if (this.#robot) {
      this.#world.remove(this.#robot);
      disposeTree(this.#robot);
    }
    this.#robot = robot;
    this.#world.add(robot);
    this.#jointTrack = undefined;
  }

  setJointStates(msg: JointStateJson, timeMs: number): void {
    if (msg.name.length !== this.#jointNames.length || msg.name.some((n, i) => n !== this.#jointNames[i])) {
      this.#jointNames = [...msg.name];
      this.#jointTrack = new Track(msg.name.length);
      this.#jointValues = new Float64Array(msg.name.length);
    }
    this.#jointTrack?.push(timeMs, msg.position);
  }

  addTransforms(transforms: readonly TransformStampedJson[], timeMs: number, isStatic: boolean): void {
    this.frames.add(transforms, timeMs, isStatic);
  }

  /** Creates, updates and removes object meshes to match the detections. */
  setDetections(msg: DetectionArrayJson, timeMs: number): void {
    const seen = new Set<string>();
    const cablesSeen = new Set<string>();
    for (const d of msg.detections) {
      const className = d.results[0]?.hypothesis.class_id ?? '';
      const c = d.bbox.center;
      _pose[0] = c.position.x;
      _pose[1] = c.position.y;
      _pose[2] = c.position.z;
      _pose[3] = c.orientation.x;
      _pose[4] = c.orientation.y;
      _pose[5] = c.orientation.z;
      _pose[6] = c.orientation.w;
      const size: Vec3 = [d.bbox.size.x, d.bbox.size.y, d.bbox.size.z];
      const segment = cableSegmentOf(d.id, className);
      if (segment) {
        cablesSeen.add(segment.cable);
        this.#cableSegment(segment.cable, segment.index, d.id, className, size).track.push(timeMs, _pose);
        continue;
      }
      seen.add(d.id);
      const key = `${className}|${size.map((v) => v.toFixed(4)).join(',')}`;
      let drawn = this.#objects.get(d.id);
      if (!drawn || drawn.key !== key) {
        if (drawn) this.#removeObject(d.id);
        drawn = { key, group: this.#buildObject(className, size), track: new Track(7, { quaternionAt: 3 }) };
        drawn.group.name = d.id;
        this.#objects.set(d.id, drawn);
        this.#objectsGroup.add(drawn.group);
      }
      drawn.track.push(timeMs, _pose);
    }
    for (const id of [...this.#objects.keys()]) if (!seen.has(id)) this.#removeObject(id);
    for (const id of [...this.#cables.keys()]) {
      if (!cablesSeen.has(id)) {
        const cable = this.#cables.get(id)!;
        this.#objectsGroup.remove(cable.mesh);
        cable.mesh.geometry.dispose();
        cable.mesh.material.dispose();
        this.#cables.delete(id);
      }
    }
  }

  /** Draws the scene as it was RENDER_DELAY_MS before `nowMs`. */
  render(nowMs: number): void {
    const start = performance.now();
    const t = nowMs - RENDER_DELAY_MS;
    this.controls.update();
    if (this.#robot) {
      const root = this.#robot.urdfName || 'base_link';
      if (this.frames.worldMatrix(root, t, _m)) this.#robot.matrix.copy(_m);
      if (this.#jointTrack?.sample(t, this.#jointValues)) {
        for (let i = 0; i < this.#jointNames.length; i++) {
          const joint = this.#robot.joints[this.#jointNames[i]!];
          if (joint) joint.setJointValue(this.#jointValues[i]!);
        }
      }
      this.#robot.matrixWorldNeedsUpdate = true;
    }
    for (const [id, drawn] of this.#objects) {
      if (this.frames.has(id) && this.frames.worldMatrix(id, t, _m)) {
        _m.decompose(drawn.group.position, drawn.group.quaternion, _s);
      } else if (drawn.track.sample(t, _pose)) {
        drawn.group.position.set(_pose[0]!, _pose[1]!, _pose[2]!);
        drawn.group.quaternion.set(_pose[3]!, _pose[4]!, _pose[5]!, _pose[6]!);
      }
    }
    for (const cable of this.#cables.values()) this.#updateCable(cable, t);
    if (this.#showFrames) this.#updateAxes(t);
    this.renderer.render(this.scene, this.camera);
    this.renderedFrames++;
    this.renderMs = performance.now() - start;
  }

  /** Where a world point (m) appears on the canvas, in CSS pixels from its top-left corner. */
  project(x: number, y: number, z: number): { x: number; y: number } {
    const v = new Vector3(x, y, z).project(this.camera);
    const el = this.renderer.domElement;
    return { x: ((v.x + 1) / 2) * el.clientWidth, y: ((1 - v.y) / 2) * el.clientHeight };
  }

  #buildObject(className: string, size: Vec3): Group {
    const shape = objectShape(className, size, this.#fixtures);
    const material = new MeshStandardMaterial({
      color: new Color().setRGB(...shape.color),
      roughness: 0.6,
      transparent: shape.translucent,
      opacity: shape.translucent ? 0.55 : 1,
      depthWrite: !shape.translucent,
    });
    const group = new Group();
    for (const part of shape.parts) {
      const geometry =
        part.type === 'box'
          ? new BoxGeometry(part.size[0], part.size[1], part.size[2])
          : new SphereGeometry(part.radius, 16, 12);
      const mesh = new Mesh(geometry, material);
      mesh.position.set(...part.offset);
      group.add(mesh);
    }
    return group;
  }

  #removeObject(id: string): void {
    const drawn = this.#objects.get(id);
    if (!drawn) return;
    this.#objectsGroup.remove(drawn.group);
    disposeTree(drawn.group);
    this.#objects.delete(id);
  }

  #cableSegment(cableId: string, index: number, id: string, className: string, size: Vec3) {
    let cable = this.#cables.get(cableId);
    const radius = size[0] / 2;
    if (!cable) {
      const shape = objectShape(className, size, this.#fixtures);
      const material = new MeshStandardMaterial({
        color: new Color().setRGB(...shape.color),
        roughness: 0.5,
      });
      const mesh = new Mesh(new TubeGeometry(), material);
      mesh.name = cableId;
      cable = { mesh, radius, segments: new Map() };
      this.#cables.set(cableId, cable);
      this.#objectsGroup.add(mesh);
    }
    cable.radius = radius;
    let seg = cable.segments.get(index);
    if (!seg || seg.id !== id) {
      seg = { id, track: new Track(7, { quaternionAt: 3 }) };
      cable.segments.set(index, seg);
    }
    return seg;
  }

  #updateCable(cable: DrawnCable, t: number): void {
    const points: Vector3[] = [];
    const order = [...cable.segments.keys()].sort((a, b) => a - b);
    for (const i of order) {
      const seg = cable.segments.get(i)!;
      if (this.frames.has(seg.id) && this.frames.worldMatrix(seg.id, t, _m)) {
        points.push(new Vector3().setFromMatrixPosition(_m));
      } else if (seg.track.sample(t, _pose)) {
        points.push(new Vector3(_pose[0]!, _pose[1]!, _pose[2]!));
      }
    }
    if (points.length < 2) return;
    cable.mesh.geometry.dispose();
    const curve = new CatmullRomCurve3(points);
    cable.mesh.geometry = new TubeGeometry(curve, points.length * 3, cable.radius, 8, false);
  }

  #updateAxes(t: number): void {
    const names = new Set(this.frames.names);
    for (const name of names) {
      let axes = this.#axes.get(name);
      if (!axes) {
        axes = new AxesHelper(0.06);
        axes.name = name;
        axes.matrixAutoUpdate = false;
        this.#axes.set(name, axes);
        this.#axesGroup.add(axes);
      }
      if (this.frames.worldMatrix(name, t, _m)) {
        _m.decompose(_p, _q, _s);
        axes.matrix.compose(_p, _q, _s.set(1, 1, 1));
        axes.visible = true;
      } else {
        axes.visible = false;
      }
    }
    for (const [name, axes] of this.#axes) {
      if (!names.has(name)) {
        this.#axesGroup.remove(axes);
        axes.dispose();
        this.#axes.delete(name);
      }
    }
  }
}

function disposeTree(root: { traverse(fn: (o: unknown) => void): void }): void {
  root.traverse((o) => {
    const mesh = o as Partial<Mesh>;
    mesh.geometry?.dispose();
    const m = mesh.material;
    if (Array.isArray(m)) for (const x of m) x.dispose();
    else m?.dispose();
  });
}
