import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // one file at a time: the engine tests and the browser test each use the 2 cores
    fileParallelism: false,
  },
});
