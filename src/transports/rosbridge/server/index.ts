// The rosbridge v2 server. This file only re-exports.

export {
  type RosbridgeServer,
  type RosbridgeServerOptions,
  type RosbridgeServerStats,
  startRosbridgeServer,
} from './RosbridgeServer.ts';
