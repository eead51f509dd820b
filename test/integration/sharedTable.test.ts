// The sim node with two robots at one table, seen only through the graph: each arm's topics,
// actions and status under its namespace, the table's (/clock, /tf, /tf_static, /detections,
// camera) once; and the camera namespaced with the node.
import { describe, expect, it } from 'vitest';
import { CAMERA_TOPICS } from '../../sim/camera/CameraPublisher.ts';
import { TABLETOP_CAMERA } from '../../sim/camera/CameraSpec.ts';
import { SimNode } from '../../sim/node/SimNode.ts';
import { TWO_ARM_ROBOTS } from '../../sim/scene/RobotPlacement.ts';
import { createContext, msgsValidator, QOS_TRANSIENT_LOCAL, SimClock } from '../../src/graph/index.ts';
import { fillDefaults, type MessageType } from '../../src/msgs/index.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';
import { captureLogger } from '../graph/helpers.ts';

type TFMessage = MessageType<'tf2_msgs/msg/TFMessage'>;
type JointState = MessageType<'sensor_msgs/msg/JointState'>;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function graph() {
  return createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    clock: new SimClock(),
    logger: captureLogger(),
  });
}

describe('the sim node at a shared table', () => {
  it('puts each arm under its namespace and the table once, in one clock and one tf tree', async () => {
    const context = await graph();
    const sim = new SimNode(context, {
      robots: [
        { ...TWO_ARM_ROBOTS[0]!, task: 'pick_place' },
        { ...TWO_ARM_ROBOTS[1]!, task: 'stack' },
      ],
      camera: { spec: { ...TABLETOP_CAMERA, width: 32, height: 24 } },
    });
    const client = context.createNode('test_client');
    const got = new Map<string, unknown[]>();
    const listen = <T>(type: Parameters<typeof client.createSubscription>[0], topic: string, qos = 10) =>
      client.createSubscription(type, topic, qos, (m) => {
        got.set(topic, [...(got.get(topic) ?? []), m as T]);
      });
    for (const ns of ['/left', '/right']) {
      listen('sensor_msgs/msg/JointState', `${ns}/joint_states`);
      listen('std_msgs/msg/String', `${ns}/robot_description`, QOS_TRANSIENT_LOCAL as never);
      listen('std_msgs/msg/String', `${ns}/sim/status`);
    }
    listen('std_msgs/msg/String', '/sim/status');
    listen('tf2_msgs/msg/TFMessage', '/tf');
    listen('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TRANSIENT_LOCAL as never);
    listen('vision_msgs/msg/Detection3DArray', '/detections');
    listen('sensor_msgs/msg/Image', CAMERA_TOPICS.color);
    const reset = await client
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: 'pick_place', seed: 371, split: 'seen' }, { timeoutSeconds: 10 });
    expect(reset.success, reset.message).toBe(true);
    expect(reset.instruction).toBe(
      'left: put the red block in the blue bowl; right: put the green block on top of the yellow block',
    );
    expect(Object.keys(JSON.parse(reset.goal_json))).toEqual(['left', 'right']);

    const commands = client.createPublisher(
      'std_msgs/msg/Float64MultiArray',
      '/left/forward_position_controller/commands',
    );
    const gripper = client.createActionClient(
      'control_msgs/action/GripperCommand',
      '/right/gripper_controller/gripper_cmd',
    );
    const rightHome = Array.from(sim.arms[1]!.robot.arm.position);
    const leftTarget = Array.from(sim.arms[0]!.robot.arm.position);
    leftTarget[0]! += 0.2;
    const goal = gripper.sendGoal({ command: { position: 0.03, max_effort: 50 } });
    for (let i = 0; i < 240; i++) {
      if (i % 4 === 0) commands.publish(fillDefaults('std_msgs/msg/Float64MultiArray', { data: leftTarget }));
      sim.tick();
      await yieldToEventLoop();
    }
    await goal;

    // One clock and one tf tree, every arm's frames prefixed with its name.
    const names = client.getTopicNamesAndTypes().map((t) => t.name);
    expect(names).toContain('/clock');
    expect(names.filter((n) => n.endsWith('/clock'))).toEqual(['/clock']);
    expect(names).toContain('/camera/color/image_raw');
    const tf = (got.get('/tf') as TFMessage[]).at(-1)!;
    const frames = tf.transforms.map((t) => t.child_frame_id);
    expect(frames).toEqual(
      expect.arrayContaining(['left/shoulder_link', 'right/shoulder_link', 'red_block']),
    );
    expect(frames.filter((f) => !f.startsWith('left/') && !f.startsWith('right/'))).toEqual(
      sim.env.observe().objects.map((o) => o.id),
    );
    const statics = (got.get('/tf_static') as TFMessage[]).flatMap((m) => m.transforms);
    const base = statics.find((t) => t.child_frame_id === 'left/base_link')!;
    expect(base.header.frame_id).toBe('world');
    expect(base.transform.translation.y).toBeCloseTo(0.4, 9);
    expect(statics.find((t) => t.child_frame_id === 'right/base_link')!.transform.translation.y).toBeCloseTo(
      -0.4,
      9,
    );

    // Each arm moved only on its own commands.
    const last = (ns: string) => (got.get(`${ns}/joint_states`) as JointState[]).at(-1)!;
    expect(last('/left').position[0]).toBeCloseTo(leftTarget[0]!, 3);
    expect(last('/right').position.slice(0, 6)).toEqual(rightHome);
    expect(sim.arms[1]!.robot.gripper.width).toBeCloseTo(0.03, 4);
    expect(sim.arms[0]!.robot.gripper.width).toBe(0.085);
    expect((got.get('/left/robot_description') as Array<{ data: string }>)[0]!.data).toContain('<robot');

    // A bad command is refused on its own arm's status, naming the joint; the other arm is unaffected.
    commands.publish(fillDefaults('std_msgs/msg/Float64MultiArray', { data: [0, 0, 99, 0, 0, 0] }));
    for (let i = 0; i < 30; i++) {
      sim.tick();
      await yieldToEventLoop();
    }
    const status = (ns: string) =>
      JSON.parse((got.get(`${ns}/sim/status`) as Array<{ data: string }>).at(-1)!.data) as Record<
        string,
        unknown
      >;
    expect(status('/left')).toMatchObject({ task: 'pick_place', rejectedCommands: 1 });
    expect(status('/left')['lastError']).toMatch(
      /^\/left\/forward_position_controller\/commands: refused: joint "elbow_joint"/,
    );
    expect(status('/right')).toMatchObject({
      task: 'stack',
      instruction: 'put the green block on top of the yellow block',
      rejectedCommands: 0,
      lastError: '',
    });
    const table = status('');
    expect(table).toMatchObject({ state: 'running', task: 'pick_place, stack', rejectedCommands: 1 });
    expect(Object.keys(table['arms'] as object)).toEqual(['left', 'right']);
    expect((table['clearance'] as { overlaps: number }).overlaps).toBe(0);
    // An arm's emergency stop freezes that arm only; the table's freezes both.
    const estop = (topic: string, data: boolean) =>
      client.createPublisher('std_msgs/msg/Bool', topic).publish({ data });
    estop('/left/emergency_stop', true);
    for (let i = 0; i < 30; i++) {
      sim.tick();
      await yieldToEventLoop();
    }
    expect([status('/left')['state'], status('/right')['state']]).toEqual(['estop', 'running']);
    estop('/emergency_stop', true);
    for (let i = 0; i < 30; i++) {
      sim.tick();
      await yieldToEventLoop();
    }
    expect([status('/left')['state'], status('/right')['state'], status('')['state']]).toEqual([
      'estop',
      'estop',
      'estop',
    ]);
    expect(got.get(CAMERA_TOPICS.color)!.length).toBeGreaterThan(0);
    expect(got.get('/detections')!.length).toBeGreaterThan(0);
    sim.destroy();
    context.destroy();
  });

  it('publishes the camera under the sim node namespace, like its other topics', async () => {
    const context = await graph();
    const sim = new SimNode(context, { namespace: '/cell', camera: { segmentation: false } });
    sim.reset({ task: 'pick_place', seed: 0 });
    for (let i = 0; i < 30; i++) sim.tick();
    const names = context
      .createNode('probe')
      .getTopicNamesAndTypes()
      .map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '/cell/camera/color/image_raw',
        '/cell/camera/depth/image_raw',
        '/cell/tf_static',
      ]),
    );
    expect(names.filter((n) => n.startsWith('/camera') || n === '/tf_static')).toEqual([]);
    sim.destroy();
    context.destroy();
  });
});
