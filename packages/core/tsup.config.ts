import { defineConfig } from 'tsup';

export default defineConfig({
  // `internal` is a second entry for the other @lite packages; `splitting` (also for CJS) puts the
  // code both entries use in one shared chunk, so they share one runtime and one set of hooks.
  // `cli` is the `lite-runtime` command (package.json "bin"; the hashbang comes from src/cli.ts).
  entry: { index: 'src/index.ts', internal: 'src/internal.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  splitting: true,
  // Members marked @internal (native handles, toNative/fromNative, ...) stay out of the .d.ts.
  dts: { entry: { index: 'src/index.ts', internal: 'src/internal.ts' }, compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: ['@lite/binding'],
});
