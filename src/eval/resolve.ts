import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { listRobots, loadRobot, type RobotDescription } from '../../sim/robot/RobotConfig.ts';
import { getScene, parseSceneSpec, type SceneSpec } from '../../sim/scene/SceneSpec.ts';
import { UserError } from '../errors.ts';

/** A robot id from robots/, or a path to a robot folder (robot.yaml + URDF). */
export function isRobotPath(robot: string): boolean {
  return robot.includes('/') || robot.startsWith('.');
}

/** Loads a robot by id or folder path; errors name the file and the field. */
export function resolveRobot(robot: string): RobotDescription {
  if (!isRobotPath(robot)) {
    const known = listRobots();
    if (!known.includes(robot))
      throw new UserError(`unknown robot "${robot}"; known robots: ${known.join(', ')}`);
    return loadRobot(robot);
  }
  const dir = resolve(robot);
  return loadRobot(basename(dir), dirname(dir));
}

/** A built-in scene name, or a path to a scene-spec YAML file. */
export function resolveScene(scene: string | undefined): SceneSpec {
  if (scene === undefined) return getScene('tabletop');
  if (!/\.ya?ml$/.test(scene)) return getScene(scene);
  let text: string;
  try {
    text = readFileSync(scene, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read scene spec: ${(err as Error).message}`, { source: scene });
  }
  return parseSceneSpec(text, scene);
}
