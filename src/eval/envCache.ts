import { createEnv, type SimEnv } from '../../sim/Env.ts';
import { resolveRobot, resolveScene } from './resolve.ts';

/** Control rate the env-level policies act at, Hz. */
export const CONTROL_HZ = 60;

/** One env per robot and scene per thread: the robot's URDF is parsed once. */
const envs = new Map<string, SimEnv>();

/** The cached env for a robot (id or folder) and scene (name or YAML path). */
export function envFor(robot: string, scene?: string): SimEnv {
  const key = `${robot}\u0000${scene ?? ''}`;
  let env = envs.get(key);
  if (!env) {
    env = createEnv({ robot: resolveRobot(robot), scene: resolveScene(scene), controlHz: CONTROL_HZ });
    envs.set(key, env);
  }
  return env;
}
