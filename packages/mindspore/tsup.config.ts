import { defineConfig } from 'tsup';

export default defineConfig({
  // src/cli.ts starts with a shebang, so its build output is executable (package.json "bin").
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  dts: { entry: { index: 'src/index.ts' } },
  format: ['esm', 'cjs'],
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: ['@lite/binding'],
});
