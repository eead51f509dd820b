// Launch files (launch/*.launch.yaml): schema and parser.
export {
  type LaunchFile,
  type LaunchNode,
  type LaunchNodeKind,
  loadLaunchFile,
  parseLaunchFile,
} from './LaunchFile.ts';
