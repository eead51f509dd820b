/** Pixel conversions for writing frames as pictures (snapshots, viewers). Pure. */

/** Averages `factor`×`factor` blocks of an rgb8 image (anti-aliasing after supersampling). */
export function downsampleRgb(src: Uint8Array, width: number, height: number, factor: number): Uint8Array {
  const w = Math.floor(width / factor);
  const h = Math.floor(height / factor);
  const out = new Uint8Array(w * h * 3);
  const n = factor * factor;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * width;
          for (let dx = 0; dx < factor; dx++) sum += src[(row + x * factor + dx) * 3 + c]!;
        }
        out[(y * w + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return out;
}

/** Depth in metres → 16-bit millimetres (REP 118's raw form: 0 = no depth), clamped to 65.535 m. */
export function depthToMillimetres(depth: Float32Array): Uint16Array {
  const out = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i]!;
    out[i] = Number.isFinite(d) && d > 0 ? Math.min(65535, Math.round(d * 1000)) : 0;
  }
  return out;
}

/** Segmentation ids → rgb8, one distinct colour per id (golden-ratio hues); 0 is black. */
export function colorizeInstances(ids: Uint16Array): Uint8Array {
  const out = new Uint8Array(ids.length * 3);
  const cache = new Map<number, [number, number, number]>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === 0) continue;
    let c = cache.get(id);
    if (!c) {
      c = hsvToRgb((id * 0.618033988749895) % 1, 0.65, 0.95);
      cache.set(id, c);
    }
    out[3 * i] = c[0];
    out[3 * i + 1] = c[1];
    out[3 * i + 2] = c[2];
  }
  return out;
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}
