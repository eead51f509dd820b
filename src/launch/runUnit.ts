/**
 * Runs one unit of a launch (see units.ts) in the current thread: makes its transport, starts its
 * nodes, keeps each sim ticking in real time, restarts a failed node per its policy, and stops
 * everything in reverse order.
 *
 * Every node gets its own Context over its own RemapTransport view of the unit's one transport,
 * so its remappings apply to it alone and a restart replaces it without disturbing the others.
 * Nodes in one namespace share that namespace's sim clock: the sim node advances it, and the
 * policy's timers fire on it, exactly as in runGraphEpisode.
 *
 * A node has failed when its constructor throws, when a callback, timer, service or action
 * handler of its graph node throws (ROS 2's rclcpp would let that exception end the process), or,
 * for a sim, when a physics step throws. Bad messages from outside are not failures: the graph
 * reports them and the node keeps running.
 */
import { threadId } from 'node:worker_threads';
import { TABLETOP_CAMERA } from '../../sim/camera/CameraSpec.ts';
import type { ResetResult } from '../../sim/Env.ts';
import { SimNode } from '../../sim/node/SimNode.ts';
import type { RobotDescription } from '../../sim/robot/RobotConfig.ts';
import { listTaskIds } from '../../sim/tasks/index.ts';
import { UserError } from '../errors.ts';
import { resolveRobot, resolveScene } from '../eval/resolve.ts';
import {
  type Context,
  createContext,
  type GraphErrorEvent,
  type Logger,
  type MessageValidator,
  msgsValidator,
  type Node,
  QOS_DEFAULT,
  SimClock,
} from '../graph/index.ts';
import { expandTopicName } from '../graph/Names.ts';
import { createRobotPerception } from '../perception/PerceptionNode.ts';
import { LanguageNode } from '../policy/language/LanguageNode.ts';
import { OraclePolicy } from '../policy/oracle/OraclePolicy.ts';
import { PolicyNode } from '../policy/PolicyNode.ts';
import { type Recorder, startRecording } from '../record/Recorder.ts';
import { LocalTransport } from '../transports/local/LocalTransport.ts';
import { type RosbridgeServer, startRosbridgeServer } from '../transports/rosbridge/server/index.ts';
import { createTransport } from '../transports/select.ts';
import type { Transport } from '../transports/Transport.ts';
import { RealtimeLoop } from '../up/RealtimeLoop.ts';
import { startStaticServer } from '../up/StaticServer.ts';
import { ensureViewerBuilt } from '../up/viewerBuild.ts';
import type { LaunchNode } from './LaunchFile.ts';
import { RemapTransport } from './RemapTransport.ts';
import { armNamespaces, nodeFullName, restartDelay, restartOf, type UnitSpec } from './units.ts';

/** What the unit reports to whoever runs it (the launcher, through a thread or process boundary). */
export interface UnitHost {
  /** One line for the launch log, already prefixed with the node's name. */
  log(line: string): void;
  /**
   * A node failed in a unit of one node: the unit must end with a non-zero status, so that the
   * launcher restarts it (in a fresh thread or process) per the node's policy.
   */
  fatal(message: string): void;
}

export interface RunningUnit {
  /** Stops every node, newest first, then the transport. Safe to call twice. */
  stop(): Promise<void>;
}

interface Instance {
  stop(): void | Promise<void>;
}

/**
 * A namespace with a sim in this unit: the clock its nodes share and the episode running. A sim
 * with several robots on one table (parameters.robots) makes one cell per arm namespace too,
 * with the same clock and followers, the arm's own goal and instruction, and the arm's placed
 * robot description (its base pose), which a policy in that namespace drives.
 */
interface Cell {
  clock: SimClock;
  reset: ResetResult | undefined;
  /** Restarted (not counted as failures) when the sim starts a new episode. */
  followers: Set<Supervised>;
  /** An arm's cell: the robot as placed on the shared table. */
  robot?: RobotDescription;
}

/** Order in which kinds start; they stop in reverse. The recorder first, to see every topic appear. */
const START_ORDER: Record<LaunchNode['kind'], number> = {
  recorder: 0,
  sim: 1,
  camera: 2,
  perception: 3,
  heartbeat: 3,
  policy: 4,
  rosbridge_server: 5,
  viewer: 6,
};

/** The language policy's command rate, Hz (as runGraphEpisode and `up`). */
const CONTROL_HZ = 60;
/** How often each policy's and sim's state is looked at for the log, ms. */
const WATCH_MS = 200;

