#!/usr/bin/env node
// The linux-arm64 packages, tested on this linux-x64 machine under qemu-user:
//
//  1. Build and pack them (tools/arm64/build-linux-arm64-packages.mjs: the cross-built .node and
//     shims, the staged @lite/binding-linux-arm64-gnu and @lite/runtime-mindspore-linux-arm64-gnu,
//     @lite/mindspore, @lite/common, @lite/binding, @lite/core).
//  2. Install the tarballs with plain npm into a fresh project in a temp dir, as an arm64 machine
//     would: `npm install --cpu=arm64 --os=linux --libc=glibc --offline`; the platform packages are
//     the optional dependencies of @lite/binding and @lite/mindspore, pointed at the local tarballs
//     with npm `overrides`, so npm's platform selection picks them, and --offline keeps npm away
//     from any registry (the x64/darwin optional packages are skipped, not fetched).
//  3. Run tools/arm64/check-linux-arm64.cjs with the aarch64 Node under qemu-aarch64, one process
//     per check, with LITE_CACHE_DIR pointing at an empty folder (only the packaged runtime can be
//     found) and a PATH without the repo's tools: every MindSpore fixture against the x64
//     references (max abs diff per fixture printed; tolerance stated in the checker), the
//     Converter and the lite-convert CLI on lenet.onnx, the error without the runtime package, and
//     @lite/core's "no linux-arm64 runtime" error. Any stderr output fails the test.
//
//   node tools/arm64/test-linux-arm64-under-qemu.mjs [--packages DIR]   DIR: tarballs already built
//   node tools/arm64/test-linux-arm64-under-qemu.mjs --if-tools         (tools/test.sh) one line and exit 0
//                                                                        when the Debian cross tools are absent
// LITE_ARM64_TEST_KEEP=1 keeps the temp dir.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { aptCommands, ensureArm64Node, missingAptPackages } from './build-linux-arm64-packages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const fixtures = join(repo, 'fixtures', 'mindspore');
const started = Date.now();

const { values: args } = parseArgs({
  options: { packages: { type: 'string' }, 'if-tools': { type: 'boolean', default: false } },
});

function fail(message) {
  console.error(`[arm64-test] ${message}`);
  process.exit(1);
}

if (`${process.platform}-${process.arch}` !== 'linux-x64') {
  console.log(`arm64-test: skipped (runs on linux-x64 hosts only; this is ${process.platform}-${process.arch})`);
  process.exit(0);
}
const missing = missingAptPackages();
if (missing.length && args['if-tools']) {
  console.log(
    `arm64-test: skipped, the Debian cross tools are not installed (${missing.join(' ')}); ` +
      `to run it: ${aptCommands(missing).join(' && ')}`,
  );
  process.exit(0);
}

let last = started;
function step(text) {
  const now = Date.now();
  console.log(`\n[arm64-test] ${text}  (+${((now - last) / 1000).toFixed(1)} s)`);
  last = now;
}

