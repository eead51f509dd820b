// The plan executor: runs skill plans with retries, recovery and instruction switching.
export * from './Executor.ts';
