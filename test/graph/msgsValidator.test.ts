import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { createContext, msgsValidator } from '../../src/graph/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { captureLogger } from './helpers.ts';

describe('the graph with the real message layer (src/msgs)', () => {
  it('accepts a valid JointState and rejects a bad one at publish(), naming the field', async () => {
    const validator = await msgsValidator();
    expect(validator.has('sensor_msgs/msg/JointState')).toBe(true);
    const context = createContext({ transport: new LocalTransport(), validator, logger: captureLogger() });
    const node = context.createNode('arm');
    const got: unknown[] = [];
    node.createSubscription('sensor_msgs/msg/JointState', 'joint_states', undefined, (m) => got.push(m));
    const pub = node.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
    const ok = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      name: ['j1'],
      position: [0.5],
      velocity: [0],
      effort: [0],
    };
    pub.publish(ok);
    expect(got).toEqual([ok]);
    let err: unknown;
    try {
      pub.publish({ ...ok, position: ['x' as unknown as number] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/position/);
    expect((err as Error).message).toMatch(/\/joint_states/);
    expect(got).toHaveLength(1);
    context.destroy();
  });
});
