/**
 * Launch files: which nodes to run, with which parameters, namespace, remappings, transport and
 * restart policy, in YAML (`launch/*.launch.yaml`):
 *
 *   name: tabletop
 *   transport: { kind: local }
 *   nodes:
 *     - kind: sim
 *       parameters: { robot: ur5e, task: pick_place, seed: 0 }
 *     - kind: policy
 *       parameters: { policy: language }
 *       restart: { policy: on-failure, maxRestarts: 3 }
 *
 * Parsing is strict (zod `.strict()`): an unknown key is an error, so a typo never silently
 * falls back to a default. Every error names the file, the line and the key:
 * `launch/x.launch.yaml:7: nodes.1.parameters.robto: unknown key`.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parse, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { RobotsSpecSchema } from '../../sim/scene/RobotPlacement.ts';
import { UserError } from '../errors.ts';
import {
  type NameViolation,
  validateNamespace,
  validateNodeName,
  validateTopicName,
} from '../graph/Names.ts';

const rosName = (check: (name: string) => NameViolation | undefined, what: string) =>
  z.string().superRefine((v, ctx) => {
    const bad = check(v);
    if (bad) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid ROS ${what} (${bad.rule} at character ${bad.index})`,
      });
    }
  });

const port = z.number().int().min(0).max(65535);

const restart = z
  .object({
    /** `never`, `on-failure` (the node threw or its process exited non-zero), `always`. @default 'never' */
    policy: z.enum(['never', 'on-failure', 'always']).default('never'),
    /** Restarts before the node is given up on (the others keep running). @default 3 */
    maxRestarts: z.number().int().min(0).max(1000).default(3),
    /** Wait before each restart, seconds. @default 1 */
    backoffSeconds: z.number().min(0).max(3600).default(1),
  })
  .strict();

const common = {
  /** Node name; defaults to the kind. */
  name: rosName(validateNodeName, 'node name').optional(),
  /** @default '/' */
  namespace: rosName(validateNamespace, 'namespace').optional(),
  /** Topic remappings, from -> to, as `ros2 run --ros-args -r from:=to`. */
  remappings: z
    .record(rosName(validateTopicName, 'topic name'), rosName(validateTopicName, 'topic name'))
    .optional(),
  restart: restart.optional(),
  /** Where the node runs: a worker thread of the launch process, or a child process. @default 'thread' */
  run: z.enum(['thread', 'process']).optional(),
};

const nodeSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sim'),
      ...common,
      parameters: z
        .object({
          robot: z.string().min(1).optional(),
          scene: z.string().min(1).optional(),
          task: z.string().min(1).optional(),
          seed: z.number().int().min(0).optional(),
          split: z.enum(['seen', 'unseen']).optional(),
          /** Sim time per wall time; 1 is real time. @default 1 */
          realtimeFactor: z.number().positive().max(1000).optional(),
          /**
           * Several robots on one table (sim/scene/RobotPlacement.ts): `[{ name, robot, base, task }]`.
           * Each arm's topics go under `<namespace>/<name>`, its frames are `<name>/...`; `robot`
           * is then unused and `task` is the default of arms without their own. @default one robot
           */
          robots: RobotsSpecSchema.optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('policy'),
      ...common,
      parameters: z
        .object({
          /** `language` (takes instructions) or `oracle` (reads the goal from a sim in its namespace). @default 'language' */
          policy: z.enum(['language', 'oracle']).optional(),
          /** @default 'ur5e' */
          robot: z.string().min(1).optional(),
          /** Scene spec for fixture sizes (bowl walls, clips). @default 'tabletop' */
          scene: z.string().min(1).optional(),
          /** Said once on the node's `instruction` topic when it starts. @default none: wait for one */
          instruction: z.string().min(1).optional(),
          /** Command rate, Hz. @default 60 */
          controlHz: z.number().positive().max(1000).optional(),
          /**
           * On a network transport, command a robot that is not a simbridge sim (no `sim/status`).
           * @default false
           */
          allowHardware: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('rosbridge_server'),
      ...common,
      parameters: z
        .object({ host: z.string().min(1).optional(), port: port.optional() })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('recorder'),
      ...common,
      parameters: z
        .object({
          path: z.string().regex(/\.mcap$/, 'must end in .mcap'),
          /** Only these topics. @default every topic */
          topics: z.array(rosName(validateTopicName, 'topic name')).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('viewer'),
      ...common,
      parameters: z
        .object({ host: z.string().min(1).optional(), port: port.optional() })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      /**
       * Publishes a counter (std_msgs/String, JSON) on `topic`: a liveness signal for a launch, and,
       * with failAfterSeconds, a node that fails on purpose to exercise restart policies.
       */
      kind: z.literal('heartbeat'),
      ...common,
      parameters: z
        .object({
          /** @default '~/heartbeat' (`/ns/name/heartbeat`) */
          topic: rosName(validateTopicName, 'topic name').optional(),
          /** @default 10 */
          rateHz: z.number().positive().max(1000).optional(),
          /** Throw from the timer this long after start, wall seconds (fault injection). @default never */
          failAfterSeconds: z.number().positive().max(86400).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('camera'),
      ...common,
      parameters: z
        .object({
          width: z.number().int().min(1).max(4096).optional(),
          height: z.number().int().min(1).max(4096).optional(),
          rateHz: z.number().positive().max(1000).optional(),
          /** Also publish /camera/segmentation/* (sim-only ground truth; perception does not use it). @default true */
          segmentation: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      /**
       * Estimates objects from RGB-D (colour, depth, CameraInfo; no segmentation) and publishes
       * them as vision_msgs/Detection3DArray, in place of the sim's ground truth: on the local
       * transport from the camera of its namespace's sim (remap the sim's `detections` aside),
       * on a network transport from a real robot's camera topics.
       */
      kind: z.literal('perception'),
      ...common,
      parameters: z
        .object({
          /** Robot whose URDF is masked out and whose gripper carries grasped objects. @default 'ur5e' */
          robot: z.string().min(1).optional(),
          /** Input and output topics; relative names resolve in the node's namespace. */
          topics: z
            .object({
              /** @default 'camera/color/image_raw' */
              color: rosName(validateTopicName, 'topic name').optional(),
              /** 32FC1 metres or 16UC1 millimetres, registered to colour. @default 'camera/depth/image_raw' */
              depth: rosName(validateTopicName, 'topic name').optional(),
              /** @default 'camera/color/camera_info' */
              cameraInfo: rosName(validateTopicName, 'topic name').optional(),
              /** @default 'detections' */
              detections: rosName(validateTopicName, 'topic name').optional(),
            })
            .strict()
            .optional(),
          /** Fixed frame of the detections; the camera's pose comes from tf. @default 'world' */
          worldFrame: z.string().min(1).optional(),
          /** Ignore the robot's own pixels (its URDF posed from tf). @default true */
          robotMask: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
]);

const transportSchema = z
  .object({
    kind: z.enum(['local', 'rosbridge', 'ros2', 'rtps']),
    /** rosbridge: `ws://host:9090`. */
    url: z
      .string()
      .regex(/^wss?:\/\//, 'must start with ws:// or wss://')
      .optional(),
    /** ros2, rtps: ROS_DOMAIN_ID. */
    domain: z.number().int().min(0).max(232).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.kind === 'rosbridge' && t.url === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a rosbridge transport needs url', path: ['url'] });
    }
  });

const launchSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** @default { kind: local } */
    transport: transportSchema.optional(),
    nodes: z.array(nodeSchema).min(1),
  })
  .strict()
  .superRefine((launch, ctx) => {
    const seen = new Map<string, number>();
    launch.nodes.forEach((n, i) => {
      const ns = n.namespace ?? '/';
      const fq = `${ns === '/' ? '' : ns}/${n.name ?? n.kind}`;
      const first = seen.get(fq);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `node ${fq} is also nodes.${first}; give one a name or a namespace`,
          path: ['nodes', i, 'name'],
        });
      } else seen.set(fq, i);
    });
  });

export type LaunchFile = z.infer<typeof launchSchema>;
export type LaunchNode = LaunchFile['nodes'][number];
export type LaunchNodeKind = LaunchNode['kind'];

/**
 * Parses and checks a launch file's text.
 * @param file the file name, for error messages
 * @throws UserError `file:line: key.path: what is wrong` (the first problems, one per line)
 */
export function parseLaunchFile(text: string, file: string, sets: readonly string[] = []): LaunchFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new UserError(`${file}:${line}: not valid YAML: ${e.message.split('\n')[0]}`, { source: 'launch' });
  }
  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion (a "billion laughs" file).
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new UserError(`${file}:1: not valid YAML: ${(err as Error).message}`, { source: 'launch' });
  }
  applySets(value, sets);
  const result = launchSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 3).map((issue) => {
    let path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      path = [...path, key];
      message = `unknown key${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : ''}`;
    }
    const line = lineOf(doc.contents, path, lineCounter);
    return `${file}:${line}: ${path.length ? path.join('.') : '(root)'}: ${message}`;
  });
  throw new UserError(lines.join('\n'), { source: 'launch' });
}

