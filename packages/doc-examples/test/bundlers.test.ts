// The "Bundlers" recipes of packages/core/README.md, run as written: a small server that uses both
// engines is bundled by esbuild, webpack and `bun build` with @lite/* external and runs under
// Node; bundled without the externals, its first engine call throws the LiteError that says so.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const repo = join(packageDir, '..', '..');
const require = createRequire(import.meta.url);

/** The README's "## Bundlers" section. */
function bundlersSection(): string {
  const readme = readFileSync(join(repo, 'packages', 'core', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Bundlers\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks of `lang` in the section, in order. */
function blocks(section: string, lang: string): string[] {
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] as string);
}

/** A shell command line of the README split into arguments (single quotes only, as written there). */
function argv(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? (m[2] as string).replace(/'([^']*)'/g, '$1'));
}

const SERVER = `import { LiteError, LiteNetwork, version } from '@lite/core';
import { Model, version as mindsporeVersion } from '@lite/mindspore';

try {
  new LiteNetwork().dispose();
  new Model().dispose();
  console.log('MegEngine Lite ' + version() + ', MindSpore Lite ' + mindsporeVersion);
} catch (e) {
  console.log((e instanceof LiteError ? 'LiteError ' : 'other ') + e.code + ': ' + e.message);
}
`;

const WORKS = 'MegEngine Lite 1.13.0, MindSpore Lite 2.0.0';

// Without NODE_PATH: pnpm's bin shims (vitest's included) set it to the store's hoisted folder,
// where every @lite package would resolve from anywhere, bundled or not.
const { NODE_PATH: _nodePath, ...ENV } = process.env;

function run(cwd: string, command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: ENV });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** A project folder with src/server.js; `installed` links node_modules to this package's. */
function project(root: string, name: string, installed: boolean): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  if (installed) symlinkSync(join(packageDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function expectBundledAdvice(out: string): void {
  expect(out).toMatch(/^LiteError LITE_RUNTIME_NOT_FOUND: @lite\/core cannot resolve @lite\/binding from .*: this code was probably bundled/);
  expect(out).toContain("Mark @lite/* as external in the bundler (esbuild --external:'@lite/*', webpack externals");
  expect(out.split('\n')).toHaveLength(1);
}

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('the README bundler recipes', () => {
  const section = bundlersSection();
  const esbuild = join(dirname(require.resolve('esbuild/package.json')), 'bin', 'esbuild');
  let root = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lite-bundlers-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('esbuild with @lite/* external: ESM and CJS bundles run both engines', () => {
    const [line] = blocks(section, 'sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('esbuild '));
    expect(line).toBeDefined();
    const args = argv(line as string).slice(1);
    expect(args).toContain('--external:@lite/*');
    const dir = project(root, 'esbuild', true);
    expect(run(dir, esbuild, [...args, '--log-level=error']).status).toBe(0);
    expect(run(dir, process.execPath, ['dist/server.mjs']).stdout).toBe(WORKS);
    const cjs = args.map((a) => (a === '--format=esm' ? '--format=cjs' : a === '--outfile=dist/server.mjs' ? '--outfile=dist/server.cjs' : a));
    expect(cjs).toContain('--format=cjs');
    expect(run(dir, esbuild, [...cjs, '--log-level=error']).status).toBe(0);
    expect(run(dir, process.execPath, ['dist/server.cjs']).stdout).toBe(WORKS);
  });

  it('esbuild without the external: the CJS bundle throws the LiteError that says so', () => {
    const dir = project(root, 'esbuild-bundled', true);
    expect(run(dir, esbuild, ['src/server.js', '--bundle', '--platform=node', '--format=cjs', '--outfile=dist/server.cjs', '--log-level=error']).status).toBe(0);
    // Deployed without node_modules next to it: nothing of @lite/* can be found.
    const elsewhere = join(root, 'esbuild-deployed');
    cpSync(join(dir, 'dist'), elsewhere, { recursive: true });
    expectBundledAdvice(run(elsewhere, process.execPath, ['server.cjs']).stdout);
  });

  it('webpack with the README config runs both engines; without its externals it throws the LiteError', () => {
    const [config] = blocks(section, 'mjs').filter((b) => b.includes('webpack.config.mjs'));
    expect(config).toContain('externals: [/^@lite\\//]');
    const build = (dir: string, source: string): void => {
      writeFileSync(join(dir, 'webpack.config.mjs'), source);
      const script = `import webpack from ${JSON.stringify(pathToFileURL(require.resolve('webpack')).href)};
        const config = (await import(${JSON.stringify(pathToFileURL(join(dir, 'webpack.config.mjs')).href)})).default;
        webpack(config, (err, stats) => {
          if (err || stats.hasErrors()) { console.error(err ?? stats.toString('errors-only')); process.exit(1); }
        });`;
      const r = run(dir, process.execPath, ['--input-type=module', '-e', script]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    };
    const dir = project(root, 'webpack', true);
    build(dir, config as string);
    expect(run(dir, process.execPath, ['dist/server.cjs']).stdout).toBe(WORKS);
    const bundled = project(root, 'webpack-bundled', true);
    const withoutExternals = (config as string).replace(/\n\s*externalsType: 'commonjs',\n\s*externals: \[\/\^@lite\\\/\/\],/, '');
    expect(withoutExternals).not.toMatch(/externals/);
    build(bundled, withoutExternals);
    expectBundledAdvice(run(bundled, process.execPath, ['dist/server.cjs']).stdout);
  });

  it('bun build: with the external it is the esbuild recipe; without, the bundle holds the build machine paths', () => {
    const bun = run(repo, process.execPath, [join(repo, 'tools', 'runtime', 'fetch-bun.mjs')]).stdout;
    expect(section).toContain("`bun build --target=node --external '@lite/*'`");
    const dir = project(root, 'bun', true);
    expect(run(dir, bun, ['build', 'src/server.js', '--target=node', '--external', '@lite/*', '--outfile=dist/server.mjs']).status).toBe(0);
    expect(run(dir, process.execPath, ['dist/server.mjs']).stdout).toBe(WORKS);
    expect(run(dir, bun, ['build', 'src/server.js', '--target=node', '--outfile=dist/bundled.mjs']).status).toBe(0);
    const bundle = readFileSync(join(dir, 'dist', 'bundled.mjs'), 'utf8');
    const coreDist = join(repo, 'packages', 'core', 'dist').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(bundle).toMatch(new RegExp(`var __filename = "${coreDist}/[^"]+\\.cjs"`));
  });
});
