/**
 * Robot descriptions: `robots/<id>/robot.yaml` (checked strictly with zod: unknown keys are
 * rejected) plus the URDF it names, cross-checked against each other.
 *
 * `parseRobotConfig` is pure; `loadRobot` and `listRobots` read files (the robots/ directory of
 * this repository by default) and cache what they parse, so a URDF is parsed once per process.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatZodIssues, UserError } from '../../src/errors.ts';
import { KinematicChain } from './KinematicChain.ts';
import { RobotTree } from './RobotTree.ts';
import { parseUrdf, type UrdfRobot } from './Urdf.ts';

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);
const name = z.string().min(1);

export const RobotConfigSchema = z
  .object({
    /** Display name, e.g. "UR5e". */
    name,
    /** URDF file name, relative to the robot.yaml. */
    urdf: name,
    /** Root of the arm chain; the frame commands and IK targets are expressed in. */
    base_link: name,
    /** Tip of the arm chain: the gripper's `tcp` link (+Z approach, +Y closing axis). */
    tip_link: name,
    /** Arm joints from base to tip, in the order of JointState and controller commands. */
    arm_joints: z.array(name).min(1),
    /** Home pose, rad, aligned with arm_joints: tcp above the table, pointing down. */
    home: z.array(finite).min(1),
    /** ros2_control controller names; a real arm's driver may use others. */
    controllers: z
      .object({
        forward_position_controller: name.default('forward_position_controller'),
        joint_trajectory_controller: name.default('joint_trajectory_controller'),
        gripper_controller: name.default('gripper_controller'),
      })
      .strict()
      .default({
        forward_position_controller: 'forward_position_controller',
        joint_trajectory_controller: 'joint_trajectory_controller',
        gripper_controller: 'gripper_controller',
      }),
    gripper: z
      .object({
        /** [left, right] prismatic finger joints; each value is the pad's inner face offset, m. */
        joints: z.tuple([name, name]),
        /** Full opening, m (= left + right at their upper limits). */
        max_width: finite.positive(),
        /** Grip force, N. */
        max_effort: finite.positive(),
        /** Speed of each finger, m/s. */
        closing_speed: finite.positive(),
        /** [left, right] pad links, each with one box collision. */
        pad_links: z.tuple([name, name]),
      })
      .strict(),
    /** Max acceleration per arm joint, rad/s² (as ros2_control joint_limits). */
    max_acceleration: z.array(finite.positive()).min(1),
    /** Pose of base_link in the world (on the table top). @default identity */
    mount: z
      .object({ xyz: vec3.default([0, 0, 0]), rpy: vec3.default([0, 0, 0]) })
      .strict()
      .default({ xyz: [0, 0, 0], rpy: [0, 0, 0] }),
  })
  .strict();

export type RobotConfig = z.infer<typeof RobotConfigSchema>;

export interface RobotDescription {
  /** Directory name under robots/, e.g. 'ur5e'. */
  id: string;
  config: RobotConfig;
  urdf: UrdfRobot;
  /** The URDF text, as published on /robot_description. */
  urdfText: string;
  /** base_link -> tip_link over arm_joints. */
  chain: KinematicChain;
  /** Every link, for placing bodies. */
  tree: RobotTree;
}

/** The repository's robots/ directory. */
export const DEFAULT_ROBOTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../robots');

/**
 * Parses and checks robot.yaml text against its URDF. Pure: no file access.
 * @param source names the yaml in errors.
 * @throws UserError naming the file, the key and the value.
 */