/**
 * Applies `node.param=value` overrides (`--set`) to the raw launch document, before it is checked,
 * as `ros2 launch` applies `name:=value` arguments. `node` is a node's name (its kind when it has
 * none) or its fully qualified name (`/left/sim`); `value` is read as YAML (`0`, `true`, `text`).
 */
function applySets(value: unknown, sets: readonly string[]): void {
  if (sets.length === 0) return;
  const nodes = (value as { nodes?: unknown } | null)?.nodes;
  for (const set of sets) {
    const m = /^([^=]+)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(set);
    if (!m) {
      throw new UserError(`expected node.parameter=value, got '${set}'`, { source: '--set' });
    }
    const [, target, key, text] = m as unknown as [string, string, string, string];
    const matches = (Array.isArray(nodes) ? nodes : []).filter((n) => {
      if (!n || typeof n !== 'object') return false;
      const { name, kind, namespace } = n as { name?: unknown; kind?: unknown; namespace?: unknown };
      const own = String(name ?? kind);
      const ns = typeof namespace === 'string' && namespace !== '/' ? namespace : '';
      return target === own || target === `${ns}/${own}`;
    }) as Record<string, unknown>[];
    if (matches.length !== 1) {
      throw new UserError(
        `'${target}' ${matches.length ? 'names more than one node; use its full name (/namespace/name)' : 'names no node in the launch file'}`,
        { source: '--set' },
      );
    }
    const node = matches[0]!;
    node['parameters'] ??= {};
    const params = node['parameters'] as Record<string, unknown>;
    if (typeof params !== 'object' || params === null) {
      throw new UserError(`'${target}' has parameters that are not a map`, { source: '--set' });
    }
    try {
      params[key] = parse(text);
    } catch (err) {
      throw new UserError(`'${set}': value is not valid YAML: ${(err as Error).message}`, {
        source: '--set',
      });
    }
  }
}

/** Reads and parses a launch file; `sets` are `--set node.param=value` overrides. */
export function loadLaunchFile(path: string, sets: readonly string[] = []): LaunchFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read launch file '${path}': ${(err as Error).message}`, {
      source: 'launch',
      cause: err,
    });
  }
  return parseLaunchFile(text, path, sets);
}

/**
 * The line of the deepest YAML node on `path` that exists: the key itself for a map entry, so
 * an unknown or bad key points at its own line.
 */
function lineOf(root: unknown, path: readonly (string | number)[], lc: LineCounter): number {
  let node = root as YamlNode | null | undefined;
  let offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
  for (const key of path) {
    if (!node || typeof node !== 'object') break;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      );
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value as YamlNode;
    } else if ('items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      const item = (node as { items: YamlNode[] }).items[Number(key)];
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return lc.linePos(offset).line;
}
