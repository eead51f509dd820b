// Depth, hits and ids of the CPU ray caster on analytic scenes whose ground truth is computed here
// independently (unit-length rays in the world frame, then projected onto the optical axis).
import { describe, expect, it } from 'vitest';
import { CameraFrame } from '../../sim/camera/CameraFrame.ts';
import { PinholeCamera } from '../../sim/camera/PinholeCamera.ts';
import { Primitive } from '../../sim/camera/Primitive.ts';
import { RayScene } from '../../sim/camera/RayScene.ts';

/** 1 mm: the bound on depth error. */
const TOLERANCE = 1e-3;
const GREY = [0.5, 0.5, 0.5];

function camera(position: number[], lookAt: number[], width = 64, height = 48, fovYDegrees = 60) {
  return PinholeCamera.fromSpec({
    width,
    height,
    fovYDegrees,
    position: position as [number, number, number],
    lookAt: lookAt as [number, number, number],
    rateHz: 10,
  });
}

function render(cam: PinholeCamera, ...prims: Primitive[]): CameraFrame {
  const scene = new RayScene();
  for (const p of prims) scene.add(p);
  const frame = new CameraFrame(cam.width, cam.height);
  scene.render(cam, frame);
  return frame;
}

/** Unit world direction of pixel (u, v) and the cosine between it and the optical axis. */
function pixelRay(cam: PinholeCamera, u: number, v: number): { dir: number[]; cos: number } {
  const x = (u - cam.cx) / cam.fx;
  const y = (v - cam.cy) / cam.fy;
  const n = Math.hypot(x, y, 1);
  const r = cam.rotation;
  const dir = [0, 1, 2].map((i) => (r[3 * i]! * x + r[3 * i + 1]! * y + r[3 * i + 2]!) / n);
  return { dir, cos: 1 / n };
}

/** Ground-truth depth of each pixel from `distance(origin, unitDir)` (Infinity for a miss). */
function expectDepths(
  cam: PinholeCamera,
  frame: CameraFrame,
  distance: (o: number[], d: number[]) => number,
  minHits: number,
) {
  let hits = 0;
  let worst = 0;
  for (let v = 0; v < cam.height; v++) {
    for (let u = 0; u < cam.width; u++) {
      const { dir, cos } = pixelRay(cam, u, v);
      const t = distance(Array.from(cam.position), dir);
      const got = frame.depthAt(u, v);
      if (!Number.isFinite(t)) {
        expect(got, `pixel ${u},${v} sees nothing`).toBeNaN();
        continue;
      }
      hits++;
      worst = Math.max(worst, Math.abs(got - t * cos));
    }
  }
  expect(hits).toBeGreaterThanOrEqual(minHits);
  expect(worst).toBeLessThan(TOLERANCE);
  return { hits, worst };
}

