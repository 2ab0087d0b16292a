import { defineConfig } from 'tsup';

export default defineConfig({
  // src/cli.ts starts with a shebang, so its build output is executable (package.json "bin").
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  // CommonJS only: dist/index.js is an ESM re-export of it (tools/build/esm-wrapper.mjs, run after
  // tsup), so `import` and `require` share one copy of every class.
  format: ['cjs'],
  keepNames: true,
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: false,
  clean: true,
  target: 'node20',
  external: ['@lite/core', 'flatbuffers'],
});
