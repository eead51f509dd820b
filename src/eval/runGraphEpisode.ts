import { SimNode } from '../../sim/node/SimNode.ts';
import type { Goal } from '../../sim/tasks/Goal.ts';
import { llmPlanner } from '../cli/plannerFlags.ts';
import { UserError } from '../errors.ts';
import { createContext, msgsValidator, type Publisher, SimClock } from '../graph/index.ts';
import type { MessageType } from '../msgs/index.ts';
import { createRobotPerception, type PerceptionNode } from '../perception/PerceptionNode.ts';
import { LanguageNode } from '../policy/language/LanguageNode.ts';
import { OraclePolicy } from '../policy/oracle/OraclePolicy.ts';
import { PolicyNode } from '../policy/PolicyNode.ts';
import { EPISODE_METADATA_NAME, episodeMetadata, failedEpisodeMetadata } from '../record/episodeMetadata.ts';
import { type Recorder, startRecording } from '../record/Recorder.ts';
import { LocalTransport } from '../transports/local/LocalTransport.ts';
import { episodeResult } from './episodeResult.ts';
import { resolveRobot, resolveScene } from './resolve.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';

/** Control rate of the policy node, Hz. */
const CONTROL_HZ = 60;
/**
 * With `--perception camera`, the sim's ground truth goes here instead of /detections (a
 * recording keeps it, to compare), and a perception node publishes /detections.
 */
const GROUND_TRUTH_DETECTIONS = '/sim/ground_truth/detections';
/** When recording, look for new topics every this many ticks (50 ms of sim time at 240 Hz). */
const DISCOVER_EVERY_TICKS = 12;

/**
 * Runs one episode as two nodes on the local transport: the sim node and the
 * policy node. The harness resets the episode through /sim/reset, as any test
 * harness on the graph would, then ticks the sim (which owns sim time) until the
 * task succeeds, times out or the policy gives up. The policy sees only topics.
 *
 * Each tick yields to the event loop so that action and service promises settle
 * in order: the run stays deterministic.
 */
export async function runGraphEpisode(spec: EpisodeSpec): Promise<EpisodeResult> {
  // Every message published on the graph is checked once against its ROS 2 definition.
  const context = createContext({
    transport: new LocalTransport(),
    validator: await msgsValidator(),
    clock: new SimClock(),
  });
  const scene = resolveScene(spec.scene);
  const disturb =
    spec.perturb || spec.switch ? { perturb: !!spec.perturb, switch: !!spec.switch } : undefined;
  // The camera is the scene's (TABLETOP_CAMERA: 320×240 at 10 Hz), without segmentation.
  const camera = spec.perception === 'camera';
  const sim = new SimNode(context, {
    robot: resolveRobot(spec.robot),
    scene,
    ...(disturb ? { disturb } : {}),
    ...(camera ? { camera: { segmentation: false }, detectionsTopic: GROUND_TRUTH_DETECTIONS } : {}),
  });
  const perception: PerceptionNode | undefined = camera
    ? createRobotPerception(context, sim.env.robotDescription.config)
    : undefined;
  let policyNode: { failure: string | undefined; destroy(): void } | undefined;
  // With spec.record, every topic goes to an MCAP file. Every node is made before the loop;
  // topics that appear later are picked up within DISCOVER_EVERY_TICKS ticks.
  let recorder: Recorder | undefined;
  let outcome: EpisodeResult | Error = new Error('episode did not finish');
  try {
    if (spec.record !== undefined) {
      recorder = startRecording(context, { path: spec.record, source: 'record', discoverIntervalMs: 0 });
    }
    const harness = context.createNode('eval_harness');
    const reset = await harness
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: spec.task, seed: spec.seed, split: spec.split }, { timeoutSeconds: 10 });
    if (!reset.success) throw new UserError(reset.message, { source: '/sim/reset' });
    const goal = JSON.parse(reset.goal_json) as Goal;
    const robot = sim.env.robotDescription;
    let node: { failure: string | undefined; destroy(): void };
    let instructions: Publisher<MessageType<'std_msgs/msg/String'>> | undefined;
    if (spec.policy === 'language') {
      // The instruction arrives on /instruction, as a user's would.
      node = new LanguageNode(context, {
        robot,
        scene,
        controlHz: CONTROL_HZ,
        ...(spec.llm ? { planner: llmPlanner(spec.llm) } : {}),
      });
      const text = spec.instruction ?? reset.instruction;
      recorder?.discover();
      instructions = harness.createPublisher('std_msgs/msg/String', '/instruction');
      instructions.publish({ data: text });
    } else {
      node = new PolicyNode(context, {
        robot,
        scene,
        controlHz: CONTROL_HZ,
        name: 'oracle',
        createPolicy: (r) => new OraclePolicy(r, goal, { controlHz: CONTROL_HZ }),
      });
    }
    policyNode = node;
    // A switch (--switch) reaches the policy as a user's next instruction would.
    let seenEvents = 0;
    const forwardSwitch = () => {
      const events = sim.env.events;
      for (; seenEvents < events.length; seenEvents++) {
        const e = events[seenEvents]!;
        if (e.kind === 'switch' && e.instruction) instructions?.publish({ data: e.instruction });
      }
    };
    const start = performance.now();
    for (let tick = 0; !sim.done; tick++) {
      if (tick % DISCOVER_EVERY_TICKS === 0) recorder?.discover();
      sim.tick();
      if (disturb) forwardSwitch();
      if (node.failure) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const wallTimeSeconds = (performance.now() - start) / 1000;
    const result = episodeResult(spec, sim.env, sim.checks, {
      wallTimeSeconds,
      policyFailure: node.failure,
      extraRejected: sim.rejectedCommands,
    });
    if (node instanceof LanguageNode) {
      result.plan = node.language?.plan ?? null;
      result.status = node.language?.status ?? { state: 'idle' };
      const status = node.language?.status;
      result.retries = status?.retries ?? 0;
      result.recoveries = status?.recoveries ?? 0;
      result.plannerFailure = status?.planner !== undefined;
      if (spec.instruction !== undefined && !spec.switch) result.instruction = spec.instruction;
    }
    outcome = result;
    return result;
  } catch (err) {
    outcome = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    policyNode?.destroy();
    perception?.destroy();
    sim.destroy(); // ends its action goals with full results before the graph goes away
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (recorder) {
      const meta = outcome instanceof Error ? failedEpisodeMetadata(spec, outcome) : episodeMetadata(outcome);
      recorder.addMetadata(EPISODE_METADATA_NAME, meta);
      await recorder.close();
    }
    context.destroy();
  }
}