class UnitRun {
  readonly spec: UnitSpec;
  readonly host: UnitHost;
  readonly validator: MessageValidator;
  readonly base: Transport;
  readonly cells = new Map<string, Cell>();
  readonly recorders = new Set<Recorder>();
  readonly logger: Logger;
  rosbridge: RosbridgeServer | undefined;
  readonly nodes: Supervised[] = [];
  /** Sims start ticking once every node of the unit is up, so sim time 0 finds their policies listening. */
  started = false;
  readonly waitingLoops: RealtimeLoop[] = [];

  constructor(spec: UnitSpec, host: UnitHost, validator: MessageValidator, base: Transport) {
    this.spec = spec;
    this.host = host;
    this.validator = validator;
    this.base = base;
    this.logger = {
      debug() {},
      info: (m) => host.log(m),
      warn: (m) => host.log(`WARN ${m}`),
      error: (m) => host.log(`ERROR ${m}`),
    };
    for (const node of spec.nodes) {
      if (node.kind === 'sim') {
        const cell: Cell = { clock: new SimClock(), reset: undefined, followers: new Set() };
        this.cells.set(node.namespace ?? '/', cell);
        for (const armNs of armNamespaces(node)) {
          this.cells.set(armNs, { clock: cell.clock, reset: undefined, followers: cell.followers });
        }
      }
    }
  }

  get single(): boolean {
    return this.spec.nodes.length === 1;
  }

  /** A context for one node: its own remapping view of the unit's transport. */
  context(node: LaunchNode, clock: 'wall' | 'sim' | SimClock): Context {
    const ns = node.namespace ?? '/';
    const name = node.name ?? node.kind;
    const rules = new Map<string, string>();
    for (const [from, to] of Object.entries(node.remappings ?? {})) {
      const source = `${nodeFullName(node)} remappings`;
      rules.set(
        expandTopicName(from, name, ns, 'topic', source),
        expandTopicName(to, name, ns, 'topic', source),
      );
    }
    return createContext({
      transport: new RemapTransport(this.base, rules),
      validator: this.validator,
      clock,
      logger: this.logger,
    });
  }

  /** Looks for new topics now, so that a recorder in the unit sees them before anything is published. */
  discover(): void {
    for (const r of this.recorders) r.discover();
  }
}

/**
 * One node under supervision: started, restarted per its policy after a failure (or, in a unit
 * of one node, reported as fatal), stopped.
 */
class Supervised {
  readonly spec: LaunchNode;
  readonly fullName: string;
  readonly #unit: UnitRun;
  #instance: Instance | undefined;
  #generation = 0;
  #restarts = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(unit: UnitRun, spec: LaunchNode) {
    this.#unit = unit;
    this.spec = spec;
    this.fullName = nodeFullName(spec);
    // A unit of one node is restarted by the launcher: its node's restarts are the unit's.
    if (unit.single) this.#restarts = unit.spec.restarts ?? 0;
  }

  log(line: string): void {
    this.#unit.host.log(`[${this.fullName}] ${line}`);
  }

  async start(): Promise<void> {
    const generation = ++this.#generation;
    const fail = (error: unknown) => {
      if (generation === this.#generation) this.#fail(error);
    };
    const instance = await STARTERS[this.spec.kind](this.#unit, this, fail, this.#restarts);
    if (this.#stopped || generation !== this.#generation) {
      await instance.stop();
      return;
    }
    this.#instance = instance;
  }

  /** Starts the node again now, without counting a failure (a new sim episode). */
  async renew(why: string): Promise<void> {
    if (this.#stopped || !this.#instance) return;
    this.log(`restarting: ${why}`);
    await this.#teardown();
    await this.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#teardown();
  }

  async #teardown(): Promise<void> {
    this.#generation++; // the old instance's late failures are ignored
    const instance = this.#instance;
    this.#instance = undefined;
    try {
      await instance?.stop();
    } catch (err) {
      this.log(`ERROR while stopping: ${message(err)}`);
    }
  }

  #fail(error: unknown): void {
    if (this.#stopped) return;
    const text = message(error);
    this.log(`FAILED: ${text}`);
    if (this.#unit.single) {
      this.#unit.host.fatal(`${this.fullName}: ${text}`);
      return;
    }
    void this.#teardown().then(() => this.#scheduleRestart());
  }

  #scheduleRestart(): void {
    if (this.#stopped) return;
    const policy = restartOf(this.spec);
    const delay = restartDelay(policy, this.#restarts, true);
    if (delay === undefined) {
      this.log(
        policy.policy === 'never'
          ? 'not restarted (restart policy: never); the other nodes keep running'
          : `given up after ${this.#restarts} restarts (maxRestarts ${policy.maxRestarts}); the other nodes keep running`,
      );
      return;
    }
    this.#restarts++;
    this.log(`restart ${this.#restarts}/${policy.maxRestarts} in ${delay} s`);
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      this.start().then(
        () => this.log(`restarted (${this.#restarts}/${policy.maxRestarts})`),
        (err: unknown) => this.#fail(err),
      );
    }, delay * 1000);
  }
}

