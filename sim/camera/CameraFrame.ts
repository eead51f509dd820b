/**
 * One rendered frame, row-major from the top-left pixel:
 * - `rgb`: rgb8, sRGB-encoded, 3 bytes a pixel;
 * - `depth`: metres along the optical axis (REP 118), NaN where no surface lies within
 *   the camera's range (REP 117/118 give non-finite values the meaning "no valid depth");
 * - `instance`: segmentation ids (mono16), 0 where nothing was hit.
 */
export class CameraFrame {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  readonly depth: Float32Array;
  readonly instance: Uint16Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.rgb = new Uint8Array(width * height * 3);
    this.depth = new Float32Array(width * height);
    this.instance = new Uint16Array(width * height);
  }

  /** Depth at pixel (u, v), m (NaN: nothing there). */
  depthAt(u: number, v: number): number {
    return this.depth[v * this.width + u]!;
  }

  /** Segmentation id at pixel (u, v). */
  instanceAt(u: number, v: number): number {
    return this.instance[v * this.width + u]!;
  }
}
