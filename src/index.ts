// The simbridge library API. This file only re-exports.

export { Rng } from '../sim/core/Rng.ts';
export {
  type Action,
  ActionSchema,
  createEnv,
  type EnvOptions,
  type ObjectObservation,
  type Observation,
  type ResetOptions,
  type ResetResult,
  SimEnv,
  type StepInfo,
  type StepResult,
} from '../sim/Env.ts';
export { listRobots, loadRobot, type RobotDescription } from '../sim/robot/RobotConfig.ts';
export type { GraspAssistMode } from '../sim/robot/SimRobot.ts';
export { parseUrdf, type UrdfRobot } from '../sim/robot/Urdf.ts';
export {
  getScene,
  listScenes,
  parseSceneSpec,
  type SceneSpec,
  TABLETOP_SCENE,
} from '../sim/scene/SceneSpec.ts';
export { type Checks, evaluateGoal, type Goal, getTask, listTaskIds } from '../sim/tasks/index.ts';
export { type IkOptions, type IkResult, solveIk } from './control/Ik.ts';
export { planTrajectory } from './control/Trajectory.ts';
export { UserError } from './errors.ts';
export { runEpisode } from './eval/runEpisode.ts';
export type { EpisodeResult, EpisodeSpec } from './eval/types.ts';
export {
  createRobotPerception,
  estimateObjects,
  ObjectTracker,
  PerceptionNode,
  type PerceptionNodeOptions,
  RobotMask,
} from './perception/index.ts';
export { OraclePolicy } from './policy/oracle/OraclePolicy.ts';
export {
  EPISODE_METADATA_NAME,
  type Recorder,
  type RecorderOptions,
  type RecordingSummary,
  startRecording,
} from './record/index.ts';
export {
  type RosbridgeServer,
  type RosbridgeServerOptions,
  type RosbridgeServerStats,
  startRosbridgeServer,
} from './transports/rosbridge/server/index.ts';