type Starter = (
  unit: UnitRun,
  self: Supervised,
  fail: (error: unknown) => void,
  restarts: number,
) => Promise<Instance>;

/** Makes a graph node's handler failures the supervised node's failure. */
function failOnError(node: Node, fail: (error: unknown) => void): void {
  node.on('error', (event: GraphErrorEvent) => {
    if (event.kind !== 'invalid_message') fail(event.error);
  });
}

const startSim: Starter = async (unit, self, fail, restarts) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'sim' }>;
  const p = spec.parameters ?? {};
  const ns = spec.namespace ?? '/';
  const cell = unit.cells.get(ns)!;
  const camera = unit.spec.nodes.find((n) => n.kind === 'camera' && (n.namespace ?? '/') === ns) as
    | Extract<LaunchNode, { kind: 'camera' }>
    | undefined;
  const scene = resolveScene(p.scene);
  const { segmentation, ...cameraSpec } = camera?.parameters ?? {};
  const context = unit.context(spec, cell.clock);
  let sim: SimNode | undefined;
  let loop: RealtimeLoop | undefined;
  try {
    sim = new SimNode(context, {
      ...(p.robots ? { robots: p.robots } : { robot: resolveRobot(p.robot ?? 'ur5e') }),
      scene,
      name: spec.name ?? 'sim',
      namespace: ns,
      ...(camera
        ? {
            camera: {
              spec: { ...(scene.camera ?? TABLETOP_CAMERA), ...cameraSpec },
              ...(segmentation !== undefined ? { segmentation } : {}),
            },
          }
        : {}),
    });
    failOnError(sim.node, fail);
    const task = p.task ?? 'pick_place';
    const seed = p.seed ?? 0;
    const reset = sim.reset({ task, seed, split: p.split ?? 'seen' });
    cell.reset = reset;
    const armSpaces = armNamespaces(spec);
    if (reset.arms) {
      reset.arms.forEach((arm, i) => {
        const armCell = unit.cells.get(armSpaces[i]!)!;
        armCell.reset = {
          ...reset,
          observation: arm.observation,
          instruction: arm.instruction,
          goal: arm.goal,
        };
        armCell.robot = sim!.env.robotDescriptions[i]!;
        self.log(
          `${armSpaces[i]}: ${arm.robot} ${arm.task} seed ${seed}; its instruction: "${arm.instruction}"`,
        );
      });
    } else {
      self.log(
        `${sim.env.robotDescription.id} ${task} seed ${seed}; the episode's instruction: "${reset.instruction}"`,
      );
    }
    // A restarted sim starts its episode over, so the nodes that follow it start over too.
    if (restarts > 0) for (const f of cell.followers) void f.renew('the sim restarted');
    const s = sim;
    const clock = cell.clock;
    let lastNs = clock.nowNanoseconds();
    let wasDone = false;
    /** Arms whose success was logged (several robots on one table). */
    const armLogged = armSpaces.map(() => false);
    const factor = p.realtimeFactor ?? 1;
    loop = new RealtimeLoop({
      stepSeconds: (s.env.dtSeconds * s.env.substeps) / factor,
      tick: () => {
        const before = clock.nowNanoseconds();
        if (before < lastNs) {
          // Sim time went back: /sim/reset started a new episode. Its policies start afresh, so the
          // next instruction plans against the new scene (as `simbridge up` does).
          wasDone = false;
          armLogged.fill(false);
          self.log('new episode (sim/reset): restarting the nodes of this namespace that follow it');
          for (const f of cell.followers) void f.renew('new sim episode');
        }
        s.tick();
        lastNs = clock.nowNanoseconds();
        armSpaces.forEach((armNs, i) => {
          if (armLogged[i] || !s.arms[i]!.checks.success) return;
          armLogged[i] = true;
          self.log(`${armNs}: task succeeded at ${s.env.timeSeconds.toFixed(2)} s of sim time`);
        });
        if (s.done && !wasDone) {
          wasDone = true;
          const checks = s.checks;
          self.log(
            checks.success
              ? `episode succeeded at ${s.env.timeSeconds.toFixed(2)} s of sim time`
              : `episode ended without success at ${s.env.timeSeconds.toFixed(2)} s of sim time (time limit)`,
          );
        }
      },
      onError: fail,
    });
    if (unit.started) loop.start();
    else unit.waitingLoops.push(loop);
  } catch (err) {
    await loop?.stop();
    sim?.destroy();
    context.destroy();
    throw err;
  }
  const started = loop;
  const node = sim;
  return {
    async stop() {
      await started.stop();
      const stats = started.stats();
      self.log(
        `stopped at ${node.env.timeSeconds.toFixed(2)} s of sim time (${stats.ticks} steps, real-time factor ${stats.realTimeFactor.toFixed(2)})`,
      );
      node.destroy();
      context.destroy();
    },
  };
};

