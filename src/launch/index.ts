// Launch files (launch/*.launch.yaml) and the launcher that runs them.

export { Launcher, type LauncherOptions, type UnitStats } from './Launcher.ts';
export {
  type LaunchFile,
  type LaunchNode,
  type LaunchNodeKind,
  loadLaunchFile,
  parseLaunchFile,
} from './LaunchFile.ts';
export { RemapTransport } from './RemapTransport.ts';
export { type RunningUnit, startUnit, type UnitHost } from './runUnit.ts';
export { nodeFullName, planUnits, type RestartPolicy, restartDelay, type UnitSpec } from './units.ts';
