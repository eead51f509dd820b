/**
 * camera.render: frames per second of the CPU camera (sim/camera) on the standard
 * scene (UR5e + 6 tabletop objects, the sort task), at 128×128 and 320×240, colour
 * + depth + segmentation per frame, one core.
 *
 * Baseline, in the same run: the alternative design, three.js meshes of the very same
 * primitives (boxes 12 triangles, spheres 16×12, cylinders 24 segments), each with a
 * three-mesh-bvh BVH, cast with a `Raycaster` (`firstHitOnly`) one ray per pixel at
 * 128×128 (48×48 in quick mode, compared per ray). The ratio is analytic rays/s over BVH
 * rays/s, i.e. fps at 128×128 over BVH fps at 128×128. The BVH frame also reports
 * how many pixels agree on what is hit, as a check that both see the same scene.
 */
import {
  BoxGeometry,
  type BufferGeometry,
  CylinderGeometry,
  Matrix4,
  Mesh,
  MeshBasicMaterial,
  PlaneGeometry,
  Raycaster,
  SphereGeometry,
  Vector3,
} from 'three';
import { acceleratedRaycast, MeshBVH } from 'three-mesh-bvh';
import { CameraFrame } from '../sim/camera/CameraFrame.ts';
import { TABLETOP_CAMERA } from '../sim/camera/CameraSpec.ts';
import { PinholeCamera } from '../sim/camera/PinholeCamera.ts';
import { type Primitive, SHAPE_BOX, SHAPE_CYLINDER, SHAPE_SPHERE } from '../sim/camera/Primitive.ts';
import { SceneRenderer } from '../sim/camera/SceneRenderer.ts';
import { createEnv } from '../sim/Env.ts';
import type { BenchOptions } from './run.ts';
import { median, round } from './stats.ts';

const TASK = 'sort';
const OBJECTS = 6;
const TARGETS = { fps128: 30, fps320: 10 };

export async function run({ quick }: BenchOptions): Promise<Record<string, unknown>> {
  const phaseSeconds = quick ? 0.15 : 2;
  const rounds = quick ? 1 : 3;
  const env = createEnv({ robot: 'ur5e' });
  let seed = 1;
  while (env.reset({ task: TASK, seed }).observation.objects.length !== OBJECTS) seed++;
  const renderer = new SceneRenderer(env.scene, env.robot);
  const small = PinholeCamera.fromSpec({ ...TABLETOP_CAMERA, width: 128, height: 128 });
  const large = PinholeCamera.fromSpec({ ...TABLETOP_CAMERA, width: 320, height: 240 });
  const smallFrame = new CameraFrame(128, 128);
  const largeFrame = new CameraFrame(320, 240);

  const bvh = new BvhScene(renderer.rayScene.primitives);
  // The baseline is ~300× slower: in quick mode it casts a 48×48 frame and is compared per ray.
  const bvhSize = quick ? 48 : 128;
  const bvhCam = PinholeCamera.fromSpec({ ...TABLETOP_CAMERA, width: bvhSize, height: bvhSize });
  const bvhReference = new CameraFrame(bvhSize, bvhSize);
  renderer.render(bvhCam, bvhReference);

  const fps = (cam: PinholeCamera, frame: CameraFrame) => {
    let frames = 0;
    const start = performance.now();
    let wall = 0;
    while (wall < phaseSeconds) {
      renderer.render(cam, frame);
      frames++;
      wall = (performance.now() - start) / 1000;
    }
    return frames / wall;
  };
  fps(small, smallFrame); // warm-up
  fps(large, largeFrame);
  const smallRates: number[] = [];
  const largeRates: number[] = [];
  const bvhRates: number[] = [];
  let agreement = 0;
  for (let r = 0; r < rounds; r++) {
    smallRates.push(fps(small, smallFrame));
    largeRates.push(fps(large, largeFrame));
    const start = performance.now();
    agreement = bvh.render(bvhCam, bvhReference);
    bvhRates.push((bvhSize * bvhSize) / ((performance.now() - start) / 1000));
  }
  const fps128 = median(smallRates);
  const fps320 = median(largeRates);
  const bvhRaysPerSecond = median(bvhRates);
  const bvhFps = bvhRaysPerSecond / (128 * 128);
  return {
    bench: 'camera.render',
    scene: `${TASK} seed ${seed} (ur5e + ${OBJECTS} objects, ${renderer.rayScene.primitives.length} primitives)`,
    fps128x128: round(fps128, 1),
    fps320x240: round(fps320, 1),
    msPerFrame320x240: round(1000 / fps320, 2),
    rounds: {
      fps128x128: smallRates.map((v) => round(v, 1)),
      fps320x240: largeRates.map((v) => round(v, 1)),
    },
    baseline: {
      name: 'three.js Raycaster + three-mesh-bvh, same primitives as meshes',
      fps128x128: round(bvhFps, 2),
      raysPerSecond: round(bvhRaysPerSecond),
      measuredAt: `${bvhSize}x${bvhSize}`,
      triangles: bvh.triangles,
      pixelsAgreeingOnHitObject: round(agreement, 4),
    },
    raysPerSecond128x128: round(fps128 * 128 * 128),
    ratio: round(fps128 / bvhFps, 1),
    targets: { fps128x128: `>=${TARGETS.fps128}`, fps320x240: `>=${TARGETS.fps320}` },
    meetsTargets: { fps128x128: fps128 >= TARGETS.fps128, fps320x240: fps320 >= TARGETS.fps320 },
    quick,
  };
}

