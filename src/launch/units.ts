/**
 * How a launch file's nodes are grouped into units: a unit is one worker thread or one child
 * process, with one transport that its nodes share.
 *
 * The rule:
 * - On the `local` transport every node of the file is one unit (the "local group"): the local
 *   transport is an in-process bus, so the sim, the policy, the rosbridge server, the viewer and
 *   the recorder that talk over it must share a thread. It runs in a worker thread, or in a child
 *   process if any of its nodes says `run: process`. A node in it that fails is restarted inside
 *   the group, per its own policy, while the others keep running; only a failure of the group
 *   itself (an uncaught error, an out-of-memory) restarts the whole group.
 * - On a network transport (rosbridge, ros2, rtps) the nodes meet through the network, so each
 *   node is a unit of its own, with its own connection, in a thread or a process as its `run`
 *   says (@default thread). A node that fails ends its unit with a non-zero status and the
 *   launcher starts the unit again per the node's policy.
 *
 * `--record FILE.mcap` adds a recorder node: on the local transport it joins the local group
 * (it must, to see the bus); on a network transport it is a unit of its own.
 */
import { UserError } from '../errors.ts';
import { expandTopicName } from '../graph/Names.ts';
import type { LaunchFile, LaunchNode } from './LaunchFile.ts';

export interface RestartPolicy {
  policy: 'never' | 'on-failure' | 'always';
  maxRestarts: number;
  /** Wait before the first restart, s; each further restart waits twice as long (at most 60 s). */
  backoffSeconds: number;
}

export const NO_RESTART: RestartPolicy = { policy: 'never', maxRestarts: 0, backoffSeconds: 1 };

export interface TransportSpec {
  kind: 'local' | 'rosbridge' | 'ros2' | 'rtps';
  url?: string;
  domain?: number;
}

/** What a worker thread or child process is told to run. Structured-clone safe. */
export interface UnitSpec {
  /** `local` for the local group, else the node's fully qualified name. */
  id: string;
  run: 'thread' | 'process';
  transport: TransportSpec;
  nodes: LaunchNode[];
  /** For the unit as a whole (its thread or process ending). */
  restart: RestartPolicy;
  /** The launch file, for messages. */
  file: string;
  /** Times the launcher has started this unit again; a unit of one node counts its node's restarts from it. */
  restarts?: number;
}

/** `/ns/name`, with the kind standing in for a missing name. */
export function nodeFullName(node: LaunchNode): string {
  const ns = node.namespace ?? '/';
  return `${ns === '/' ? '' : ns}/${node.name ?? node.kind}`;
}

/** A sim's arm namespaces at a shared table (parameters.robots): `/left` for `left` under `/`. */
export function armNamespaces(node: LaunchNode): string[] {
  if (node.kind !== 'sim' || !node.parameters?.robots) return [];
  const ns = node.namespace ?? '/';
  return node.parameters.robots.map((r) => `${ns === '/' ? '' : ns}/${r.name}`);
}

/** The node's restart policy, defaults filled. */
export function restartOf(node: LaunchNode): RestartPolicy {
  return node.restart ?? NO_RESTART;
}

/**
 * Seconds to wait before restart number `restartsSoFar + 1`, or undefined when the policy says
 * not to restart. `failed`: the node or unit failed (threw, exited non-zero), rather than ended.
 */
export function restartDelay(
  policy: RestartPolicy,
  restartsSoFar: number,
  failed: boolean,
): number | undefined {
  if (policy.policy === 'never' || (policy.policy === 'on-failure' && !failed)) return undefined;
  if (restartsSoFar >= policy.maxRestarts) return undefined;
  return Math.min(60, policy.backoffSeconds * 2 ** restartsSoFar);
}

/** Splits a launch file into units (see the rule above) and checks what only the grouping can check. */
export function planUnits(launch: LaunchFile, file: string, options: { record?: string } = {}): UnitSpec[] {
  const transport: TransportSpec = launch.transport ?? { kind: 'local' };
  const nodes: LaunchNode[] = [...launch.nodes];
  if (options.record !== undefined) {
    if (!options.record.endsWith('.mcap')) {
      throw new UserError(`expected a file name ending in .mcap, got '${options.record}'`, {
        source: '--record',
      });
    }
    const taken = new Set(nodes.map(nodeFullName));
    let name = 'recorder';
    for (let i = 2; taken.has(`/${name}`); i++) name = `recorder_${i}`;
    nodes.push({ kind: 'recorder', name, parameters: { path: options.record } });
  }
  let units: UnitSpec[];
  if (transport.kind === 'local') {
    units = [
      {
        id: 'local',
        run: nodes.some((n) => n.run === 'process') ? 'process' : 'thread',
        transport,
        nodes,
        restart: groupRestart(nodes),
        file,
      },
    ];
  } else {
    units = nodes.map((node) => ({
      id: nodeFullName(node),
      run: node.run ?? 'thread',
      transport,
      nodes: [node],
      restart: restartOf(node),
      file,
    }));
  }
  for (const unit of units) checkUnit(unit, nodes);
  return units;
}

