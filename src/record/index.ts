// MCAP recording of a graph (rosbag2-compatible) and the episode metadata record.
export {
  EPISODE_METADATA_NAME,
  episodeMetadata,
  failedEpisodeMetadata,
} from './episodeMetadata.ts';
export { FileWritable } from './FileWritable.ts';
export { Recorder, type RecorderOptions, type RecordingSummary, startRecording } from './Recorder.ts';
export {
  checkRecordFile,
  episodeRecordingName,
  episodeRecordingPath,
  prepareRecordDir,
} from './recordPaths.ts';