/** The renderer's primitives as BVH-accelerated three.js meshes. */
class BvhScene {
  readonly meshes: Mesh[] = [];
  readonly instances: number[] = [];
  readonly triangles: number;
  readonly #raycaster = new Raycaster();

  constructor(prims: readonly Primitive[]) {
    const material = new MeshBasicMaterial();
    let triangles = 0;
    const m = new Matrix4();
    for (const p of prims) {
      let g: BufferGeometry;
      if (p.shape === SHAPE_BOX) g = new BoxGeometry(2 * p.a, 2 * p.b, 2 * p.c);
      else if (p.shape === SHAPE_SPHERE) g = new SphereGeometry(p.a, 16, 12);
      else if (p.shape === SHAPE_CYLINDER)
        g = new CylinderGeometry(p.a, p.a, 2 * p.c, 24).rotateX(Math.PI / 2);
      else g = new PlaneGeometry(Number.isFinite(p.a) ? 2 * p.a : 50, Number.isFinite(p.b) ? 2 * p.b : 50);
      g.boundsTree = new MeshBVH(g);
      const mesh = new Mesh(g, material);
      mesh.raycast = acceleratedRaycast;
      mesh.material.side = 2; // DoubleSide: the floor is seen from above either way
      const e = p.pose;
      m.set(e[0]!, e[1]!, e[2]!, e[3]!, e[4]!, e[5]!, e[6]!, e[7]!, e[8]!, e[9]!, e[10]!, e[11]!, 0, 0, 0, 1);
      mesh.applyMatrix4(m);
      mesh.updateMatrixWorld(true);
      this.meshes.push(mesh);
      this.instances.push(p.instance);
      triangles += (g.index ? g.index.count : g.getAttribute('position').count) / 3;
    }
    this.triangles = triangles;
    this.#raycaster.firstHitOnly = true;
  }

  /** Casts one ray per pixel; returns the share of pixels whose hit instance matches `reference`. */
  render(cam: PinholeCamera, reference: CameraFrame): number {
    const origin = new Vector3(...cam.position);
    const dir = new Vector3();
    const far = new Array<number>(3);
    let agree = 0;
    for (let v = 0; v < cam.height; v++) {
      for (let u = 0; u < cam.width; u++) {
        cam.unproject(u, v, 1, far);
        dir.set(far[0]! - origin.x, far[1]! - origin.y, far[2]! - origin.z).normalize();
        this.#raycaster.set(origin, dir);
        const hits = this.#raycaster.intersectObjects(this.meshes, false);
        let best = -1;
        let bestDistance = Infinity;
        for (const h of hits) {
          if (h.distance < bestDistance) {
            bestDistance = h.distance;
            best = this.meshes.indexOf(h.object as Mesh);
          }
        }
        const id = best >= 0 ? this.instances[best]! : 0;
        if (id === reference.instanceAt(u, v)) agree++;
      }
    }
    return agree / (cam.width * cam.height);
  }
}
