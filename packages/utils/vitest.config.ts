import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (`*.test-d.ts`): checked by tsc against the published declarations on every run.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The built @lite packages (dist/) load through Node itself, as in an app: their ESM entry
    // re-exports the CJS build, and one Node module cache keeps one copy of each class (vitest
    // would otherwise run its own copy of @lite/core beside the one @lite/ndarray requires).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
