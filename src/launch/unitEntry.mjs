// Entry of a launch unit's worker thread or child process. Loader hooks registered in the parent (by
// bin/simbridge.mjs or vitest) reach neither worker threads on Node 20 nor child processes, so the unit
// registers tsx itself before it imports TypeScript; `tsx/esm/api` resolves from this file, so this
// works from any directory.
import { register } from 'tsx/esm/api';

register();
await import('./unitMain.ts');
