#!/usr/bin/env node
// The toolchain that keeps our Linux native files loadable on old distributions: the glibc 2.17
// sysroot and gcc of napi-rs' cross toolchain (npm: @napi-rs/cross-toolchain-<host>-target-<arch>,
// the same one `napi build --use-napi-cross` uses). Everything we link then asks for at most
// GLIBC_2.17, below Node 20's own floor (GLIBC_2.28, GLIBCXX_3.4.25).
//
// Why not `napi build --use-napi-cross` itself: @napi-rs/cli 3.10 asks for toolchain 1.0.5, which
// the registry does not serve (it has 1.0.0 for x86_64, 1.0.3 for aarch64), and it unpacks with
// @napi-rs/lzma, whose native package needs Node >= 22. We fetch the pinned package with
// `npm pack` into the per-user cache, check its integrity, unpack it with `tar -xJ` and hand
// cargo the same variables.
//
// The toolchain's gcc is 4.8.5: it links Rust (what napi-rs uses it for) but cannot compile the
// MindSpore headers (C++17, `__has_include`). The C/C++ shims are compiled by the system's gcc/g++
// and linked against the toolchain's glibc 2.17 sysroot (see `shimToolchain`).
//
//   node tools/runtime/glibc-toolchain.mjs --target <rust triple> -- <command...>   run with cargo's variables
//   node tools/runtime/glibc-toolchain.mjs --target <rust triple> --print           print the toolchain folder
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned toolchain packages, by host arch and Rust target triple (integrity: npm's sha512). */
const PACKAGES = {
  x64: {
    'x86_64-unknown-linux-gnu': {
      name: '@napi-rs/cross-toolchain-x64-target-x86_64',
      version: '1.0.0',
      integrity: 'sha512-lecoghCfoTAX9MLFcIx9/nL9M8xdkZ9n8Pki8qjKUNzjiq1zbECdEbzIZAMMHRtrXxifK9dAyYuh8gSxNbr2og==',
    },
    'aarch64-unknown-linux-gnu': {
      name: '@napi-rs/cross-toolchain-x64-target-aarch64',
      version: '1.0.3', // the registry has no 1.0.0 of this one
      integrity: 'sha512-EMFcy/ahFsmCY3BI1tMC3wRUYZ+cDuILg7nP1micaKXW1tO1+RvUB1CC6QYe+cv2W4Tuz9wr3qcFExWyjgWf2w==',
    },
  },
};

/** The Rust target triples of the napi-rs platforms we build for on Linux. */
export const RUST_TARGETS = { 'linux-x64-gnu': 'x86_64-unknown-linux-gnu', 'linux-arm64-gnu': 'aarch64-unknown-linux-gnu' };

function cacheRoot() {
  return process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
}

function fail(message) {
  console.error(`[lite toolchain] ${message}`);
  process.exit(1);
}

/** Whether this host can run the prebuilt toolchains (they are x86-64 Linux executables). */
export function hostSupported() {
  return process.platform === 'linux' && process.arch === 'x64';
}

/**
 * The unpacked toolchain for `triple` (a Rust target triple), fetched once into
 * `<cache>/toolchains/<package>-<version>/`. Exits the process with one clear line on failure.
 */
export function ensureToolchain(triple) {
  const pin = PACKAGES[process.arch]?.[triple];
  if (process.platform !== 'linux' || !pin) fail(`no glibc 2.17 toolchain for ${triple} on ${process.platform}-${process.arch}`);
  const dir = join(cacheRoot(), 'toolchains', `${pin.name.replace('@napi-rs/', 'napi-rs-')}-${pin.version}`);
  if (existsSync(join(dir, 'bin', `${triple}-gcc`))) return dir;
  mkdirSync(join(cacheRoot(), 'toolchains'), { recursive: true });
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const started = Date.now();
    const packed = spawnSync('npm', ['pack', `${pin.name}@${pin.version}`, '--json', '--silent', '--pack-destination', work], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (packed.status !== 0) fail(`npm pack ${pin.name}@${pin.version} failed: ${(packed.stderr || packed.error?.message || '').trim().split('\n').pop()}`);
    const [{ filename, integrity }] = JSON.parse(packed.stdout);
    const tgz = join(work, filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (pin.integrity && actual !== pin.integrity) fail(`${filename}: integrity ${actual} is not the pinned ${pin.integrity}`);
    if (integrity && integrity !== actual) fail(`${filename}: integrity ${actual} differs from the registry's ${integrity}`);
    const unpack = (args) => {
      const r = spawnSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) fail(`tar ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
    };
    unpack(['-xzf', tgz, '-C', work]);
    const xz = readdirSync(join(work, 'package')).find((f) => f.endsWith('.tar.xz'));
    if (!xz) fail(`${filename} holds no .tar.xz toolchain`);
    const out = join(work, 'toolchain');
    mkdirSync(out);
    unpack(['-xJf', join(work, 'package', xz), '-C', out]);
    if (!existsSync(join(out, 'bin', `${triple}-gcc`))) fail(`${filename} has no bin/${triple}-gcc`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    console.error(`[lite toolchain] ${pin.name}@${pin.version} (${triple}, glibc 2.17) unpacked into ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The toolchain's sysroot (glibc 2.17 headers and libraries) for `triple`. */
export function sysroot(triple) {
  return join(ensureToolchain(triple), triple, 'sysroot');
}

/**
 * The variables cargo and the `cc` crate need to build and link `triple` with the toolchain
 * (the same set `napi build --use-napi-cross` sets).
 */
export function cargoEnv(triple) {
  const dir = ensureToolchain(triple);
  const bin = (tool) => join(dir, 'bin', `${triple}-${tool}`);
  const upper = triple.toUpperCase().replace(/-/g, '_');
  const root = join(dir, triple, 'sysroot');
  return {
    [`CARGO_TARGET_${upper}_LINKER`]: bin('gcc'),
    TARGET_SYSROOT: root,
    TARGET_AR: bin('ar'),
    TARGET_RANLIB: bin('ranlib'),
    TARGET_CC: bin('gcc'),
    TARGET_CXX: bin('g++'),
    TARGET_C_INCLUDE_PATH: join(root, 'usr', 'include/'),
  };
}

/**
 * A C/C++ toolchain for the MindSpore shims of `triple`: the given (or the system's) gcc/g++,
 * compiling with its own headers and linking against the glibc 2.17 libraries of the toolchain's
 * sysroot (`-Wl,--sysroot` reaches the linker only). The linker then binds every C library symbol
 * to a version that glibc 2.17 has, and fails (`--no-undefined`) on anything newer, so the floor
 * cannot rise silently. libstdc++ stays the compiler's (the MindSpore headers need C++17); the
 * two symbols its headers would otherwise pull from GCC 11+ and glibc 2.32 are defined in
 * shim/lite_mindspore_compat.cc. Returned as `{ name, cc, cxx, ldflags }` for
 * build-mindspore-shim.mjs.
 */
export function shimToolchain(triple, { cc = 'gcc', cxx = 'g++' } = {}) {
  const root = sysroot(triple);
  const libDirs = ['usr/lib64', 'lib64', 'usr/lib', 'lib'].map((d) => join(root, d)).filter((d) => existsSync(join(d, 'libc.so')) || existsSync(join(d, 'libc.so.6')));
  if (libDirs.length === 0) fail(`${root} has no libc.so`);
  return {
    name: `${cxx} + ${cc}, linked against the glibc 2.17 sysroot of ${triple}`,
    cc,
    cxx,
    // The compiler's own folder first (its libstdc++ and libgcc), then the sysroot's C library.
    ldflags: [`-Wl,--sysroot=${root}`, '-L', compilerLibDir(cxx), ...libDirs.flatMap((d) => ['-L', d])],
  };
}

/** The folder of the compiler's own libstdc++.so. */
function compilerLibDir(cxx) {
  const r = spawnSync(cxx, ['-print-file-name=libstdc++.so'], { encoding: 'utf8' });
  const file = r.status === 0 ? r.stdout.trim() : '';
  if (!file.startsWith('/')) fail(`${cxx} -print-file-name=libstdc++.so failed: ${(r.stderr || r.error?.message || file).trim()}`);
  return dirname(file);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--target');
  const triple = t >= 0 ? args[t + 1] : undefined;
  if (!triple) fail('usage: glibc-toolchain.mjs --target <rust triple> (--print | -- <command...>)');
  const dash = args.indexOf('--');
  if (args.includes('--print')) {
    console.log(ensureToolchain(triple));
  } else if (dash >= 0 && dash < args.length - 1) {
    const [cmd, ...rest] = args.slice(dash + 1);
    const r = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, ...cargoEnv(triple) } });
    process.exit(r.status ?? 1);
  } else {
    fail('usage: glibc-toolchain.mjs --target <rust triple> (--print | -- <command...>)');
  }
}
