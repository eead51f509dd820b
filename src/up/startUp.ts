import { SimNode } from '../../sim/node/SimNode.ts';
import { getScene } from '../../sim/scene/SceneSpec.ts';
import { getTask, listTaskIds } from '../../sim/tasks/index.ts';
import { UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import type { Perception } from '../eval/types.ts';
import { type Context, createContext, msgsValidator, QOS_CLOCK, SimClock } from '../graph/index.ts';
import { createRobotPerception, type PerceptionNode } from '../perception/PerceptionNode.ts';
import { LanguageNode } from '../policy/language/LanguageNode.ts';
import type { Planner } from '../policy/language/LanguagePolicy.ts';
import { startRecording } from '../record/index.ts';
import { LocalTransport } from '../transports/local/LocalTransport.ts';
import {
  type RosbridgeServer,
  startRosbridgeServer,
} from '../transports/rosbridge/server/RosbridgeServer.ts';
import { RealtimeLoop, type RealtimeLoopStats } from './RealtimeLoop.ts';
import { type StaticServer, startStaticServer } from './StaticServer.ts';
import { ensureViewerBuilt } from './viewerBuild.ts';

export interface UpOptions {
  /** Task of the first episode. @default 'pick_place' */
  task?: string;
  /** Seed of the first episode. @default 0 */
  seed?: number;
  /** Robot id from robots/, or a robot folder. @default 'ur5e' */
  robot?: string;
  /** Built-in scene name or scene-spec YAML file. @default 'tabletop' */
  scene?: string;
  /** Interface for the viewer and rosbridge. Anything but loopback exposes them to the network. @default '127.0.0.1' */
  host?: string;
  /** Viewer HTTP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** rosbridge WebSocket port; 0 picks a free one. @default 9090 */
  rosbridgePort?: number;
  /**
   * Render the scene camera and publish /camera/* (shown in the viewer). Off by default: a
   * 320×240 frame at 10 Hz costs the sim loop ~0.3 s of CPU per second, and each frame is
   * ~300 kB of JSON to every rosbridge client. @default false
   */
  camera?: boolean;
  /**
   * Where the policy's /detections come from. `camera` turns the camera on (without the
   * sim-only segmentation), moves the sim's ground truth to /sim/ground_truth/detections, and
   * puts a perception node between the camera and the policy, as `run --perception camera`
   * does; the viewer then draws what the policy perceives. @default 'ground-truth'
   */
  perception?: Perception;
  /** Record every topic to this MCAP file until close(). */
  record?: string;
  /** The language policy's planner. @default the rule-based planner */
  planner?: Planner;
  /** Progress and notices, one line each. @default stderr */
  log?: (line: string) => void;
}

export interface Up {
  /** The viewer's URL. */
  readonly url: string;
  /** The rosbridge server's URL. */
  readonly rosbridgeUrl: string;
  readonly context: Context;
  readonly sim: SimNode;
  /** The language policy node running now (a reset replaces it). */
  readonly policy: LanguageNode;
  /** The perception node, with `perception: 'camera'`. It forgets its tracks at each reset. */
  readonly perception: PerceptionNode | undefined;
  stats(): { loop: RealtimeLoopStats; rosbridgeClients: number; policyRestarts: number };
  /** Stops the loop, both servers and the nodes; no port is left open. Safe to call twice. */
  close(): Promise<void>;
}

/** Control rate of the language policy node, Hz (as in runGraphEpisode). */
const CONTROL_HZ = 60;
/** With `perception: 'camera'`, the sim's ground truth goes here (as in runGraphEpisode). */
export const GROUND_TRUTH_DETECTIONS = '/sim/ground_truth/detections';

/**
 * `simbridge up`: on one local context, the sim node (ticked in real time), the language policy
 * node, a rosbridge server and the viewer's HTTP server. Resolves once everything listens.
 *
 * A reset (/sim/reset, from the viewer or any client) restarts sim time at 0; the policy node is
 * then replaced by a fresh one, so the next instruction plans against the new scene from the
 * arm's new pose rather than continuing the old episode's motion.
 */
export async function startUp(options: UpOptions = {}): Promise<Up> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const task = options.task ?? 'pick_place';
  const seed = options.seed ?? 0;
  getTask(task); // an unknown task is a UserError naming the known ones, before anything starts
  const robot = resolveRobot(options.robot ?? 'ur5e');
  const scene = options.scene === undefined ? getScene('tabletop') : resolveScene(options.scene);
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    log(`serving on ${host}: anyone who can reach it can watch and command the sim`);
  }

  const viewer = await ensureViewerBuilt({ log });
  if (viewer.built) log(`viewer built in ${viewer.seconds.toFixed(1)} s`);

  const context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    clock: new SimClock(),
  });
  const cleanups: Array<() => unknown> = [() => context.destroy()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    // Interactive: no time limit (the scene stays live for the next instruction).
    const perceive = options.perception === 'camera';
    const sim = new SimNode(context, {
      robot,
      scene,
      timeLimit: false,
      ...(perceive
        ? { camera: { segmentation: false }, detectionsTopic: GROUND_TRUTH_DETECTIONS }
        : { camera: options.camera ?? false }),
    });
    cleanups.push(() => sim.destroy());
    // Between the camera and the policy; it sees a reset as sim time going back and starts afresh.
    const perception = perceive ? createRobotPerception(context, sim.env.robotDescription.config) : undefined;
    if (perception) cleanups.push(() => perception.destroy());
    if (options.record !== undefined) {
      const recorder = startRecording(context, { path: options.record, source: '--record' });
      cleanups.push(() => recorder.close());
    }
    sim.reset({ task, seed, split: 'seen' });
    const description = sim.env.robotDescription;
    const planner = options.planner;
    const newPolicy = () =>
      new LanguageNode(context, {
        robot: description,
        scene,
        controlHz: CONTROL_HZ,
        ...(planner ? { planner } : {}),
      });
    let policy = newPolicy();
    let policyRestarts = 0;
    cleanups.push(() => policy.destroy());

    // Sim time going back means a new episode: give it a fresh policy node. Replaced in a
    // microtask, after the reset service has returned but before its reply reaches any client,
    // so an instruction sent after the reply always reaches the new node.
    const watcher = context.createNode('up');
    let lastClockNs = context.simClock!.nowNanoseconds();
    let stallReported = false;
    watcher.createSubscription('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK, (msg) => {
      const ns = BigInt(msg.clock.sec) * 1_000_000_000n + BigInt(msg.clock.nanosec);
      if (ns < lastClockNs) {
        stallReported = false;
        queueMicrotask(() => {
          if (watcher.isDestroyed) return;
          policy.destroy();
          policy = newPolicy();
          policyRestarts++;
        });
      }
      lastClockNs = ns;
    });

    const clock = context.simClock!;
    const loop = new RealtimeLoop({
      stepSeconds: sim.env.dtSeconds * sim.env.substeps,
      tick: () => {
        const before = clock.nowNanoseconds();
        sim.tick();
        if (!stallReported && !sim.paused && sim.done && clock.nowNanoseconds() === before) {
          // The env stops stepping at the task's time limit; only a reset starts a new episode.
          stallReported = true;
          log(
            `episode over at ${sim.env.timeSeconds.toFixed(1)} s of sim time (the task's time limit); reset it in the viewer`,
          );
        }
      },
      onError: (err) => log(`simbridge: the sim loop stopped: ${(err as Error)?.stack ?? String(err)}`),
    });
    cleanups.push(() => loop.stop());

    let rosbridge: RosbridgeServer;
    try {
      rosbridge = await startRosbridgeServer({ context, host, port: options.rosbridgePort ?? 9090 });
    } catch (err) {
      throw portError(err, options.rosbridgePort ?? 9090, host, '--rosbridge-port');
    }
    cleanups.push(() => rosbridge.close());

    const http: StaticServer = await startStaticServer({
      root: viewer.dir,
      host,
      port: options.port ?? 8080,
      json: {
        '/config.json': () => ({
          rosbridgePort: rosbridge.port,
          rosbridgeUrl: rosbridge.url,
          tasks: listTaskIds(),
          task,
          seed,
          robot: description.id,
          fixtures: { bowlWallThickness: scene.bowl.wallThickness, clipPostWidth: scene.clip.postWidth },
        }),
      },
    });
    cleanups.push(() => http.close());
    loop.start();

    let closing: Promise<void> | undefined;
    return {
      url: http.url,
      rosbridgeUrl: rosbridge.url,
      context,
      sim,
      get policy() {
        return policy;
      },
      perception,
      stats: () => ({ loop: loop.stats(), rosbridgeClients: rosbridge.stats().clients, policyRestarts }),
      close() {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function portError(err: unknown, port: number, host: string, flag: string): unknown {
  const code =
    (err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code;
  if (code === 'EADDRINUSE') {
    return new UserError(`port ${port} on ${host} is in use; pick another with ${flag} (0 picks a free one)`);
  }
  return err;
}
