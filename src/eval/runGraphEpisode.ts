import { SimNode } from '../../sim/node/SimNode.ts';
import type { Goal } from '../../sim/tasks/Goal.ts';
import { UserError } from '../errors.ts';
import { createContext, msgsValidator, SimClock } from '../graph/index.ts';
import { LanguageNode } from '../policy/language/LanguageNode.ts';
import { OraclePolicy } from '../policy/oracle/OraclePolicy.ts';
import { PolicyNode } from '../policy/PolicyNode.ts';
import { LocalTransport } from '../transports/local/LocalTransport.ts';
import { episodeResult } from './episodeResult.ts';
import { resolveRobot, resolveScene } from './resolve.ts';
import type { EpisodeResult, EpisodeSpec } from './types.ts';

/** Control rate of the policy node, Hz. */
const CONTROL_HZ = 60;

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
  const sim = new SimNode(context, { robot: resolveRobot(spec.robot), scene });
  let policyNode: { failure: string | undefined; destroy(): void } | undefined;
  try {
    const harness = context.createNode('eval_harness');
    const reset = await harness
      .createClient('simbridge_msgs/srv/Reset', '/sim/reset')
      .call({ task: spec.task, seed: spec.seed, split: spec.split }, { timeoutSeconds: 10 });
    if (!reset.success) throw new UserError(reset.message, { source: '/sim/reset' });
    const goal = JSON.parse(reset.goal_json) as Goal;
    const robot = sim.env.robotDescription;
    let node: { failure: string | undefined; destroy(): void };
    if (spec.policy === 'language') {
      // The instruction arrives on /instruction, as a user's would.
      node = new LanguageNode(context, { robot, scene, controlHz: CONTROL_HZ });
      const text = spec.instruction ?? reset.instruction;
      harness.createPublisher('std_msgs/msg/String', '/instruction').publish({ data: text });
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
    const start = performance.now();
    while (!sim.done) {
      sim.tick();
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
      if (spec.instruction !== undefined) result.instruction = spec.instruction;
    }
    return result;
  } finally {
    policyNode?.destroy();
    sim.destroy(); // ends its action goals with full results before the graph goes away
    await new Promise<void>((resolve) => setImmediate(resolve));
    context.destroy();
  }
}