const startPolicy: Starter = async (unit, self, fail) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'policy' }>;
  const p = spec.parameters ?? {};
  const ns = spec.namespace ?? '/';
  const cell = unit.cells.get(ns);
  // At a shared table the arm of this namespace is placed somewhere: drive it as placed.
  const robot = cell?.robot ?? resolveRobot(p.robot ?? 'ur5e');
  if (cell?.robot && p.robot !== undefined && p.robot !== cell.robot.id) {
    throw new UserError(`robot is ${p.robot}, but the arm in ${ns} is a ${cell.robot.id}`, {
      source: self.fullName,
    });
  }
  const scene = resolveScene(p.scene);
  const controlHz = p.controlHz ?? CONTROL_HZ;
  let clock: 'wall' | 'sim' | SimClock;
  if (cell) clock = cell.clock;
  else if (unit.spec.transport.kind === 'local') clock = 'sim';
  else {
    // A network robot: command it only if it is a simbridge sim, unless told it may be hardware.
    const isSim = await remoteIsSim(unit, spec, 5);
    if (!isSim && !p.allowHardware) {
      throw new UserError(
        `the robot on ${unit.spec.transport.url ?? unit.spec.transport.kind} published no ${ns === '/' ? '' : ns}/sim/status within 5 s, ` +
          'so it is not a simbridge sim (or it is not up yet); to command a real arm, set allowHardware: true',
        { source: self.fullName },
      );
    }
    if (!isSim) self.log('commanding HARDWARE (allowHardware: true)');
    clock = isSim ? 'sim' : 'wall';
  }
  const context = unit.context(spec, clock);
  const name = spec.name ?? 'policy';
  let stopWatch = () => {};
  let policyNode: { destroy(): void };
  try {
    if (p.policy === 'oracle') {
      const goal = cell!.reset!.goal;
      const node = new PolicyNode(context, {
        robot,
        scene,
        controlHz,
        name,
        namespace: ns,
        createPolicy: (r) => new OraclePolicy(r, goal, { controlHz }),
      });
      failOnError(node.node, fail);
      policyNode = node;
    } else {
      const language = new LanguageNode(context, { robot, scene, controlHz, name, namespace: ns });
      policyNode = language;
      failOnError(language.policyNode.node, fail);
      let last = '';
      const watch = setInterval(() => {
        const status = language.language?.status;
        const state = status?.state ?? 'idle';
        if (state === last) return;
        last = state;
        self.log(`status: ${state}${status?.reason ? ` (${status.reason})` : ''}`);
      }, WATCH_MS);
      stopWatch = () => clearInterval(watch);
      if (p.instruction !== undefined) {
        const say = context.createNode(`${name}_launch`, { namespace: ns });
        const pub = say.createPublisher('std_msgs/msg/String', 'instruction', QOS_DEFAULT);
        unit.discover();
        pub.publish({ data: p.instruction });
        self.log(`instruction: "${p.instruction}"`);
      }
    }
  } catch (err) {
    context.destroy();
    throw err;
  }
  unit.discover();
  cell?.followers.add(self);
  const node = policyNode;
  return {
    stop() {
      cell?.followers.delete(self);
      stopWatch();
      node.destroy();
      context.destroy();
    },
  };
};

