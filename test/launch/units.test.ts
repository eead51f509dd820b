import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { createContext, permissiveValidator, QOS_DEFAULT } from '../../src/graph/index.ts';
import { parseLaunchFile } from '../../src/launch/LaunchFile.ts';
import { RemapTransport } from '../../src/launch/RemapTransport.ts';
import { planUnits, restartDelay } from '../../src/launch/units.ts';
import { LocalTransport } from '../../src/transports/local/LocalTransport.ts';

const plan = (text: string, record?: string) =>
  planUnits(parseLaunchFile(text, 'x.launch.yaml'), 'x.launch.yaml', record ? { record } : {});

describe('launch units', () => {
  it('puts every node of a local launch in one group, in a process if any node asks for one', () => {
    const units = plan('name: x\nnodes:\n  - kind: sim\n  - kind: policy\n', 'out.mcap');
    expect(units).toHaveLength(1);
    expect(units[0]!.run).toBe('thread');
    expect(units[0]!.nodes.map((n) => n.kind)).toEqual(['sim', 'policy', 'recorder']);
    const inProcess = plan('name: x\nnodes:\n  - kind: sim\n  - kind: policy\n    run: process\n');
    expect(inProcess.map((u) => u.run)).toEqual(['process']);
  });

  it('gives each node on a network transport a unit of its own, with its own restart policy', () => {
    const units = plan(
      [
        'name: x',
        'transport: { kind: rosbridge, url: "ws://127.0.0.1:9090" }',
        'nodes:',
        '  - kind: policy',
        '    run: process',
        '    restart: { policy: always, maxRestarts: 5 }',
        '  - kind: heartbeat',
      ].join('\n'),
      'out.mcap',
    );
    expect(units.map((u) => [u.id, u.run, u.restart.policy])).toEqual([
      ['/policy', 'process', 'always'],
      ['/heartbeat', 'thread', 'never'],
      ['/recorder', 'thread', 'never'],
    ]);
  });

  it('restarts a group if any of its nodes would be restarted, with the most permissive policy', () => {
    const [unit] = plan(
      [
        'name: x',
        'nodes:',
        '  - kind: sim',
        '    restart: { policy: on-failure, maxRestarts: 2, backoffSeconds: 3 }',
        '  - kind: policy',
        '    restart: { policy: on-failure, maxRestarts: 5, backoffSeconds: 0.5 }',
      ].join('\n'),
    );
    expect(unit!.restart).toEqual({ policy: 'on-failure', maxRestarts: 5, backoffSeconds: 0.5 });
  });

  it('refuses what cannot run: a viewer without rosbridge, a camera or oracle without its sim, two sims in a namespace', () => {
    const refuse = (text: string) => {
      try {
        plan(text);
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        return (err as Error).message;
      }
      throw new Error('expected planUnits to throw');
    };
    expect(refuse('name: x\nnodes:\n  - kind: sim\n  - kind: viewer\n')).toMatch(
      /^x\.launch\.yaml: nodes\.1 \(\/viewer\): .*rosbridge_server/,
    );
    expect(refuse('name: x\nnodes:\n  - kind: sim\n  - kind: camera\n    namespace: /b\n')).toMatch(
      /nodes\.1 \(\/b\/camera\): a camera renders the sim of its namespace \(\/b\)/,
    );
    expect(refuse('name: x\nnodes:\n  - kind: policy\n    parameters: { policy: oracle }\n')).toMatch(
      /the oracle policy reads the goal from a sim/,
    );
    expect(refuse('name: x\nnodes:\n  - kind: sim\n  - kind: sim\n    name: sim2\n')).toMatch(
      /namespace \/ has two sim nodes/,
    );
    expect(() => plan('name: x\nnodes:\n  - kind: sim\n', 'out.bag')).toThrow(/--record: .*\.mcap/);
  });

  it('backs off twice as long each restart, and stops at maxRestarts', () => {
    const p = { policy: 'on-failure', maxRestarts: 3, backoffSeconds: 0.5 } as const;
    expect([0, 1, 2, 3].map((n) => restartDelay(p, n, true))).toEqual([0.5, 1, 2, undefined]);
    expect(restartDelay(p, 0, false)).toBeUndefined();
    expect(restartDelay({ ...p, policy: 'always' }, 0, false)).toBe(0.5);
    expect(restartDelay({ ...p, policy: 'never' }, 0, true)).toBeUndefined();
    expect(restartDelay({ ...p, maxRestarts: 100, backoffSeconds: 10 }, 20, true)).toBe(60);
  });
});

describe('RemapTransport', () => {
  it("applies a node's remappings to its topics, services and actions, and leaves the shared transport up", async () => {
    const base = new LocalTransport();
    const rules = new Map([
      ['/detections', '/perception/detections'],
      ['/arm/gripper_cmd', '/gripper_controller/gripper_cmd'],
      ['/sim/reset', '/left/sim/reset'],
    ]);
    const view = new RemapTransport(base, rules);
    expect(view.map('/detections')).toBe('/perception/detections');
    expect(view.map('/arm/gripper_cmd/_action/send_goal')).toBe(
      '/gripper_controller/gripper_cmd/_action/send_goal',
    );
    expect(view.map('/joint_states')).toBe('/joint_states');

    const remapped = createContext({ transport: view, validator: permissiveValidator });
    const plain = createContext({ transport: base, validator: permissiveValidator });
    const got: string[] = [];
    plain
      .createNode('listener')
      .createSubscription('std_msgs/msg/String', '/perception/detections', QOS_DEFAULT, (m) =>
        got.push(m.data),
      );
    plain.createNode('server').createService('std_srvs/srv/Trigger', '/left/sim/reset', () => ({
      success: true,
      message: 'left',
    }));
    const node = remapped.createNode('talker');
    node.createPublisher('std_msgs/msg/String', '/detections').publish({ data: 'hello' });
    expect(got).toEqual(['hello']);
    const reply = await node
      .createClient('std_srvs/srv/Trigger', '/sim/reset')
      .call({}, { timeoutSeconds: 2 });
    expect(reply.message).toBe('left');

    // Destroying the view's context closes its endpoints only.
    remapped.destroy();
    expect(base.getTopicNamesAndTypes().map((t) => t.name)).toEqual(['/perception/detections']);
    plain.createNode('talker2').createPublisher('std_msgs/msg/String', '/perception/detections').publish({
      data: 'still up',
    });
    expect(got).toEqual(['hello', 'still up']);
    plain.destroy();
  });
});
