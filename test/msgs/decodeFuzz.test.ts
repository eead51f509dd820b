import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { decodeCdr, encodeCdr } from '../../src/msgs/index.ts';
import { arbitraryMessage } from './arbitraryMessage.ts';

const TYPES = [
  'sensor_msgs/msg/JointState',
  'sensor_msgs/msg/Image',
  'sensor_msgs/msg/CameraInfo',
  'tf2_msgs/msg/TFMessage',
  'trajectory_msgs/msg/JointTrajectory',
  'control_msgs/action/FollowJointTrajectory_SendGoal_Request',
  'vision_msgs/msg/Detection3DArray',
  'std_msgs/msg/String',
  'std_msgs/msg/Empty',
] as const;

/** Decoding returns a value or throws UserError; anything else fails the property. */
function decodesOrRejects(type: string, bytes: Uint8Array): void {
  try {
    decodeCdr(type, bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
  }
}

describe('decodeCdr on hostile bytes', () => {
  it.each(TYPES)('returns a %s or throws UserError for random bytes', (type) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (body, withHeader) => {
        const bytes = withHeader ? Uint8Array.from([0, 1, 0, 0, ...body]) : body;
        decodesOrRejects(type, bytes);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it.each(TYPES)('returns a %s or throws UserError for truncated and bit-flipped encodings', (type) => {
    fc.assert(
      fc.property(
        arbitraryMessage(type),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (msg, cut, flips, shift) => {
          const valid = encodeCdr(type, msg as never);
          const truncated = valid.slice(0, cut % (valid.length + 1));
          decodesOrRejects(type, truncated);
          const flipped = valid.slice();
          for (const [at, bit] of flips) flipped[at % flipped.length]! ^= 1 << bit;
          decodesOrRejects(type, flipped);
          // Unaligned views take a different path in the reader.
          const shifted = new Uint8Array(flipped.length + shift);
          shifted.set(flipped, shift);
          decodesOrRejects(type, shifted.subarray(shift));
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });

  it('rejects a sequence count larger than the message without allocating it', () => {
    // JointState with name count 0xffffffff right after an empty header.
    const bytes = Uint8Array.from([
      0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255,
    ]);
    expect(() => decodeCdr('sensor_msgs/msg/JointState', bytes, '/joint_states')).toThrow(
      /\/joint_states: cannot decode sensor_msgs\/msg\/JointState from CDR: /,
    );
    // Image with zero-length strings and a data count of 0x0fffffff at offset 32.
    const huge = Uint8Array.from([0, 1, 0, 0, ...new Array(32).fill(0), 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeCdr('sensor_msgs/msg/Image', huge)).toThrow(UserError);
  });

  it('rejects other encapsulations by their header bytes', () => {
    expect(() => decodeCdr('std_msgs/msg/Empty', Uint8Array.from([0, 3, 0, 0, 0]))).toThrow(
      /unsupported encapsulation header 00 03 00 00/,
    );
    expect(() => decodeCdr('std_msgs/msg/Empty', Uint8Array.from([0, 1]))).toThrow(
      /shorter than the CDR header/,
    );
  });
});