const tmp = mkdtempSync(join(tmpdir(), 'lite-arm64-test-'));
process.on('exit', () => {
  if (process.env.LITE_ARM64_TEST_KEEP === '1') console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

// ---- 1. build and pack --------------------------------------------------------------------
const tarballs = args.packages ? resolve(args.packages) : join(tmp, 'tarballs');
if (!args.packages) {
  step('building and packing the linux-arm64 packages');
  const build = spawnSync(process.execPath, [join(here, 'build-linux-arm64-packages.mjs'), '--out', tarballs], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) fail(`the build failed (exit ${build.status})`);
}
const node = ensureArm64Node();
const tgz = (prefix) => {
  const found = readdirSync(tarballs).find((f) => f.startsWith(`${prefix}-`) && /^\d/.test(f.slice(prefix.length + 1)) && f.endsWith('.tgz'));
  return found ? join(tarballs, found) : fail(`no ${prefix}-<version>.tgz in ${tarballs}`);
};

// ---- 2. install into a fresh project --------------------------------------------------------
step('installing the tarballs into a fresh npm project (npm --cpu=arm64 --os=linux --libc=glibc --offline)');
const app = join(tmp, 'app');
mkdirSync(app, { recursive: true });
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify(
    {
      name: 'lite-arm64-test-app',
      version: '0.0.0',
      private: true,
      dependencies: { '@lite/mindspore': `file:${tgz('lite-mindspore')}`, '@lite/core': `file:${tgz('lite-core')}` },
      overrides: {
        '@lite/binding': `file:${tgz('lite-binding')}`,
        '@lite/common': `file:${tgz('lite-common')}`,
        '@lite/binding-linux-arm64-gnu': `file:${tgz('lite-binding-linux-arm64-gnu')}`,
        '@lite/runtime-mindspore-linux-arm64-gnu': `file:${tgz('lite-runtime-mindspore-linux-arm64-gnu')}`,
      },
    },
    null,
    2,
  )}\n`,
);
copyFileSync(join(here, 'check-linux-arm64.cjs'), join(app, 'check-linux-arm64.cjs'));
copyFileSync(join(repo, 'tools', 'pack-test', 'npy.cjs'), join(app, 'npy.cjs'));
// PATH with the host's node and npm only (npm runs on the host; the packages hold no install scripts).
const bin = join(tmp, 'bin');
mkdirSync(bin);
for (const tool of ['node', 'npm', 'sh']) {
  const which = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (!which) fail(`${tool} is not on PATH`);
  spawnSync('ln', ['-s', which, join(bin, tool)]);
}
const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim() || fail('qemu-aarch64 is not on PATH');
const emptyCache = join(tmp, 'empty-cache');
mkdirSync(emptyCache);
const cleanEnv = {
  HOME: process.env.HOME ?? tmp,
  PATH: bin,
  LITE_CACHE_DIR: emptyCache,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};
const install = spawnSync('npm', ['install', '--offline', '--loglevel=error', '--cpu=arm64', '--os=linux', '--libc=glibc'], {
  cwd: app,
  env: cleanEnv,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (install.status !== 0) fail(`npm install failed (exit ${install.status})`);
const installed = readdirSync(join(app, 'node_modules', '@lite')).sort();
const expected = ['binding', 'binding-linux-arm64-gnu', 'common', 'core', 'mindspore', 'runtime-mindspore-linux-arm64-gnu'];
if (installed.join(' ') !== expected.join(' ')) fail(`installed @lite/${installed.join(', @lite/')}; expected @lite/${expected.join(', @lite/')}`);
const du = (p) => Number(spawnSync('du', ['-sb', p], { encoding: 'utf8' }).stdout.split('\t')[0]);
let total = 0;
for (const p of expected.filter((p) => p !== 'core')) {
  const b = du(join(app, 'node_modules', '@lite', p));
  total += b;
  console.log(`  installed @lite/${p.padEnd(36)} ${String(b).padStart(11)} bytes`);
}
console.log(`installed size of @lite/mindspore + its dependencies on linux-arm64: ${total} bytes (${(total / 1e6).toFixed(1)} MB)`);

// ---- 3. checks under qemu-aarch64 ------------------------------------------------------------
/** Runs the checker under qemu with the aarch64 Node; fails on a non-zero exit or any stderr. */
function underQemu(what, script, scriptArgs) {
  step(what);
  const t = Date.now();
  const r = spawnSync(qemu, [node, script, ...scriptArgs], { cwd: app, env: cleanEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) fail(`${what}: ${r.error.message}`);
  process.stdout.write(r.stdout);
  if (r.stderr) fail(`${what}: wrote to stderr:\n${r.stderr}`);
  if (r.status !== 0) fail(`${what}: exit ${r.status ?? r.error?.message}`);
  console.log(`  (${((Date.now() - t) / 1000).toFixed(1)} s under qemu-aarch64)`);
  return r.stdout;
}

const arch = underQemu('the aarch64 Node', '-p', ['`${process.version} ${process.platform}-${process.arch}`']);
if (arch.trim() !== 'v20.19.0 linux-arm64') fail(`qemu-aarch64 ${node}: ${arch.trim()}`);
underQemu('every MindSpore fixture vs the x64 references', 'check-linux-arm64.cjs', ['fixtures', fixtures]);
const work = join(tmp, 'converted');
mkdirSync(work);
// The installed package's own `lite-convert` bin entry (whatever file its package.json names).
const msPackage = join(app, 'node_modules', '@lite', 'mindspore');
const liteConvertBin = join(msPackage, JSON.parse(readFileSync(join(msPackage, 'package.json'), 'utf8')).bin['lite-convert']);
const cliOut = underQemu('lite-convert (the CLI of the installed @lite/mindspore) on lenet.onnx', liteConvertBin, [
  '--fmk', 'ONNX', '--model', join(fixtures, 'lenet.onnx'), '--output', join(work, 'cli', 'lenet'), '--optimize', 'none',
]);
const cliFile = join(work, 'cli', 'lenet.mindir');
if (cliOut.trim() !== cliFile || !statSync(cliFile).size) fail(`lite-convert printed ${cliOut.trim()}, expected ${cliFile}`);
underQemu('the Converter on lenet.onnx, then every lenet batch of both converted models', 'check-linux-arm64.cjs', ['converter', fixtures, work, cliFile]);
underQemu('@lite/core: MegEngine Lite has no linux-arm64 runtime', 'check-linux-arm64.cjs', ['megengine']);
const runtimePkg = join(app, 'node_modules', '@lite', 'runtime-mindspore-linux-arm64-gnu');
renameSync(runtimePkg, join(tmp, 'runtime-aside'));
underQemu('@lite/mindspore without its runtime package', 'check-linux-arm64.cjs', ['missing-runtime', fixtures]);
if (!existsSync(join(tmp, 'runtime-aside'))) fail('the runtime package vanished');

console.log(`\n[arm64-test] passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
