import { defineConfig } from 'vitest/config';

// Timing-sensitive tests (latency bounds under load) run alone, after everything else, so
// that another test file's CPU use does not stand in for the code under test.
const SOLO = ['test/transports/rosbridge/server.load.test.ts'];
const ALL = ['src/**/*.test.ts', 'sim/**/*.test.ts', 'test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'main', include: ALL, exclude: SOLO, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: { name: 'solo', include: SOLO, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