const startHeartbeat: Starter = async (unit, self, fail, restarts) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'heartbeat' }>;
  const p = spec.parameters ?? {};
  const context = unit.context(spec, 'wall');
  try {
    const node = context.createNode(spec.name ?? 'heartbeat', { namespace: spec.namespace ?? '/' });
    failOnError(node, fail);
    const pub = node.createPublisher('std_msgs/msg/String', p.topic ?? '~/heartbeat', QOS_DEFAULT);
    unit.discover();
    let count = 0;
    const beat = () =>
      pub.publish({
        data: JSON.stringify({
          node: self.fullName,
          count: count++,
          restarts,
          pid: process.pid,
          thread: threadId,
        }),
      });
    beat();
    node.createTimer(1 / (p.rateHz ?? 10), beat, { clock: 'wall' });
    const failAfter = p.failAfterSeconds;
    if (failAfter !== undefined) {
      node.createTimer(
        failAfter,
        () => {
          throw new Error(`failing on purpose after ${failAfter} s (failAfterSeconds)`);
        },
        { clock: 'wall' },
      );
    }
  } catch (err) {
    context.destroy();
    throw err;
  }
  return { stop: () => context.destroy() };
};

const startRecorder: Starter = async (unit, self, _fail, restarts) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'recorder' }>;
  const p = spec.parameters;
  // A restarted recorder starts a new file beside the first rather than truncating it.
  const path = restarts === 0 ? p.path : p.path.replace(/\.mcap$/, `.${restarts}.mcap`);
  const topics = p.topics ? new Set(p.topics) : undefined;
  // Wall time, as rosbag2 records by default (a launch may hold several sims, each with its own clock).
  const context = unit.context(spec, 'wall');
  let recorder: Recorder;
  try {
    recorder = startRecording(context, {
      path,
      source: self.fullName,
      nodeName: spec.name ?? 'recorder',
      finishOnSignal: false,
      ...(topics ? { topicFilter: (topic: string) => topics.has(topic) } : {}),
    });
  } catch (err) {
    context.destroy();
    throw err;
  }
  unit.recorders.add(recorder);
  self.log(`recording to ${path}`);
  return {
    async stop() {
      unit.recorders.delete(recorder);
      const summary = await recorder.close();
      self.log(
        `wrote ${summary.messages} messages on ${Object.keys(summary.topics).length} topics to ${summary.path}` +
          (summary.writeError ? ` (stopped early: ${summary.writeError})` : ''),
      );
      context.destroy();
    },
  };
};

const startRosbridge: Starter = async (unit, self) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'rosbridge_server' }>;
  const host = spec.parameters?.host ?? '127.0.0.1';
  const port = spec.parameters?.port ?? 9090;
  const context = unit.context(spec, 'wall');
  let server: RosbridgeServer;
  try {
    server = await startRosbridgeServer({ context, host, port });
  } catch (err) {
    context.destroy();
    throw listenError(err, host, port, self.fullName);
  }
  unit.rosbridge ??= server;
  self.log(`listening on ${server.url}`);
  return {
    async stop() {
      if (unit.rosbridge === server) unit.rosbridge = undefined;
      await server.close();
      context.destroy();
    },
  };
};

const startViewer: Starter = async (unit, self) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'viewer' }>;
  const host = spec.parameters?.host ?? '127.0.0.1';
  const port = spec.parameters?.port ?? 8080;
  const sims = unit.spec.nodes.filter((n) => n.kind === 'sim') as Extract<LaunchNode, { kind: 'sim' }>[];
  const sim = sims.find((n) => (n.namespace ?? '/') === '/') ?? sims[0]!;
  const sp = sim.parameters ?? {};
  const scene = resolveScene(sp.scene);
  const built = await ensureViewerBuilt({ log: (line) => self.log(line) });
  if (built.built) self.log(`viewer built in ${built.seconds.toFixed(1)} s`);
  const http = await startStaticServer({
    root: built.dir,
    host,
    port,
    json: {
      '/config.json': () => ({
        rosbridgePort: unit.rosbridge?.port,
        rosbridgeUrl: unit.rosbridge?.url,
        tasks: listTaskIds(),
        task: sp.task ?? 'pick_place',
        seed: sp.seed ?? 0,
        robot: sp.robot ?? 'ur5e',
        fixtures: { bowlWallThickness: scene.bowl.wallThickness, clipPostWidth: scene.clip.postWidth },
      }),
    },
  }).catch((err: unknown) => {
    throw listenError(err, host, port, self.fullName);
  });
  self.log(`serving the viewer at ${http.url}`);
  return { stop: () => http.close() };
};

/** The camera renders inside its namespace's sim (sim/camera needs the sim's scene). */
const startCamera: Starter = async (_unit, self) => {
  const ns = self.spec.namespace ?? '/';
  self.log(`renders inside the sim of ${ns}, at the sim's step`);
  return { stop() {} };
};

