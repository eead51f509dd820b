/**
 * Loads rclnodejs, an optional dependency, on first use. rclnodejs compiles a native addon
 * against a sourced ROS 2 install when it is npm-installed, so on most machines it is absent
 * or unbuilt; either way the user gets one clear sentence on what to do, not a stack trace.
 */
import { UserError } from '../../errors.ts';
import type { RclnodejsModule } from './rclnodejsTypes.ts';

// A variable specifier keeps TypeScript and bundlers from resolving the optional package.
const RCLNODEJS = 'rclnodejs';

const HOW_TO_INSTALL =
  'source a ROS 2 install first (e.g. `source /opt/ros/humble/setup.bash`), then run ' +
  '`npm install rclnodejs` in the simbridge folder; or use --transport rosbridge or --transport rtps, ' +
  'which need no ROS install';

/** What went wrong when loading, for the message: absent, present but unbuilt, or no ROS sourced. */
export function rclnodejsLoadError(cause: unknown, env: NodeJS.ProcessEnv = process.env): UserError {
  const code = (cause as { code?: string } | null)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  const source = '--transport ros2';
  const absent =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /['"]rclnodejs['"]/.test(text);
  if (absent) {
    return new UserError(`rclnodejs is not installed: ${HOW_TO_INSTALL}`, { source, cause });
  }
  const sourced = env['AMENT_PREFIX_PATH']
    ? ''
    : ' (no ROS 2 environment is sourced: AMENT_PREFIX_PATH is unset)';
  return new UserError(
    `rclnodejs is installed but cannot load${sourced}: ${firstLine(text)}; ${HOW_TO_INSTALL.replace(
      '`npm install rclnodejs`',
      '`npm rebuild rclnodejs`',
    )}`,
    { source, cause },
  );
}

/**
 * Imports rclnodejs, or throws a UserError saying how to install it.
 * @param importer replaces `import()`: tests use it to stand in for states of the machine they
 *   cannot reach here (an unbuilt addon).
 */
export async function loadRclnodejs(
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<RclnodejsModule> {
  let mod: unknown;
  try {
    mod = await importer(RCLNODEJS);
  } catch (cause) {
    throw rclnodejsLoadError(cause);
  }
  const rcl = ((mod as { default?: unknown }).default ?? mod) as Partial<RclnodejsModule>;
  if (typeof rcl.init !== 'function' || typeof rcl.Node !== 'function' || typeof rcl.QoS !== 'function') {
    throw rclnodejsLoadError(
      new Error('the rclnodejs module lacks init, Node or QoS (an unsupported version?)'),
    );
  }
  return rcl as RclnodejsModule;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
