import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The built @lite packages (dist/) load through Node itself, as in an app: one Node module
    // cache keeps one copy of each class for `import` and `require` (see packages/utils).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
