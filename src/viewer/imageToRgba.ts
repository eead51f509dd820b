/** sensor_msgs/Image as rosbridge delivers it: `data` is base64 (JSON) or bytes (CBOR). */
export interface ImageJson {
  height: number;
  width: number;
  encoding: string;
  is_bigendian?: number;
  step: number;
  data: string | ArrayLike<number>;
}

/** Decodes a base64 string (rosbridge's JSON form of uint8[]), or copies bytes as they are. */
export function imageBytes(data: string | ArrayLike<number>): Uint8Array {
  if (typeof data !== 'string') return data instanceof Uint8Array ? data : Uint8Array.from(data);
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Converts an image to RGBA pixels for a canvas. Colour encodings rgb8, bgr8, rgba8, bgra8 and
 * mono8 are copied; depth (16UC1 in mm, 32FC1 in m) is drawn as grey, near bright and far dark,
 * scaled to the image's own valid range. Throws an Error naming the field and value for an
 * encoding it cannot draw or a size that does not match the data.
 */
export function imageToRgba(msg: ImageJson): {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
} {
  const { width, height, step, encoding } = msg;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`image size ${width}x${height} is not a positive whole size`);
  }
  const bytes = imageBytes(msg.data);
  const channels: Record<string, number> = {
    rgb8: 3,
    bgr8: 3,
    rgba8: 4,
    bgra8: 4,
    mono8: 1,
    '16UC1': 2,
    mono16: 2,
    '32FC1': 4,
  };
  const bpp = channels[encoding];
  if (bpp === undefined) throw new Error(`image encoding "${encoding}" is not one the viewer draws`);
  if (step < width * bpp || bytes.length < step * height) {
    throw new Error(
      `image data is ${bytes.length} bytes, step ${step}; ${width}x${height} ${encoding} needs ${width * bpp * height}`,
    );
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  if (encoding === '16UC1' || encoding === 'mono16' || encoding === '32FC1') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const little = !msg.is_bigendian;
    const depth = new Float32Array(width * height);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = y * step + x * bpp;
        const d = encoding === '32FC1' ? view.getFloat32(at, little) : view.getUint16(at, little);
        depth[y * width + x] = d;
        if (Number.isFinite(d) && d > 0) {
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
    }
    const range = hi > lo ? hi - lo : 1;
    for (let i = 0; i < depth.length; i++) {
      const d = depth[i]!;
      const g = Number.isFinite(d) && d > 0 ? 255 - Math.round(((d - lo) / range) * 205) : 0;
      rgba.set([g, g, g, 255], i * 4);
    }
    return { width, height, rgba };
  }
  const swap = encoding.startsWith('bgr');
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * step + x * bpp;
      const o = (y * width + x) * 4;
      if (bpp === 1) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = bytes[at]!;
      } else {
        rgba[o] = bytes[at + (swap ? 2 : 0)]!;
        rgba[o + 1] = bytes[at + 1]!;
        rgba[o + 2] = bytes[at + (swap ? 0 : 2)]!;
      }
      rgba[o + 3] = bpp === 4 ? bytes[at + 3]! : 255;
    }
  }
  return { width, height, rgba };
}
