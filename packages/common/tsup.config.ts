import { defineConfig } from 'tsup';

export default defineConfig({
  // `internal` is the entry the engine packages build on (error conversion, AbortSignal and
  // native-loading helpers); `splitting` keeps one copy of the code both entries use, so the
  // `LiteError` class of `@lite/common/internal` is the one of `@lite/common`.
  entry: { index: 'src/index.ts', internal: 'src/internal.ts' },
  // CommonJS only: dist/index.js and dist/internal.js are ESM re-exports of it (written after
  // tsup by tools/build/esm-wrapper.mjs), so `import` and `require` share one `LiteError`.
  format: ['cjs'],
  splitting: true,
  // Class names stay as written (`LiteError`, not `_LiteError`): they appear in messages.
  keepNames: true,
  dts: { entry: { index: 'src/index.ts', internal: 'src/internal.ts' }, compilerOptions: { stripInternal: true } },
  sourcemap: false,
  clean: true,
  target: 'node20',
});
