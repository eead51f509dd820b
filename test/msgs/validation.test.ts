import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  defaultMessage,
  encodeCdr,
  FollowJointTrajectory_Result,
  fillDefaults,
  GoalStatus,
  hasMessageType,
  messageDefinition,
  messageSchema,
  validateMessage,
} from '../../src/msgs/index.ts';

const jointState = () => ({
  header: { stamp: { sec: 1, nanosec: 0 }, frame_id: '' },
  name: ['j1', 'j2', 'j3'],
  position: [0, 0.5, 1],
  velocity: [],
  effort: [],
});

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('validateMessage', () => {
  it('names the field path, the bad value and the source', () => {
    const err = errorOf(() =>
      validateMessage(
        'sensor_msgs/msg/JointState',
        { ...jointState(), position: [0, 1, 'x'] },
        '/joint_states',
      ),
    );
    expect(err.source).toBe('/joint_states');
    expect(err.message).toContain('/joint_states: ');
    expect(err.message).toContain('position.2: expected number (got "x")');
  });

  it('rejects unknown fields by name', () => {
    const err = errorOf(() => validateMessage('geometry_msgs/msg/Point', { x: 0, y: 0, z: 0, w: 1 }, 'test'));
    expect(err.message).toContain('w: unknown field (got 1)');
  });

  it('names missing fields', () => {
    const err = errorOf(() => validateMessage('geometry_msgs/msg/Point', { x: 0, y: 0 }, 'test'));
    expect(err.message).toContain('z: missing field, expected number');
  });

  it('checks integer ranges', () => {
    const img = { ...defaultMessage('sensor_msgs/msg/Image'), is_bigendian: 256 };
    expect(errorOf(() => validateMessage('sensor_msgs/msg/Image', img)).message).toContain(
      'is_bigendian: expected uint8 (integer 0..255) (got 256)',
    );
    const t = { sec: 0, nanosec: -1 };
    expect(errorOf(() => validateMessage('builtin_interfaces/msg/Time', t)).message).toContain('nanosec');
    expect(() =>
      validateMessage('std_msgs/msg/MultiArrayDimension', { label: '', size: 1.5, stride: 0 }),
    ).toThrow(/size: expected uint32/);
  });

  it('checks fixed-size arrays', () => {
    const info = fillDefaults('sensor_msgs/msg/CameraInfo', { k: [1, 0, 0, 0, 1, 0, 0, 0] });
    expect(
      errorOf(() => validateMessage('sensor_msgs/msg/CameraInfo', info, 'camera_info.yaml')).message,
    ).toContain('k: expected exactly 9 elements');
    expect(() =>
      validateMessage('unique_identifier_msgs/msg/UUID', { uuid: new Uint8Array(15) }, '/goal'),
    ).toThrow(/uuid: expected exactly 16 elements/);
  });

  it('names bad elements deep inside nested arrays', () => {
    const traj = fillDefaults('trajectory_msgs/msg/JointTrajectory', {
      joint_names: ['a'],
      points: [{ positions: [0] }, { positions: [Number.NaN, '1'] }],
    });
    expect(
      errorOf(() => validateMessage('trajectory_msgs/msg/JointTrajectory', traj, '/jtc')).message,
    ).toContain('points.1.positions.1: expected number (got "1")');
  });

  it('accepts NaN and infinities in float fields, as ROS messages carry them', () => {
    const js = { ...jointState(), effort: [Number.NaN, Number.POSITIVE_INFINITY, 0] };
    expect(validateMessage('sensor_msgs/msg/JointState', js).effort).toEqual(js.effort);
  });

  it('accepts typed arrays for numeric arrays and number arrays for uint8[]', () => {
    const js = { ...jointState(), position: new Float64Array([1, 2, 3]) };
    expect(validateMessage('sensor_msgs/msg/JointState', js).position).toBe(js.position);
    expect(
      validateMessage('unique_identifier_msgs/msg/UUID', { uuid: new Array(16).fill(1) }).uuid,
    ).toBeInstanceOf(Uint8Array);
    expect(() =>
      validateMessage('sensor_msgs/msg/JointState', { ...jointState(), position: new Int8Array(3) }),
    ).toThrow(/position: expected float64\[\]/);
  });

  it('caches schemas per type', () => {
    expect(messageSchema('sensor_msgs/msg/JointState')).toBe(messageSchema('sensor_msgs/msg/JointState'));
  });
});

describe('fillDefaults', () => {
  it('fills missing fields at every depth with ROS defaults, keeping given ones', () => {
    const pose = fillDefaults('geometry_msgs/msg/PoseWithCovariance', { pose: { position: { x: 2 } } });
    expect(pose.pose.position).toEqual({ x: 2, y: 0, z: 0 });
    expect(pose.pose.orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 }); // Quaternion.msg: float64 w 1
    expect(pose.covariance).toHaveLength(36);
    expect(validateMessage('geometry_msgs/msg/PoseWithCovariance', pose)).toBeTruthy();
  });
});

describe('message types', () => {
  it('rejects an unknown type by name and suggests close ones', () => {
    expect(() => messageDefinition('sensor_msgs/JointState')).toThrow(
      'unknown message type "sensor_msgs/JointState"; did you mean "sensor_msgs/msg/JointState"?',
    );
    expect(() => messageDefinition('sensor_msgs/msg/JointStates')).toThrow(
      /did you mean "sensor_msgs\/msg\/JointState"/,
    );
    expect(() => validateMessage('nope_msgs/msg/Nothing', {})).toThrow(UserError);
    expect(hasMessageType('control_msgs/action/FollowJointTrajectory_SendGoal_Request')).toBe(true);
    expect(hasMessageType('simbridge_msgs/srv/Reset_Request')).toBe(true);
    expect(hasMessageType('toString')).toBe(false);
  });

  it('exposes constants on objects named after the type', () => {
    expect(FollowJointTrajectory_Result).toEqual({
      SUCCESSFUL: 0,
      INVALID_GOAL: -1,
      INVALID_JOINTS: -2,
      OLD_HEADER_TIMESTAMP: -3,
      PATH_TOLERANCE_VIOLATED: -4,
      GOAL_TOLERANCE_VIOLATED: -5,
    });
    expect(GoalStatus.STATUS_SUCCEEDED).toBe(4);
  });
});

describe('encodeCdr input checks', () => {
  it('names the field path and value of a bad field', () => {
    const err = errorOf(() =>
      encodeCdr('sensor_msgs/msg/JointState', { ...jointState(), name: ['a', 3] } as never, '/joint_states'),
    );
    expect(err.message).toBe(
      '/joint_states: cannot encode sensor_msgs/msg/JointState: name.1: expected string, got 3',
    );
    expect(() =>
      encodeCdr('sensor_msgs/msg/Image', { ...defaultMessage('sensor_msgs/msg/Image'), step: -1 }),
    ).toThrow(/step: expected uint32/);
    expect(() =>
      encodeCdr('sensor_msgs/msg/CameraInfo', { ...defaultMessage('sensor_msgs/msg/CameraInfo'), k: [1] }),
    ).toThrow(/k: expected exactly 9 elements, got 1/);
  });
});