describe('camera depth on analytic scenes', () => {
  it('sees a plane 1.234 m below a downward camera at 1.234 m in every pixel', () => {
    const cam = camera([0.3, -0.2, 1.234], [0.3, -0.2, 0]);
    const frame = render(cam, Primitive.rect(Infinity, Infinity, GREY, 7));
    const worst = frame.depth.reduce((m, d) => Math.max(m, Math.abs(d - 1.234)), 0);
    expect(worst).toBeLessThan(TOLERANCE);
    expect(frame.instance.every((id) => id === 7)).toBe(true);
  });

  it('gives depth along the optical axis, not ray length, for a tilted view of a plane', () => {
    const cam = camera([1.0, 0.4, 0.8], [0.2, -0.1, 0], 80, 60, 70);
    const frame = render(cam, Primitive.rect(Infinity, Infinity, GREY, 1));
    // Plane z = 0: t = -oz / dz for rays going down; rays at or above the horizon miss.
    expectDepths(cam, frame, (o, d) => (d[2]! < 0 ? -o[2]! / d[2]! : Infinity), 80 * 60);
  });

  it('marks pixels that see nothing NaN (REP 118: no valid depth) with instance 0', () => {
    const cam = camera([0, 0, 1], [1, 0, 1.2]);
    const frame = render(cam, Primitive.rect(Infinity, Infinity, GREY, 1));
    // Looking slightly up: the top rows see sky.
    expect(frame.depthAt(32, 0)).toBeNaN();
    expect(frame.instanceAt(32, 0)).toBe(0);
    expect(frame.depthAt(32, 47)).toBeGreaterThan(0);
  });

  it('measures the face of a box within 1 mm, and misses around it', () => {
    const box = Primitive.box([0.2, 0.3, 0.1], GREY, 4);
    box.setPose(0.5, 0.1, 0.05, 0, 0, 0, 1); // top face at z = 0.1
    const cam = camera([0.52, 0.08, 0.9], [0.52, 0.08, 0]);
    const frame = render(cam, box);
    const inside = (x: number, y: number) => Math.abs(x - 0.5) <= 0.1 && Math.abs(y - 0.1) <= 0.15;
    const { hits } = expectDepths(
      cam,
      frame,
      (o, d) => {
        const t = (0.1 - o[2]!) / d[2]!;
        return inside(o[0]! + t * d[0]!, o[1]! + t * d[1]!) ? t : Infinity;
      },
      100,
    );
    expect(hits).toBeLessThan(64 * 48); // the box does not fill the view
    expect(Math.abs(frame.depthAt(31, 23) - 0.8)).toBeLessThan(TOLERANCE);
  });

  it('measures a sphere within 1 mm from an oblique, off-axis view', () => {
    const sphere = Primitive.sphere(0.15, GREY, 9);
    const centre = [0.4, -0.3, 0.2];
    sphere.setPose(centre[0]!, centre[1]!, centre[2]!, 0, 0, 0, 1);
    const cam = camera([1.2, 0.2, 0.9], [0.45, -0.25, 0.15]);
    const frame = render(cam, sphere);
    expectDepths(
      cam,
      frame,
      (o, d) => {
        const oc = o.map((v, i) => v - centre[i]!);
        const b = oc[0]! * d[0]! + oc[1]! * d[1]! + oc[2]! * d[2]!;
        const c = oc[0]! ** 2 + oc[1]! ** 2 + oc[2]! ** 2 - 0.15 ** 2;
        const disc = b * b - c;
        return disc < 0 ? Infinity : -b - Math.sqrt(disc);
      },
      50,
    );
    expect(frame.instanceAt(32, 24)).toBe(9);
  });

  it('measures a rotated cylinder (side and cap) within 1 mm', () => {
    // A cylinder along world x (URDF cylinders run along local z; rotate 90° about y).
    const cyl = Primitive.cylinder(0.05, 0.4, GREY, 3);
    const s = Math.SQRT1_2;
    cyl.setPose(0.5, 0, 0.3, 0, s, 0, s);
    const cam = camera([1.1, 0.35, 0.7], [0.5, 0, 0.3]);
    const frame = render(cam, cyl);
    expectDepths(
      cam,
      frame,
      (o, d) => {
        let best = Infinity;
        // Side: (y)² + (z - 0.3)² = r², x in [0.3, 0.7].
        const oy = o[1]!;
        const oz = o[2]! - 0.3;
        const a = d[1]! ** 2 + d[2]! ** 2;
        const b = oy * d[1]! + oz * d[2]!;
        const c = oy * oy + oz * oz - 0.05 ** 2;
        const disc = b * b - a * c;
        if (disc >= 0) {
          const t = (-b - Math.sqrt(disc)) / a;
          const x = o[0]! + t * d[0]!;
          if (t > 0 && x >= 0.3 && x <= 0.7) best = t;
        }
        for (const capX of [0.3, 0.7]) {
          const t = (capX - o[0]!) / d[0]!;
          const y = o[1]! + t * d[1]!;
          const z = o[2]! + t * d[2]! - 0.3;
          if (t > 0 && y * y + z * z <= 0.05 ** 2) best = Math.min(best, t);
        }
        return best;
      },
      50,
    );
  });

  it('keeps the nearest surface and its id where primitives overlap in the image', () => {
    const near = Primitive.box([0.05, 0.05, 0.05], GREY, 11);
    near.setPose(0, 0, 0.5, 0, 0, 0, 1);
    const far = Primitive.rect(Infinity, Infinity, GREY, 12);
    const cam = camera([0, 0, 1], [0, 0, 0]);
    const frame = render(cam, near, far); // near first, then far: far must not overwrite
    expect(frame.instanceAt(31, 23)).toBe(11);
    expect(Math.abs(frame.depthAt(31, 23) - 0.475)).toBeLessThan(TOLERANCE);
    expect(frame.instanceAt(0, 0)).toBe(12);
    expect(Math.abs(frame.depthAt(0, 0) - 1)).toBeLessThan(TOLERANCE);
  });
});

describe('PinholeCamera', () => {
  it('projects and unprojects consistently, with K and P of an ideal pinhole', () => {
    const cam = camera([1, 0.2, 0.7], [0.4, 0, 0], 320, 240, 50);
    const p = cam.project(0.5, 0.1, 0.02);
    const back = cam.unproject(p.u, p.v, p.depth);
    expect(back[0]).toBeCloseTo(0.5, 9);
    expect(back[1]).toBeCloseTo(0.1, 9);
    expect(back[2]).toBeCloseTo(0.02, 9);
    expect(cam.k).toEqual([cam.fx, 0, 159.5, 0, cam.fy, 119.5, 0, 0, 1]);
    expect(cam.p).toEqual([cam.fx, 0, 159.5, 0, 0, cam.fy, 119.5, 0, 0, 0, 1, 0]);
    expect(cam.fy).toBeCloseTo(120 / Math.tan((25 * Math.PI) / 180), 9);
  });

  it('takes a camera_link quaternion (x forward, z up) as the same pose as lookAt', () => {
    // camera_link yawed 180° (looking along -x) and pitched down 30° about its y axis.
    const pitch = (30 * Math.PI) / 180;
    const qYaw = [0, 0, 1, 0];
    const qPitch = [0, Math.sin(pitch / 2), 0, Math.cos(pitch / 2)];
    const q = quatMul(qYaw, qPitch);
    const fromQuat = PinholeCamera.fromSpec({
      width: 32,
      height: 24,
      fovYDegrees: 50,
      position: [1, 0, 0.5],
      quaternion: q as [number, number, number, number],
      rateHz: 10,
    });
    const fromLookAt = camera([1, 0, 0.5], [1 - Math.cos(pitch), 0, 0.5 - Math.sin(pitch)], 32, 24, 50);
    for (let i = 0; i < 9; i++) expect(fromQuat.rotation[i]).toBeCloseTo(fromLookAt.rotation[i]!, 9);
  });
});

function quatMul(a: number[], b: number[]): number[] {
  const [ax, ay, az, aw] = a as [number, number, number, number];
  const [bx, by, bz, bw] = b as [number, number, number, number];
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}
