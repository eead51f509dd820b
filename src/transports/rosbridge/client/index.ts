// The rosbridge client transport. This file only re-exports.
export { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './Backoff.ts';
export {
  type RosbridgeClientStats,
  RosbridgeTransport,
  type RosbridgeTransportOptions,
} from './RosbridgeTransport.ts';
