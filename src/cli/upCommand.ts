import { spawn } from 'node:child_process';
import { type Command, Option } from 'commander';
import { UserError } from '../errors.ts';
import { PERCEPTION_SOURCES, type Perception } from '../eval/types.ts';
import { checkRecordFile } from '../record/index.ts';
import { startUp } from '../up/startUp.ts';
import { parseIntFlag } from './flags.ts';
import { addPlannerOptions, llmConfigFromFlags, llmPlanner } from './plannerFlags.ts';

interface UpFlags {
  task: string;
  seed: number;
  robot: string;
  scene: string;
  host: string;
  port: number;
  rosbridgePort: number;
  open: boolean;
  camera?: boolean;
  perception: Perception;
  record?: string;
  planner: 'rule' | 'llm';
  llmUrl?: string;
  llmModel?: string;
}

const upHelp = `
Starts, on one in-process graph: the sim node (in real time), the language policy
node, a rosbridge server and the browser viewer. Prints the viewer's URL as the
first line on stdout, then runs until Ctrl-C, which shuts everything down and
leaves no port open.

In the viewer: type an instruction ("put the red block in the blue bowl") and
watch the plan run; pick a task and seed and press Reset for a new episode.
Any rosbridge client (roslib, Foxglove, roslibpy) can connect to the rosbridge
port as well.

Exit status: 0 after Ctrl-C; 2 bad input (a flag, a name, a port in use).`;

const port = (flag: string) => (v: string) => {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) {
    throw new UserError(`expected a port number in [0, 65535], got '${v}'`, { source: flag });
  }
  return Number(v);
};

/** Adds `up`: the sim, the policy, rosbridge and the viewer, until Ctrl-C. */
export function addUpCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('up')
    .description('serve the live sim, the language policy and the browser viewer')
    .option('--task <id>', 'task of the first episode', 'pick_place')
    .option('--seed <n>', 'seed of the first episode, >= 0', (v) => parseIntFlag('--seed', v, 0), 0)
    .option('--robot <id|dir>', 'robot id from robots/, or a folder with robot.yaml and its URDF', 'ur5e')
    .option('--scene <name|file>', 'built-in scene name, or a scene-spec YAML file', 'tabletop')
    .option('--host <address>', 'interface to serve on; anything but loopback exposes the sim', '127.0.0.1')
    .option('--port <n>', 'viewer HTTP port (0 picks a free one)', port('--port'), 8080)
    .option(
      '--rosbridge-port <n>',
      'rosbridge WebSocket port (0 picks a free one)',
      port('--rosbridge-port'),
      9090,
    )
    .option('--no-open', 'do not open the viewer in a browser')
    .option('--camera', 'render the scene camera and show it in the viewer (about 0.3 s of CPU per second)')
    .addOption(
      new Option(
        '--perception <source>',
        "where the policy's /detections come from: the sim's ground truth, or a perception node on the sim camera (turns the camera on)",
      )
        .choices(PERCEPTION_SOURCES)
        .default('ground-truth'),
    )
    .option('--record <file.mcap>', 'record every topic to an MCAP file until Ctrl-C')
    .addHelpText('after', upHelp);
  addPlannerOptions(cmd).action(async (flags: UpFlags) => {
    setExitCode(await runUp(flags));
  });
}

async function runUp(flags: UpFlags): Promise<number> {
  if (flags.record !== undefined) checkRecordFile(flags.record, '--record');
  const llm = llmConfigFromFlags(flags);
  const up = await startUp({
    camera: flags.camera === true,
    perception: flags.perception,
    ...(llm ? { planner: llmPlanner(llm) } : {}),
    ...(flags.record !== undefined ? { record: flags.record } : {}),
    task: flags.task,
    seed: flags.seed,
    robot: flags.robot,
    scene: flags.scene,
    host: flags.host,
    port: flags.port,
    rosbridgePort: flags.rosbridgePort,
  });
  process.stdout.write(`${up.url}\n`);
  process.stderr.write(
    `simbridge up: viewer ${up.url}, rosbridge ${up.rosbridgeUrl}, task ${flags.task} seed ${flags.seed}` +
      `${up.perception ? ', /detections from the camera (ground truth on /sim/ground_truth/detections)' : ''}; Ctrl-C to stop\n`,
  );
  if (flags.open) openBrowser(up.url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second Ctrl-C during shutdown stops at once.
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const { loop } = up.stats();
  await up.close();
  process.stderr.write(
    `simbridge up: stopped after ${loop.wallSeconds.toFixed(1)} s (sim ${loop.simSeconds.toFixed(1)} s, ` +
      `real-time factor ${loop.realTimeFactor.toFixed(2)})\n`,
  );
  return 0;
}

/** Opens the URL with the desktop's handler, if there is one; a headless machine just has none. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener: the URL is printed anyway.
  }
}
