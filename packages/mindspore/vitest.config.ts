import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One native runtime per process; forks keep a crash in one file from hiding others.
    pool: 'forks',
    // The built @lite packages (dist/: @lite/common, @lite/core) load through Node itself, as in
    // an app, so this package's source and @lite/core share one @lite/common (one LiteError).
    server: { deps: { external: [/\/packages\/[^/]+\/dist\//] } },
  },
});