/**
 * Perception from RGB-D: on the local transport the camera of its namespace's sim, on a network
 * transport a real robot's camera topics. Its tracks reset themselves when sim time goes back.
 */
const startPerception: Starter = async (unit, self, fail) => {
  const spec = self.spec as Extract<LaunchNode, { kind: 'perception' }>;
  const p = spec.parameters ?? {};
  const ns = spec.namespace ?? '/';
  const robot = resolveRobot(p.robot ?? 'ur5e');
  const context = unit.context(spec, unit.cells.get(ns)?.clock ?? 'wall');
  try {
    const perception = createRobotPerception(context, robot.config, {
      name: spec.name ?? 'perception',
      namespace: ns,
      ...(p.topics ? { topics: p.topics } : {}),
      ...(p.worldFrame !== undefined ? { worldFrame: p.worldFrame } : {}),
      ...(p.robotMask !== undefined ? { robotMask: p.robotMask } : {}),
    });
    failOnError(perception.node, fail);
    unit.discover();
    let reported = false;
    // One line when objects are first seen, and whenever an input goes wrong (not per frame).
    let lastError = '';
    const watch = setInterval(() => {
      if (!reported && perception.objects.length > 0) {
        reported = true;
        self.log(`tracking ${perception.objects.length} objects; publishing detections`);
      }
      if (perception.lastError && perception.lastError !== lastError)
        self.log(`WARN ${perception.lastError}`);
      lastError = perception.lastError;
    }, WATCH_MS);
    return {
      stop() {
        clearInterval(watch);
        perception.destroy();
        context.destroy();
      },
    };
  } catch (err) {
    context.destroy();
    throw err;
  }
};

const STARTERS: Record<LaunchNode['kind'], Starter> = {
  sim: startSim,
  policy: startPolicy,
  heartbeat: startHeartbeat,
  recorder: startRecorder,
  rosbridge_server: startRosbridge,
  viewer: startViewer,
  camera: startCamera,
  perception: startPerception,
};

/** Starts a unit's nodes; a node that cannot start stops the ones started and throws. */
export async function startUnit(spec: UnitSpec, host: UnitHost): Promise<RunningUnit> {
  const validator = await msgsValidator();
  const t = spec.transport;
  const base =
    t.kind === 'local'
      ? new LocalTransport()
      : await createTransport(t.kind, {
          ...(t.url !== undefined ? { url: t.url } : {}),
          ...(t.domain !== undefined ? { domain: t.domain } : {}),
        });
  const unit = new UnitRun(spec, host, validator, base);
  const ordered = [...spec.nodes].sort((a, b) => START_ORDER[a.kind] - START_ORDER[b.kind]);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const node of [...unit.nodes].reverse()) await node.stop();
      base.destroy();
    })();
    return stopping;
  };
  try {
    for (const node of ordered) {
      const s = new Supervised(unit, node);
      unit.nodes.push(s);
      await s.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  unit.started = true;
  for (const loop of unit.waitingLoops.splice(0)) loop.start();
  return { stop };
}

/**
 * Whether the robot on a network transport is a simbridge sim: it publishes `sim/status`
 * (std_msgs/String, JSON with `state` and `checks`) at 10 Hz under the node's namespace.
 */
function remoteIsSim(unit: UnitRun, spec: LaunchNode, seconds: number): Promise<boolean> {
  const context = unit.context(spec, 'wall');
  const node = context.createNode(`${spec.name ?? spec.kind}_sim_check`, {
    namespace: spec.namespace ?? '/',
  });
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), seconds * 1000);
    node.createSubscription('std_msgs/msg/String', 'sim/status', QOS_DEFAULT, (msg) => {
      try {
        const status = JSON.parse(msg.data) as Record<string, unknown>;
        if (typeof status['state'] === 'string' && typeof status['checks'] === 'object') done(true);
      } catch {
        // not a simbridge status: keep waiting until the deadline
      }
    });
    function done(result: boolean) {
      clearTimeout(timer);
      context.destroy();
      resolve(result);
    }
  });
}

function listenError(err: unknown, host: string, port: number, source: string): unknown {
  const code =
    (err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return new UserError(
      `cannot listen on ${host}:${port} (${code}); set another port, e.g. --set ${source.lastIndexOf('/') === 0 ? source.slice(1) : source}.port=0 (0 picks a free one)`,
      { source, cause: err },
    );
  }
  return err;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