/**
 * A group is restarted when it dies if any node in it would be: the most permissive policy among
 * its nodes, the most restarts, the shortest backoff.
 */
function groupRestart(nodes: readonly LaunchNode[]): RestartPolicy {
  const policies = nodes.map(restartOf).filter((r) => r.policy !== 'never');
  if (policies.length === 0) return NO_RESTART;
  return {
    policy: policies.some((r) => r.policy === 'always') ? 'always' : 'on-failure',
    maxRestarts: Math.max(...policies.map((r) => r.maxRestarts)),
    backoffSeconds: Math.min(...policies.map((r) => r.backoffSeconds)),
  };
}

/** Where a sim's or a perception node's detections go: its `detections` name, expanded and remapped. */
function detectionsTopic(node: LaunchNode): string {
  const name = node.name ?? node.kind;
  const ns = node.namespace ?? '/';
  const source = `${nodeFullName(node)} remappings`;
  const own =
    node.kind === 'perception' ? (node.parameters?.topics?.detections ?? 'detections') : 'detections';
  const resolved = expandTopicName(own, name, ns, 'topic', source);
  for (const [from, to] of Object.entries(node.remappings ?? {})) {
    if (expandTopicName(from, name, ns, 'topic', source) === resolved) {
      return expandTopicName(to, name, ns, 'topic', source);
    }
  }
  return resolved;
}

/** Nodes that need a partner in their own unit. */
function checkUnit(unit: UnitSpec, all: readonly LaunchNode[]): void {
  const where = (node: LaunchNode) => `${unit.file}: nodes.${all.indexOf(node)} (${nodeFullName(node)})`;
  const simIn = (ns: string) => unit.nodes.some((n) => n.kind === 'sim' && (n.namespace ?? '/') === ns);
  /** A sim's namespace, or an arm's namespace at a sim's shared table. */
  const armIn = (ns: string) => simIn(ns) || unit.nodes.some((n) => armNamespaces(n).includes(ns));
  for (const node of unit.nodes) {
    const ns = node.namespace ?? '/';
    if (node.kind === 'camera' && !simIn(ns)) {
      throw new UserError(
        `a camera renders the sim of its namespace (${ns}), and there is no sim there on the local transport`,
        { source: where(node) },
      );
    }
    if (node.kind === 'policy' && node.parameters?.policy === 'oracle' && !armIn(ns)) {
      throw new UserError(
        `the oracle policy reads the goal from a sim in its namespace (${ns}) on the local transport; there is none`,
        { source: where(node) },
      );
    }
    if (node.kind === 'perception' && unit.transport.kind === 'local') {
      const camera = unit.nodes.some((n) => n.kind === 'camera' && (n.namespace ?? '/') === ns);
      if (!camera) {
        throw new UserError(
          `perception reads the camera of its namespace (${ns}), and there is no camera node there on the local transport; add { kind: camera }`,
          { source: where(node) },
        );
      }
      const out = detectionsTopic(node);
      const sim = unit.nodes.find(
        (n) => n.kind === 'sim' && (n.namespace ?? '/') === ns && detectionsTopic(n) === out,
      );
      if (sim) {
        throw new UserError(
          `the sim's ground truth and the perception node would both publish ${out}; remap the sim's aside ` +
            `(remappings: { detections: ${ns === '/' ? '' : ns}/sim/ground_truth/detections })`,
          { source: where(node) },
        );
      }
    }
    if (node.kind === 'viewer' && !unit.nodes.some((n) => n.kind === 'rosbridge_server')) {
      throw new UserError(
        'the viewer talks to the graph through a rosbridge_server on the local transport; add one',
        { source: where(node) },
      );
    }
    if (node.kind === 'viewer' && !unit.nodes.some((n) => n.kind === 'sim')) {
      throw new UserError('the viewer shows a sim; add a sim node on the local transport', {
        source: where(node),
      });
    }
  }
  for (const kind of ['sim', 'camera'] as const) {
    // A shared table's arm namespaces are the sim's too: another sim there would collide.
    const spaces = unit.nodes
      .filter((n) => n.kind === kind)
      .flatMap((n) => [n.namespace ?? '/', ...armNamespaces(n)]);
    const twice = spaces.find((ns, i) => spaces.indexOf(ns) !== i);
    if (twice !== undefined) {
      throw new UserError(
        `namespace ${twice} has two ${kind} nodes; their topics would collide (give each its own namespace)`,
        { source: unit.file },
      );
    }
  }
}
