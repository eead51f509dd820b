import { describe, expect, it } from 'vitest';
import { imageToRgba } from './imageToRgba.ts';

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');

describe('imageToRgba', () => {
  it('decodes rgb8 from base64 (rosbridge JSON) honouring the row step', () => {
    // 2x1 pixels, rows padded to 8 bytes.
    const img = imageToRgba({
      width: 2,
      height: 1,
      encoding: 'rgb8',
      step: 8,
      data: b64([1, 2, 3, 4, 5, 6, 0, 0]),
    });
    expect(Array.from(img.rgba)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('swaps bgr8 and passes bytes (CBOR) through', () => {
    const img = imageToRgba({
      width: 1,
      height: 1,
      encoding: 'bgr8',
      step: 3,
      data: new Uint8Array([1, 2, 3]),
    });
    expect(Array.from(img.rgba)).toEqual([3, 2, 1, 255]);
  });

  it('draws 16UC1 depth as grey, near bright, far dark, invalid (0) black', () => {
    const data = new Uint8Array(6);
    const view = new DataView(data.buffer);
    view.setUint16(0, 500, true);
    view.setUint16(2, 1500, true);
    view.setUint16(4, 0, true);
    const img = imageToRgba({ width: 3, height: 1, encoding: '16UC1', step: 6, data });
    expect(img.rgba[0]).toBe(255);
    expect(img.rgba[4]).toBe(50);
    expect(img.rgba[8]).toBe(0);
  });

  it('names the encoding it cannot draw and a size that does not fit the data', () => {
    expect(() => imageToRgba({ width: 1, height: 1, encoding: 'yuv422', step: 2, data: '' })).toThrow(
      'image encoding "yuv422" is not one the viewer draws',
    );
    expect(() =>
      imageToRgba({ width: 4, height: 4, encoding: 'rgb8', step: 12, data: b64([1, 2, 3]) }),
    ).toThrow(/image data is 3 bytes, step 12; 4x4 rgb8 needs 48/);
    expect(() => imageToRgba({ width: 0, height: 4, encoding: 'rgb8', step: 0, data: '' })).toThrow(
      /image size 0x4/,
    );
  });
});
