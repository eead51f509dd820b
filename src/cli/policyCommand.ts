/**
 * `simbridge policy`: the language policy node against a remote robot, over rosbridge (or native
 * ROS 2). It commands whatever answers at the URL, so a real arm needs `--allow-hardware`:
 * without it the command only drives a simbridge sim, recognised by its /sim/status topic.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import {
  createContext,
  type MessageCodec,
  type MessageValidator,
  msgsValidator,
  QOS_DEFAULT,
} from '../graph/index.ts';
import { LanguageNode } from '../policy/language/LanguageNode.ts';
import { RosbridgeTransport } from '../transports/rosbridge/client/RosbridgeTransport.ts';
import { createTransport, parseTransportName, type TransportName } from '../transports/select.ts';
import type { Transport } from '../transports/Transport.ts';
import { addDdsOptions, parseIntFlag, rtpsFlagOptions } from './flags.ts';
import { addPlannerOptions, llmConfigFromFlags, llmPlanner } from './plannerFlags.ts';

interface PolicyFlags {
  transport: TransportName;
  url: string;
  token?: string;
  domain?: number;
  rtpsAddress?: string;
  peer?: string[];
  robot: string;
  scene: string;
  instruction?: string;
  allowHardware?: boolean;
  simCheckSeconds: number;
  timeout?: number;
  planner: 'rule' | 'llm';
  llmUrl?: string;
  llmModel?: string;
}

const policyHelp = `
The policy subscribes to /robot_description, /joint_states and /detections,
and commands <forward_position_controller>/commands and the gripper action
named in robots/<robot>/robot.yaml. It takes instructions on /instruction
(std_msgs/String) and reports on /policy/plan and /policy/status.

Safety: it refuses to command anything but a simbridge sim (one that
publishes /sim/status) unless --allow-hardware is given. While the link is
down it sends nothing; after a reconnect it waits for fresh joint states.

Exit status:
  0  the instruction succeeded (or Ctrl-C without --instruction)
  1  the instruction failed, --timeout passed, or the link could not be used
  2  bad input: a flag, or a robot that is not a sim without --allow-hardware`;

/** Adds `policy`. */
export function addPolicyCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('policy')
    .description('run the language policy node against a remote robot (rosbridge or ROS 2)')
    .addOption(
      new Option('--transport <name>', 'how to reach the robot: rosbridge, ros2 or rtps')
        .argParser(parseTransportName)
        .default('rosbridge'),
    )
    .option('--url <ws-url>', 'rosbridge server of the robot', 'ws://127.0.0.1:9090')
    .option('--token <token>', "the rosbridge server's access token")
    .option('--robot <id|dir>', 'robot id from robots/, or a folder with robot.yaml and its URDF', 'ur5e')
    .option('--scene <name|file>', 'scene spec for fixture sizes (bowl walls, clips)', 'tabletop')
    .option('--instruction <text>', 'say this on /instruction, then exit when it succeeds or fails')
    .option('--allow-hardware', 'command a robot that is not a simbridge sim (a real arm)')
    .option(
      '--sim-check-seconds <s>',
      'how long to wait for /sim/status before deciding the robot is not a sim',
      (v) => parseIntFlag('--sim-check-seconds', v, 1),
      3,
    )
    .option('--timeout <s>', 'give up (exit 1) after this many wall seconds', (v) =>
      parseIntFlag('--timeout', v, 1),
    )
    .addHelpText('after', policyHelp);
  addPlannerOptions(addDdsOptions(cmd)).action(async (flags: PolicyFlags) => {
    setExitCode(await runPolicy(flags));
  });
}

