import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (`*.test-d.ts`): checked by tsc against the published declarations on every run.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The built @lite packages (dist/) load through Node itself, as in an app: one Node module
    // cache keeps one copy of each class for `import` and `require` (see packages/utils).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
