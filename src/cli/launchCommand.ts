/**
 * `simbridge launch FILE`: runs the nodes a launch file names (launch/*.launch.yaml) until Ctrl-C.
 */
import type { Command } from 'commander';
import { getTask } from '../../sim/tasks/index.ts';
import { UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import { Launcher } from '../launch/Launcher.ts';
import { type LaunchFile, loadLaunchFile } from '../launch/LaunchFile.ts';
import { planUnits } from '../launch/units.ts';
import { parseIntFlag } from './flags.ts';

interface LaunchFlags {
  record?: string;
  set: string[];
  duration?: number;
}

const launchHelp = `
A launch file names the nodes to run (sim, policy, rosbridge_server, viewer,
recorder, camera, perception, heartbeat), their parameters, namespace, topic remappings,
transport and restart policy. See launch/*.launch.yaml.

Grouping: on the local transport all nodes share one worker thread (the local
bus is in-process); a node that fails there is restarted inside the group while
the others keep running. On rosbridge, ros2 or rtps each node is a thread or
child process of its own (its \`run\`), restarted as a whole when it fails.

Examples:
  simbridge launch launch/tabletop.launch.yaml --record out.mcap
  simbridge launch launch/two_arm.launch.yaml
  simbridge launch launch/tabletop.launch.yaml --set rosbridge_server.port=0 --set viewer.port=0

Exit status: 0 after Ctrl-C (or --duration); 1 an unexpected failure;
2 bad input (the launch file, a flag, a port in use).`;

/** Adds `launch`. */
export function addLaunchCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('launch')
    .description('run the nodes of a launch file (launch/*.launch.yaml) until Ctrl-C')
    .argument('<file>', 'the launch file')
    .option('--record <file.mcap>', 'record every topic to this MCAP file')
    .option(
      '--set <node.param=value>',
      "override a node's parameter (node: its name, or /namespace/name); repeatable",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--duration <s>', 'stop after this many wall seconds', (v) => parseIntFlag('--duration', v, 1))
    .addHelpText('after', launchHelp)
    .action(async (file: string, flags: LaunchFlags) => {
      setExitCode(await runLaunch(file, flags));
    });
}

async function runLaunch(file: string, flags: LaunchFlags): Promise<number> {
  const launch = loadLaunchFile(file, flags.set);
  checkNames(launch, file);
  const units = planUnits(launch, file, flags.record !== undefined ? { record: flags.record } : {});
  const launcher = new Launcher(units);
  // Ctrl-C during start-up stops as soon as the start settles.
  let interrupted = false;
  const early = () => {
    interrupted = true;
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  try {
    await launcher.start();
  } finally {
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
  }
  if (!interrupted) {
    await new Promise<void>((resolve) => {
      const timer = flags.duration === undefined ? undefined : setTimeout(done, flags.duration * 1000);
      function done() {
        clearTimeout(timer);
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        // A second Ctrl-C during shutdown stops at once.
        process.once('SIGINT', () => process.exit(130));
        resolve();
      }
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    });
  }
  process.stdout.write('[launch] stopping\n');
  await launcher.stop();
  const restarts = launcher.stats().reduce((n, s) => n + s.restarts, 0);
  process.stdout.write(`[launch] stopped${restarts ? ` (${restarts} unit restarts)` : ''}\n`);
  return 0;
}

/** Robot, scene and task names, checked before any thread starts, so a typo fails at once. */
function checkNames(launch: LaunchFile, file: string): void {
  launch.nodes.forEach((node, i) => {
    const p = (node.parameters ?? {}) as { robot?: string; scene?: string; task?: string };
    try {
      if (p.robot !== undefined) resolveRobot(p.robot);
      if (p.scene !== undefined) resolveScene(p.scene);
      if (node.kind === 'sim' && p.task !== undefined) getTask(p.task);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      throw new UserError(err.message, { source: `${file}: nodes.${i}.parameters`, cause: err });
    }
  });
}