async function runPolicy(flags: PolicyFlags): Promise<number> {
  if (flags.transport === 'local') {
    throw new UserError(
      "there is no robot on the local transport; use 'simbridge run --policy language' for a local episode",
      { source: '--transport' },
    );
  }
  // Names first: a typo must fail before any connection is made.
  const rtps = rtpsFlagOptions(flags.transport, flags);
  const robot = resolveRobot(flags.robot);
  const scene = resolveScene(flags.scene);
  const validator = await msgsValidator();
  const transport = await createTransport(flags.transport, {
    url: flags.url,
    ...(flags.token !== undefined ? { token: flags.token } : {}),
    ...(flags.domain !== undefined ? { domain: flags.domain } : {}),
    ...rtps,
    nodeName: 'simbridge_policy',
  });
  let language: LanguageNode | undefined;
  try {
    if (transport instanceof RosbridgeTransport) await transport.waitForConnection(10_000);
    const isSim = await remoteIsSim(transport, validator, flags.simCheckSeconds);
    const where =
      flags.transport === 'rosbridge' ? flags.url : `${flags.transport} domain ${flags.domain ?? 0}`;
    if (!isSim && !flags.allowHardware) {
      throw new UserError(
        `the robot at ${where} published no /sim/status within ${flags.simCheckSeconds} s, so it is not ` +
          'a simbridge sim; to command a real arm, pass --allow-hardware',
        { source: 'policy' },
      );
    }
    if (!isSim) process.stderr.write(`simbridge: commanding HARDWARE at ${where} (--allow-hardware)\n`);
    // A simbridge sim publishes /clock: follow it, as use_sim_time does. A real arm runs on wall time.
    const context = createContext({ transport, validator, codec: validator, clock: isSim ? 'sim' : 'wall' });
    const llm = llmConfigFromFlags(flags);
    language = new LanguageNode(context, { robot, scene, ...(llm ? { planner: llmPlanner(llm) } : {}) });
    const cli = context.createNode('simbridge_cli');
    let lastState = '';
    cli.createSubscription('std_msgs/msg/String', '/policy/status', QOS_DEFAULT, (m) => {
      const s = JSON.parse(m.data) as { state?: string; reason?: string };
      if (s.state && s.state !== lastState) {
        lastState = s.state;
        process.stdout.write(`status: ${s.state}${s.reason ? ` (${s.reason})` : ''}\n`);
      }
    });
    process.stdout.write(
      `policy: robot ${flags.robot} over ${flags.transport} at ${where} (${isSim ? 'simbridge sim' : 'hardware'})\n`,
    );
    if (flags.instruction !== undefined) {
      cli.createPublisher('std_msgs/msg/String', '/instruction').publish({ data: flags.instruction });
      process.stdout.write(`instruction: ${flags.instruction}\n`);
    } else {
      process.stdout.write('waiting for instructions on /instruction; Ctrl-C to stop\n');
    }
    const node = language;
    return await new Promise<number>((resolve) => {
      const finish = (code: number) => {
        clearInterval(poll);
        clearTimeout(timer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(code);
      };
      const onSignal = () => finish(0);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const poll = setInterval(() => {
        const l = node.language;
        if (flags.instruction === undefined || !l?.finished) return;
        const failure = l.failure;
        process.stdout.write(failure ? `result: FAILED (${failure})\n` : 'result: SUCCESS\n');
        finish(failure ? 1 : 0);
      }, 100);
      const timer =
        flags.timeout === undefined
          ? undefined
          : setTimeout(() => {
              process.stderr.write(`simbridge: error: --timeout: no result within ${flags.timeout} s\n`);
              finish(1);
            }, flags.timeout * 1000);
    });
  } finally {
    language?.destroy();
    transport.destroy();
  }
}

/**
 * Whether the remote is a simbridge sim: it publishes /sim/status (std_msgs/String, JSON with
 * `state` and `checks`) at 10 Hz. Read straight off the transport, before the graph exists,
 * because the answer decides the graph's clock.
 */
async function remoteIsSim(
  transport: Transport,
  validator: MessageValidator & MessageCodec,
  seconds: number,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const sub = transport.subscribe(
      { topic: '/sim/status', type: 'std_msgs/msg/String', qos: QOS_DEFAULT },
      (raw) => {
        try {
          const decoded = raw instanceof Uint8Array ? validator.decode('std_msgs/msg/String', raw) : raw;
          const msg = validator.validate('std_msgs/msg/String', decoded, '/sim/status') as { data: string };
          const status = JSON.parse(msg.data) as Record<string, unknown>;
          if (typeof status['state'] === 'string' && typeof status['checks'] === 'object') done(true);
        } catch {
          // not a simbridge status: keep waiting until the deadline
        }
      },
    );
    const timer = setTimeout(() => done(false), seconds * 1000);
    function done(result: boolean) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sub.close();
      resolve(result);
    }
  });
}
