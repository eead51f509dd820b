import type { MessageType } from '../../src/msgs/index.ts';
import type { CameraFrame } from './CameraFrame.ts';
import type { PinholeCamera } from './PinholeCamera.ts';

type Image = MessageType<'sensor_msgs/msg/Image'>;
type CameraInfo = MessageType<'sensor_msgs/msg/CameraInfo'>;
type Stamp = { sec: number; nanosec: number };

/** The optical frame the images are in (colour and depth are registered: one camera). */
export const OPTICAL_FRAME = 'camera_color_optical_frame';
/** camera_link: x forward, y left, z up (REP 103), at the optical centre. */
export const CAMERA_LINK = 'camera_link';

/** Multi-byte pixels are written in this machine's byte order, and `is_bigendian` says which. */
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0 ? 1 : 0;

/** sensor_msgs/Image, rgb8. The data is a copy: the frame's buffers are reused. */
export function colorImage(frame: CameraFrame, stamp: Stamp, frameId = OPTICAL_FRAME): Image {
  return image(frame, stamp, frameId, 'rgb8', 3, frame.rgb.slice());
}

/** sensor_msgs/Image, 32FC1: metres along the optical axis, NaN for no return (REP 118). */
export function depthImage(frame: CameraFrame, stamp: Stamp, frameId = OPTICAL_FRAME): Image {
  return image(frame, stamp, frameId, '32FC1', 4, new Uint8Array(frame.depth.slice().buffer));
}

/** sensor_msgs/Image, mono16: instance ids (see SceneRenderer.instances), 0 for nothing. */
export function segmentationImage(frame: CameraFrame, stamp: Stamp, frameId = OPTICAL_FRAME): Image {
  return image(frame, stamp, frameId, 'mono16', 2, new Uint8Array(frame.instance.slice().buffer));
}

/** sensor_msgs/CameraInfo of an ideal pinhole camera: plumb_bob with zero distortion, R = I, P = [K | 0]. */
export function cameraInfo(camera: PinholeCamera, stamp: Stamp, frameId = OPTICAL_FRAME): CameraInfo {
  return {
    header: { stamp, frame_id: frameId },
    height: camera.height,
    width: camera.width,
    distortion_model: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
    k: camera.k,
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: camera.p,
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

function image(
  frame: CameraFrame,
  stamp: Stamp,
  frameId: string,
  encoding: string,
  bytesPerPixel: number,
  data: Uint8Array,
): Image {
  return {
    header: { stamp, frame_id: frameId },
    height: frame.height,
    width: frame.width,
    encoding,
    is_bigendian: bytesPerPixel > 1 ? BIG_ENDIAN : 0,
    step: frame.width * bytesPerPixel,
    data,
  };
}

/**
 * Reads a sensor_msgs/Image of encoding 32FC1 (or 16UC1 millimetres, 0 = no return,
 * REP 118's raw form) into metres; NaN where there is no depth. Throws a message
 * naming the field for anything else.
 */
export function readDepthImage(msg: Image, source: string): Float32Array {
  const n = msg.width * msg.height;
  const bpp = msg.encoding === '32FC1' ? 4 : msg.encoding === '16UC1' ? 2 : 0;
  if (bpp === 0) throw new Error(`${source}: encoding "${msg.encoding}" is not 32FC1 or 16UC1`);
  if (msg.step < msg.width * bpp || msg.data.length < msg.step * msg.height)
    throw new Error(
      `${source}: data has ${msg.data.length} bytes, step ${msg.step}, for ${msg.width}×${msg.height} ${msg.encoding}`,
    );
  const view = new DataView(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength);
  const little = msg.is_bigendian === 0;
  const out = new Float32Array(n);
  for (let v = 0; v < msg.height; v++) {
    for (let u = 0; u < msg.width; u++) {
      const o = v * msg.step + u * bpp;
      if (bpp === 4) out[v * msg.width + u] = view.getFloat32(o, little);
      else {
        const mm = view.getUint16(o, little);
        out[v * msg.width + u] = mm === 0 ? Number.NaN : mm / 1000;
      }
    }
  }
  return out;
}
