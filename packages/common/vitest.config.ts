import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The built packages (dist/) load through Node itself, as in an app: one module cache keeps
    // one copy of each class for `require` and `import` alike.
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
