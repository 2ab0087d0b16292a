import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  // CommonJS only: dist/index.js is an ESM re-export of it (tools/build/esm-wrapper.mjs, run after
  // tsup), so `import` and `require` share one copy of every class.
  format: ['cjs'],
  keepNames: true,
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  external: ['@lite/core'],
});