export function parseRobotConfig(yamlText: string, source: string, urdf: UrdfRobot): RobotConfig {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (e) {
    throw new UserError(`invalid YAML: ${e instanceof Error ? e.message : String(e)}`, { source });
  }
  const r = RobotConfigSchema.safeParse(data, { reportInput: true });
  if (!r.success) {
    // The input of an unrecognized-key issue is the whole parent object: the key name says enough.
    const issues = r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? { ...i, input: undefined } : i,
    );
    throw new UserError(formatZodIssues(issues), { source });
  }
  const config = r.data;
  const fail = (msg: string): never => {
    throw new UserError(msg, { source });
  };
  const joints = new Map(urdf.joints.map((j) => [j.name, j]));
  for (const key of ['base_link', 'tip_link'] as const) {
    if (!urdf.links.has(config[key])) fail(`${key}: no link "${config[key]}" in ${urdf.source}`);
  }
  config.arm_joints.forEach((jn, i) => {
    const j = joints.get(jn);
    if (j === undefined) fail(`arm_joints.${i}: no joint "${jn}" in ${urdf.source}`);
    if (j!.type === 'fixed' || j!.mimic !== undefined) {
      fail(
        `arm_joints.${i}: joint "${jn}" is ${j!.mimic ? 'a mimic joint' : 'fixed'}; arm joints must be movable`,
      );
    }
  });
  const n = config.arm_joints.length;
  if (config.home.length !== n)
    fail(`home: expected ${n} values (one per arm joint), got ${config.home.length}`);
  if (config.max_acceleration.length !== n) {
    fail(`max_acceleration: expected ${n} values (one per arm joint), got ${config.max_acceleration.length}`);
  }
  config.home.forEach((v, i) => {
    const jn = config.arm_joints[i]!;
    const lim = joints.get(jn)!.limit;
    const lo = joints.get(jn)!.type === 'continuous' ? -Infinity : (lim?.lower ?? 0);
    const hi = joints.get(jn)!.type === 'continuous' ? Infinity : (lim?.upper ?? 0);
    if (v < lo || v > hi) fail(`home.${i}: joint "${jn}" value ${v} is outside its limits [${lo}, ${hi}]`);
  });
  const g = config.gripper;
  g.joints.forEach((jn, i) => {
    const j = joints.get(jn);
    if (j === undefined) fail(`gripper.joints.${i}: no joint "${jn}" in ${urdf.source}`);
    if (j!.type !== 'prismatic') fail(`gripper.joints.${i}: joint "${jn}" is ${j!.type}; expected prismatic`);
    const upper = j!.limit?.upper ?? 0;
    if (Math.abs(2 * upper - g.max_width) > 1e-6) {
      fail(
        `gripper.max_width: ${g.max_width} m but joint "${jn}" opens to ${upper} m per finger (${2 * upper} m)`,
      );
    }
  });
  g.pad_links.forEach((ln, i) => {
    if (!urdf.links.has(ln)) fail(`gripper.pad_links.${i}: no link "${ln}" in ${urdf.source}`);
  });
  return config;
}

const cache = new Map<string, RobotDescription>();

/**
 * Loads robots/<id>/robot.yaml and its URDF. Cached per directory and id.
 * @throws UserError for an unknown id (listing the known ones) or an invalid description.
 */
export function loadRobot(id: string, robotsDir: string = DEFAULT_ROBOTS_DIR): RobotDescription {
  const key = `${resolve(robotsDir)}\u0000${id}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const known = listRobots(robotsDir);
  if (!known.includes(id)) {
    throw new UserError(
      `unknown robot "${id}"; known robots: ${known.length ? known.join(', ') : `(none in ${displayPath(robotsDir)})`}`,
    );
  }
  const dir = join(robotsDir, id);
  const yamlPath = join(dir, 'robot.yaml');
  const yamlText = readFileSync(yamlPath, 'utf8');
  // The urdf file name is needed before the full check, which needs the URDF.
  const pre = parseYamlLoose(yamlText, displayPath(yamlPath));
  const urdfFile = typeof pre?.urdf === 'string' && pre.urdf !== '' ? pre.urdf : 'robot.urdf';
  const urdfPath = join(dir, urdfFile);
  if (!existsSync(urdfPath)) {
    throw new UserError(`urdf: file "${urdfFile}" not found next to robot.yaml`, {
      source: displayPath(yamlPath),
    });
  }
  const urdfText = readFileSync(urdfPath, 'utf8');
  const urdf = parseUrdf(urdfText, displayPath(urdfPath));
  const config = parseRobotConfig(yamlText, displayPath(yamlPath), urdf);
  const chain = new KinematicChain(urdf, config.base_link, config.tip_link);
  if (chain.jointNames.join(',') !== config.arm_joints.join(',')) {
    throw new UserError(
      `arm_joints: [${config.arm_joints.join(', ')}] differ from the movable joints between ${config.base_link} and ${config.tip_link} in the URDF: [${chain.jointNames.join(', ')}]`,
      { source: displayPath(yamlPath) },
    );
  }
  const desc: RobotDescription = { id, config, urdf, urdfText, chain, tree: new RobotTree(urdf) };
  cache.set(key, desc);
  return desc;
}

/** Robot ids: the directories under `robotsDir` that hold a robot.yaml, sorted. */
export function listRobots(robotsDir: string = DEFAULT_ROBOTS_DIR): string[] {
  if (!existsSync(robotsDir)) return [];
  return readdirSync(robotsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(robotsDir, d.name, 'robot.yaml')))
    .map((d) => d.name)
    .sort();
}

function parseYamlLoose(text: string, source: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = parseYaml(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch (e) {
    throw new UserError(`invalid YAML: ${e instanceof Error ? e.message : String(e)}`, { source });
  }
}

/** A path relative to the working directory when inside it, for shorter messages. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}
