import { describe, expect, it } from 'vitest';
import { decodeCdr, encodeCdr } from '../../src/msgs/index.ts';
import { plain } from './arbitraryMessage.ts';

/*
 * Byte vectors derived by hand from the CDR rules (see src/msgs/cdr.ts): header 00 01 00 00;
 * alignment counted from the byte after the header; strings are a uint32 length that counts the
 * NUL, then the bytes and the NUL; sequences start with a uint32 count; float64 aligns to 8.
 * Comments give each field's offset from the end of the header.
 */
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+|\/\/[^\n]*/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Fixture {
  type: string;
  msg: Record<string, unknown>;
  bytes: string;
}

const FIXTURES: Record<string, Fixture> = {
  'std_msgs/String "hello"': {
    type: 'std_msgs/msg/String',
    msg: { data: 'hello' },
    bytes: `00010000
      06000000 68656c6c6f00 // 0: length 6 = "hello" + NUL`,
  },
  'builtin_interfaces/Time': {
    type: 'builtin_interfaces/msg/Time',
    msg: { sec: 1_700_000_000, nanosec: 123_456_789 },
    bytes: `00010000
      00f15365 // 0: sec 0x6553f100
      15cd5b07 // 4: nanosec 0x075bcd15`,
  },
  'rosgraph_msgs/Clock': {
    type: 'rosgraph_msgs/msg/Clock',
    msg: { clock: { sec: 42, nanosec: 7 } },
    bytes: '00010000 2a000000 07000000',
  },
  'sensor_msgs/JointState with 2 joints': {
    type: 'sensor_msgs/msg/JointState',
    msg: {
      header: { stamp: { sec: 10, nanosec: 500 }, frame_id: '' },
      name: ['j1', 'j2'],
      position: [1.5, -0.25],
      velocity: [],
      effort: [2],
    },
    bytes: `00010000
      0a000000 f4010000  // 0: stamp
      01000000 00        // 8: frame_id "" (length 1: just the NUL)
      000000             // 13: pad to 4
      02000000           // 16: name count
      03000000 6a3100 00 // 20: "j1", pad
      03000000 6a3200 00 // 28: "j2", pad
      02000000           // 36: position count; 40 is 8-aligned
      000000000000f83f   // 40: 1.5
      000000000000d0bf   // 48: -0.25
      00000000           // 56: velocity count 0 (no padding after an empty sequence)
      01000000           // 60: effort count
      0000000000000040   // 64: 2.0`,
  },
  'geometry_msgs/TransformStamped': {
    type: 'geometry_msgs/msg/TransformStamped',
    msg: {
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'world' },
      child_frame_id: 'tool0',
      transform: { translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
    },
    bytes: `00010000
      01000000 02000000        // 0: stamp
      06000000 776f726c6400    // 8: "world"
      0000                     // 18: pad to 4
      06000000 746f6f6c3000    // 20: "tool0"
      0000                     // 30: pad to 8
      000000000000f03f 0000000000000040 0000000000000840 // 32: translation 1 2 3
      0000000000000000 0000000000000000 0000000000000000 000000000000f03f // 56: rotation 0 0 0 1`,
  },
  'sensor_msgs/Image 2x2 mono8': {
    type: 'sensor_msgs/msg/Image',
    msg: {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' },
      height: 2,
      width: 2,
      encoding: 'mono8',
      is_bigendian: 0,
      step: 2,
      data: new Uint8Array([1, 2, 3, 4]),
    },
    bytes: `00010000
      00000000 00000000    // 0: stamp
      04000000 63616d00    // 8: "cam"
      02000000 02000000    // 16: height, width
      06000000 6d6f6e6f3800 // 24: "mono8"
      00                   // 34: is_bigendian
      00                   // 35: pad to 4
      02000000             // 36: step
      04000000 01020304    // 40: data`,
  },
  'trajectory_msgs/JointTrajectory': {
    type: 'trajectory_msgs/msg/JointTrajectory',
    msg: {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      joint_names: ['j1'],
      points: [
        {
          positions: [0.5],
          velocities: [],
          accelerations: [],
          effort: [],
          time_from_start: { sec: 1, nanosec: 0 },
        },
      ],
    },
    bytes: `00010000
      00000000 00000000  // 0: stamp
      01000000 00 000000 // 8: frame_id "", pad
      01000000           // 16: joint_names count
      03000000 6a3100 00 // 20: "j1", pad
      01000000           // 28: points count
      01000000           // 32: positions count
      00000000           // 36: pad to 8
      000000000000e03f   // 40: 0.5
      00000000 00000000 00000000 // 48: velocities, accelerations, effort: empty
      01000000 00000000  // 60: time_from_start`,
  },
  'control_msgs FollowJointTrajectory_SendGoal_Request': {
    type: 'control_msgs/action/FollowJointTrajectory_SendGoal_Request',
    msg: {
      goal_id: { uuid: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) },
      goal: {
        trajectory: {
          header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
          joint_names: ['j1'],
          points: [],
        },
        multi_dof_trajectory: {
          header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
          joint_names: [],
          points: [],
        },
        path_tolerance: [],
        component_path_tolerance: [],
        goal_tolerance: [{ name: 'j1', position: 0.01, velocity: 0, acceleration: 0 }],
        component_goal_tolerance: [],
        goal_time_tolerance: { sec: 0, nanosec: 500_000_000 },
      },
    },
    bytes: `00010000
      000102030405060708090a0b0c0d0e0f // 0: goal_id.uuid (uint8[16]: no count)
      00000000 00000000 01000000 00 000000 // 16: trajectory.header
      01000000 03000000 6a3100 00          // 32: joint_names ["j1"], pad
      00000000                             // 44: points []
      00000000 00000000 01000000 00 000000 // 48: multi_dof_trajectory.header
      00000000 00000000                    // 64: joint_names [], points []
      00000000 00000000                    // 72: path_tolerance [], component_path_tolerance []
      01000000                             // 80: goal_tolerance count
      03000000 6a3100                      // 84: name "j1"
      0000000000                           // 91: pad to 8
      7b14ae47e17a843f                     // 96: position 0.01
      0000000000000000 0000000000000000    // 104: velocity, acceleration
      00000000                             // 120: component_goal_tolerance []
      00000000 0065cd1d                    // 124: goal_time_tolerance 0.5 s`,
  },
  // Published by turtlesim's tf broadcaster and captured off the wire; from
  // @foxglove/rosmsg2-serialization's MessageReader tests.
  'tf2_msgs/TFMessage captured from ROS 2': {
    type: 'tf2_msgs/msg/TFMessage',
    msg: {
      transforms: [
        {
          header: { stamp: { sec: 1638821672, nanosec: 836230505 }, frame_id: 'turtle1' },
          child_frame_id: 'turtle1_ahead',
          transform: { translation: { x: 1, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
        },
      ],
    },
    bytes:
      '0001000001000000286fae6169ddd73108000000747572746c6531000e000000747572746c65315f616865616400000000000000000000000000f03f00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000f03f',
  },
};

describe('CDR byte vectors', () => {
  it.each(Object.entries(FIXTURES))('encodes %s to exactly the expected bytes', (_, f) => {
    expect(toHex(encodeCdr(f.type, f.msg))).toBe(toHex(hex(f.bytes)));
  });

  it.each(Object.entries(FIXTURES))('decodes the bytes of %s back to the message', (_, f) => {
    expect(plain(decodeCdr(f.type, hex(f.bytes)))).toEqual(plain(f.msg));
  });

  it('writes an empty message as one zero byte, as rosidl does', () => {
    expect(toHex(encodeCdr('std_msgs/msg/Empty', {}))).toBe('0001000000');
    expect(toHex(encodeCdr('std_srvs/srv/Trigger_Request', {}))).toBe('0001000000');
  });

  it('reads big-endian CDR too', () => {
    expect(decodeCdr('rosgraph_msgs/msg/Clock', hex('00000000 0000002a 00000007'))).toEqual({
      clock: { sec: 42, nanosec: 7 },
    });
  });
});
