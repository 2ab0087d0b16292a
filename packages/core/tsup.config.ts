import { defineConfig } from 'tsup';

export default defineConfig({
  // `cli` is the `lite-runtime` command (package.json "bin"; the hashbang comes from src/cli.ts).
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: ['@lite/binding'],
});
