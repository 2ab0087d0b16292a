import { defineConfig } from 'tsup';

export default defineConfig({
  // `internal` is a second entry for the other @lite packages; `splitting` puts the code both
  // entries use in one shared chunk, so they share one runtime and one set of hooks.
  // `cli` is the `lite-runtime` command (package.json "bin"; the hashbang comes from src/cli.ts).
  entry: { index: 'src/index.ts', internal: 'src/internal.ts', cli: 'src/cli.ts' },
  // CommonJS only: dist/index.js and dist/internal.js are ESM re-exports of it (written after
  // tsup by tools/build/esm-wrapper.mjs), so `import` and `require` share one copy of every class.
  format: ['cjs'],
  splitting: true,
  // Class names stay as written (`LiteTensor`, not `_LiteTensor`): they appear in messages.
  keepNames: true,
  // Members marked @internal (native handles, toNative/fromNative, ...) stay out of the .d.ts.
  dts: { entry: { index: 'src/index.ts', internal: 'src/internal.ts' }, compilerOptions: { stripInternal: true } },
  sourcemap: false,
  clean: true,
  target: 'node20',
  external: ['@lite/binding'],
});
