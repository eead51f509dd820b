// `simbridge up`: the real-time loop, the viewer's static server and build, and the orchestration.
// This file only re-exports.
export { RealtimeLoop, type RealtimeLoopOptions, type RealtimeLoopStats } from './RealtimeLoop.ts';
export { type StaticServer, type StaticServerOptions, startStaticServer } from './StaticServer.ts';
export { startUp, type Up, type UpOptions } from './startUp.ts';
export { ensureViewerBuilt, VIEWER_DIST_DIR, type ViewerBuildResult } from './viewerBuild.ts';
