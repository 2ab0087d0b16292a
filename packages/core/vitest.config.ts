import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (`*.test-d.ts`): checked by tsc against the published declarations on every run.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One native runtime per process; forks keep a crash in one file from hiding others.
    pool: 'forks',
    // `global.gc` lets the tensor tests prove that zero-copy views survive garbage collection.
    execArgv: ['--expose-gc'],
    // The built @lite packages (dist/: @lite/common) load through Node itself, as in an app, so
    // the source under test and every built package share one @lite/common (one LiteError).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
