import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCdr,
  defaultMessage,
  encodeCdr,
  fromRosbridgeJson,
  listMessageTypes,
  toRosbridgeJson,
} from '../../src/msgs/index.ts';
import { arbitraryMessage, plain } from './arbitraryMessage.ts';

const TYPES = listMessageTypes();

describe('CDR round trip', () => {
  it.each(TYPES)('decodes what it encodes for %s', (type) => {
    fc.assert(
      fc.property(arbitraryMessage(type), (msg) => {
        const bytes = encodeCdr(type, msg as never);
        expect(plain(decodeCdr(type, bytes))).toEqual(plain(msg));
      }),
      { numRuns: 25, seed: 42 },
    );
  });

  it.each(TYPES)('round-trips the default %s', (type) => {
    const msg = defaultMessage(type);
    expect(plain(decodeCdr(type, encodeCdr(type, msg)))).toEqual(plain(msg));
  });

  it('keeps non-ASCII strings whole', () => {
    const data = 'héllo → 世界 🤖';
    expect(decodeCdr('std_msgs/msg/String', encodeCdr('std_msgs/msg/String', { data }))).toEqual({ data });
  });
});

describe('rosbridge JSON round trip', () => {
  it.each(TYPES)('reads back what it writes for %s', (type) => {
    fc.assert(
      fc.property(arbitraryMessage(type), (msg) => {
        const json = JSON.stringify(toRosbridgeJson(type, msg));
        const again = JSON.stringify(toRosbridgeJson(type, fromRosbridgeJson(type, JSON.parse(json))));
        expect(again).toBe(json);
      }),
      { numRuns: 25, seed: 42 },
    );
  });

  it('turns uint8[] into base64 and typed arrays into plain arrays', () => {
    const json = toRosbridgeJson('sensor_msgs/msg/Image', {
      ...defaultMessage('sensor_msgs/msg/Image'),
      data: new Uint8Array([1, 2, 255]),
    });
    expect(json['data']).toBe('AQL/');
    const js = toRosbridgeJson('sensor_msgs/msg/JointState', {
      ...defaultMessage('sensor_msgs/msg/JointState'),
      position: new Float64Array([0.5, 1]),
    });
    expect(js['position']).toEqual([0.5, 1]);
    expect(Array.isArray(js['position'])).toBe(true);
  });

  it('accepts base64 or number arrays for uint8[], fills missing fields, and reads null as NaN', () => {
    const a = fromRosbridgeJson('unique_identifier_msgs/msg/UUID', {
      uuid: Buffer.alloc(16, 7).toString('base64'),
    });
    const b = fromRosbridgeJson('unique_identifier_msgs/msg/UUID', { uuid: new Array(16).fill(7) });
    expect(a.uuid).toEqual(new Uint8Array(16).fill(7));
    expect(b.uuid).toEqual(a.uuid);
    const js = fromRosbridgeJson('sensor_msgs/msg/JointState', { name: ['j1'], effort: [null] });
    expect(js.header).toEqual({ stamp: { sec: 0, nanosec: 0 }, frame_id: '' });
    expect(js.position).toEqual([]);
    expect(Number.isNaN(js.effort[0])).toBe(true);
    const pose = fromRosbridgeJson('geometry_msgs/msg/Pose', {});
    expect(pose.orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 });
  });
});
