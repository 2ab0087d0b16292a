import { defineConfig } from 'tsup';

export default defineConfig({
  // src/cli.ts starts with a shebang, so its build output is executable (package.json "bin").
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: ['@lite/core', 'flatbuffers'],
});
