import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One native runtime per process; forks keep a crash in one file from hiding others.
    pool: 'forks',
  },
});
