// Entry of an episode worker thread. Loader hooks registered in the parent thread (by bin/simbridge.mjs or
// by vitest) do not reach worker threads on Node 20, so the worker registers tsx itself before it imports
// TypeScript. `tsx/esm/api` resolves from this file, not from the cwd, so this works from any directory.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
