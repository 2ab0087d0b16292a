import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One native runtime per process; forks keep a crash in one file from hiding others.
    pool: 'forks',
    // `global.gc` lets the tensor tests prove that zero-copy views survive garbage collection.
    execArgv: ['--expose-gc'],
  },
});
