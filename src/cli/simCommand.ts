/**
 * `simbridge sim`: the sim node in real time, for policies in other processes or on other
 * machines. With `--transport rosbridge` (the default) it runs on a local graph behind a rosbridge
 * server; with `ros2` (or `rtps`) it joins that ROS 2 graph directly.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SimNode } from '../../sim/node/SimNode.ts';
import { UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import { validateSpecNames } from '../eval/runEpisode.ts';
import { createContext, msgsValidator, SimClock } from '../graph/index.ts';
import { startRosbridgeServer } from '../transports/rosbridge/server/index.ts';
import { createTransport, parseTransportName, type TransportName } from '../transports/select.ts';
import { addDdsOptions, parseIntFlag, rtpsFlagOptions } from './flags.ts';

interface SimFlags {
  transport: TransportName;
  robot: string;
  scene: string;
  task: string;
  seed: number;
  split: 'seen' | 'unseen';
  rosbridgePort: number;
  host: string;
  token?: string;
  domain?: number;
  rtpsAddress?: string;
  peer?: string[];
  duration?: number;
}

/** Physics and sim-clock rate, Hz (the sim node steps at 240 Hz). */
const SIM_HZ = 240;
/** Ticks run at most per wake-up: a stalled process skips sim time rather than racing to catch up. */
const MAX_CATCH_UP_TICKS = 24;

const simHelp = `
The sim publishes /clock, /joint_states, /tf, /tf_static, /robot_description,
/detections and /sim/status, and obeys the ros2_control topics and actions
named in robots/<robot>/robot.yaml. Services: /sim/reset, /sim/pause,
/sim/step, /sim/evaluate. It steps in wall time (1 s of sim per second).

--transport local runs it with no outside access (a smoke test).
The rosbridge server binds --host (127.0.0.1 unless told otherwise).

Exit status: 0 stopped by Ctrl-C or --duration, 1 an unexpected failure,
2 bad input (flags, names, a port in use).`;

/** Adds `sim`. */
export function addSimCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('sim')
    .description('run the sim node in real time, served over rosbridge (or on ROS 2)')
    .addOption(
      new Option('--transport <name>', 'rosbridge (served here), local, ros2 or rtps')
        .argParser(parseTransportName)
        .default('rosbridge'),
    )
    .option('--robot <id|dir>', 'robot id from robots/, or a folder with robot.yaml and its URDF', 'ur5e')
    .option('--scene <name|file>', 'built-in scene name, or a scene-spec YAML file', 'tabletop')
    .option('--task <id>', 'task of the first episode (/sim/reset starts others)', 'pick_place')
    .option('--seed <n>', 'seed of the first episode, >= 0', (v) => parseIntFlag('--seed', v, 0), 0)
    .addOption(
      new Option('--split <split>', 'colours and positions seen or unseen in development')
        .choices(['seen', 'unseen'])
        .default('seen'),
    )
    .option(
      '--rosbridge-port <n>',
      'rosbridge server port; 0 picks a free one',
      (v) => parsePort('--rosbridge-port', v),
      9090,
    )
    .option('--host <address>', 'interface the rosbridge server listens on', '127.0.0.1')
    .option('--token <token>', 'access token rosbridge clients must give')
    .option('--duration <s>', 'stop after this many wall seconds', (v) => parseIntFlag('--duration', v, 1))
    .addHelpText('after', simHelp);
  addDdsOptions(cmd).action(async (flags: SimFlags) => {
    setExitCode(await runSim(flags));
  });
}

function parsePort(flag: string, text: string): number {
  const port = parseIntFlag(flag, text, 0);
  if (port > 65535) throw new UserError(`expected a port in 0..65535, got '${text}'`, { source: flag });
  return port;
}

async function runSim(flags: SimFlags): Promise<number> {
  validateSpecNames(flags.task, flags.robot, 'oracle');
  const rtps = rtpsFlagOptions(flags.transport, flags);
  const robot = resolveRobot(flags.robot);
  const scene = resolveScene(flags.scene);
  const served = flags.transport === 'rosbridge';
  const transport = await createTransport(served ? 'local' : flags.transport, {
    ...(flags.domain !== undefined ? { domain: flags.domain } : {}),
    ...rtps,
    nodeName: 'simbridge_sim',
  });
  const validator = await msgsValidator();
  // The codec is used only by transports that carry CDR bytes (rtps).
  const context = createContext({ transport, validator, codec: validator, clock: new SimClock() });
  const sim = new SimNode(context, { robot, scene });
  let server: Awaited<ReturnType<typeof startRosbridgeServer>> | undefined;
  try {
    const reset = sim.reset({ task: flags.task, seed: flags.seed, split: flags.split });
    if (served) {
      server = await startRosbridgeServer({
        context,
        host: flags.host,
        port: flags.rosbridgePort,
        ...(flags.token !== undefined ? { token: flags.token } : {}),
      }).catch((error: unknown) => {
        const code = (error as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') {
          throw new UserError(`cannot listen on ${flags.host}:${flags.rosbridgePort} (${code})`, {
            source: '--rosbridge-port',
            cause: error,
          });
        }
        throw error;
      });
    }
    const where = server ? `rosbridge ${server.url}` : `${flags.transport} transport`;
    process.stdout.write(
      `sim: ${flags.robot} ${flags.task} seed ${flags.seed} on ${where}\n` +
        `instruction: ${reset.instruction}\nCtrl-C to stop\n`,
    );
    await runRealTime(sim, flags.duration);
    process.stdout.write(`sim: stopped at sim time ${sim.env.timeSeconds.toFixed(2)} s\n`);
    return 0;
  } finally {
    await server?.close();
    sim.destroy();
    context.destroy();
  }
}

/**
 * Ticks the sim so that sim time follows wall time: each wake-up runs the ticks that are due
 * (at most MAX_CATCH_UP_TICKS; beyond that the sim falls behind and skips, as a real-time loop
 * must). Resolves on SIGINT/SIGTERM or after `durationSeconds`.
 */
function runRealTime(sim: SimNode, durationSeconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    let ticks = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const wake = () => {
      if (stopped) return;
      const elapsed = (performance.now() - start) / 1000;
      if (durationSeconds !== undefined && elapsed >= durationSeconds) {
        stop();
        return;
      }
      const due = Math.floor(elapsed * SIM_HZ);
      if (due - ticks > MAX_CATCH_UP_TICKS) ticks = due - MAX_CATCH_UP_TICKS;
      while (ticks < due) {
        sim.tick();
        ticks++;
      }
      const nextMs = ((ticks + 1) / SIM_HZ) * 1000 - (performance.now() - start);
      timer = setTimeout(wake, Math.max(0, nextMs));
    };
    wake();
  });
}
