import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each harness runs its own child processes with their own bounded timeouts; these are outer bounds.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The built @lite packages (dist/) load through Node itself, as in an app: one Node module
    // cache keeps one copy of each class for `import` and `require` (see packages/utils).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
    // The harnesses are CPU-heavy child processes; running files one at a time keeps timings stable.
    fileParallelism: false,
  },
});
