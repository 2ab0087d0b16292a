#!/usr/bin/env node
// Compiles our C shims (crates/mindspore-sys/shim) into the MindSpore Lite runtime folder: the
// inference shim, the glog-quieting interposer and the converter shim
// (liblite_mindspore_convert.so, linked to libmindspore_converter.so and loaded only on the first
// model conversion), next to the 11 runtime libraries they link (DT_RPATH $ORIGIN finds them and their own dependencies,
// which carry no rpath). Why there and not in the cargo build: the shim is a separate shared
// object loaded at run time (the .node never links the runtime), and $ORIGIN ties it to the
// folder holding the runtime.
//
//   node tools/runtime/build-mindspore-shim.mjs              the cached runtime (fetch it first)
//   node tools/runtime/build-mindspore-shim.mjs --dir DIR    a MINDSPORE_LITE_LIB_DIR folder
//       [--platform linux-arm64]                            another platform's runtime (cross compile)
//
// The glibc floor: on a Linux x86-64 host the shims are linked against the glibc 2.17 sysroot of
// napi-rs' cross toolchain (tools/runtime/glibc-toolchain.mjs), so they need GLIBC_2.17 and
// GLIBCXX_3.4.22 at most, like the engine's own libraries (Node 20 itself needs 2.28/3.4.25).
// The compilers: CC/CXX when set, else gcc/g++ (linux-arm64: aarch64-linux-gnu-gcc/-g++).
// `buildMindsporeShim(dir, toolchain)` takes any `{ name, cc, cxx, ldflags }`.
//
// Up to date when DIR/liblite_mindspore_shim.stamp holds the sha256 of the sources + commands;
// otherwise rebuilt (about 15 s on 2 busy cores). Needs g++ (C++17); the runtime's headers are in DIR/include.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUST_TARGETS, hostSupported, shimToolchain } from './glibc-toolchain.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shimDir = resolve(here, '..', '..', 'crates', 'mindspore-sys', 'shim');
export const SHIM_FILE = 'liblite_mindspore_shim.so';
/** The glog-quieting interposer (see shim/lite_mindspore_logquiet.c), built beside the shim. */
export const LOGQUIET_FILE = 'liblite_mindspore_logquiet.so';
/** The converter shim (shim/lite_mindspore_convert.cc), linked to libmindspore_converter.so. */
export const CONVERT_FILE = 'liblite_mindspore_convert.so';
/** Every file this script builds into the runtime folder (what a runtime package ships besides the libraries). */
export const SHIM_OUTPUTS = [SHIM_FILE, LOGQUIET_FILE, CONVERT_FILE];

function defaultDir() {
  const pin = JSON.parse(readFileSync(join(here, 'mindspore-runtime.json'), 'utf8'));
  const root = process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
  return join(root, 'runtime', `mindspore-${pin.mindspore}-${process.platform}-${process.arch}`);
}

/**
 * The toolchain for `platform` ("linux-x64", "linux-arm64"): CC/CXX or the platform's gcc/g++,
 * linked against the glibc 2.17 sysroot where this host can run napi-rs' toolchain; elsewhere the
 * compilers alone (the floor is then this machine's glibc, which tools/release/glibc-floor.mjs
 * reports).
 */
export function defaultToolchain(platform = `${process.platform}-${process.arch}`) {
  const cross = platform === 'linux-arm64' && process.arch !== 'arm64';
  const cc = process.env.CC || (cross ? 'aarch64-linux-gnu-gcc' : 'gcc');
  const cxx = process.env.CXX || (cross ? 'aarch64-linux-gnu-g++' : 'g++');
  const triple = RUST_TARGETS[`${platform}-gnu`];
  if (triple && hostSupported()) return shimToolchain(triple, { cc, cxx });
  return { name: `${cxx} + ${cc} (this machine's glibc)`, cc, cxx, ldflags: [] };
}

/**
 * Builds the shims into `dir` with `toolchain` (`{ name, cc, cxx, ldflags }`, see
 * {@link defaultToolchain}) unless they are up to date; exits the process on a compiler failure.
 */
export function buildMindsporeShim(dir, toolchain = defaultToolchain()) {
  const out = join(dir, SHIM_FILE);
  const stampPath = join(dir, 'liblite_mindspore_shim.stamp');
  const { cc, cxx, ldflags } = toolchain;
  const cxxFlags = [
    '-std=c++17', '-O2', '-fPIC', '-shared', '-D_GLIBCXX_USE_CXX11_ABI=0',
    '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden',
    // The engine's headers are third-party: their warnings are not ours (-isystem), ours are errors.
    '-isystem', dir, '-I', shimDir,
  ];
  const linkTail = ['-lpthread', '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN', '-Wl,--no-undefined', ...ldflags];
  const compat = join(shimDir, 'lite_mindspore_compat.cc');
  const args = [...cxxFlags, join(shimDir, 'lite_mindspore_shim.cc'), compat,
    '-L', dir, '-l:libmindspore-extendrt_python.so', '-l:libmindspore_glog.so.0', ...linkTail];
  const convertOut = join(dir, CONVERT_FILE);
  const convertArgs = [...cxxFlags, join(shimDir, 'lite_mindspore_convert.cc'), compat,
    '-L', dir, '-l:libmindspore_converter.so', '-l:libmindspore_core.so', '-l:libmindspore_glog.so.0', ...linkTail];
  const quietOut = join(dir, LOGQUIET_FILE);
  const quietArgs = ['-std=c11', '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden',
    join(shimDir, 'lite_mindspore_logquiet.c'), '-ldl', ...ldflags];
  const hash = createHash('sha256');
  for (const f of ['lite_mindspore_shim.cc', 'lite_mindspore_shim.h', 'lite_mindspore_common.h', 'lite_mindspore_logquiet.c',
    'lite_mindspore_convert.cc', 'lite_mindspore_convert.h', 'lite_mindspore_compat.cc']) hash.update(readFileSync(join(shimDir, f)));
  // The command without this checkout's path: checkouts elsewhere with the same sources share the build.
  hash.update(JSON.stringify([cxx, args, cc, quietArgs, convertArgs]).replaceAll(shimDir, '<shim>'));
  const stamp = hash.digest('hex');
  const upToDate = existsSync(out) && existsSync(quietOut) && existsSync(convertOut) && existsSync(stampPath);
  if (upToDate && readFileSync(stampPath, 'utf8').trim() === stamp) return out;
  if (!existsSync(join(dir, 'include', 'api', 'model.h'))) {
    console.error(`[lite runtime] ${dir} has no MindSpore Lite headers (include/api); fetch the runtime first: node tools/runtime/fetch-runtime.mjs --engine mindspore`);
    process.exit(1);
  }
  const started = Date.now();
  for (const [compiler, flags, target] of [[cc, quietArgs, quietOut], [cxx, args, out], [cxx, convertArgs, convertOut]]) {
    const tmp = `${target}.partial-${process.pid}`;
    const r = spawnSync(compiler, [...flags, '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      rmSync(tmp, { force: true });
      console.error(`[lite runtime] compiling ${target} failed (${compiler} exit ${r.status ?? r.error?.message}); gcc and a C++17 g++ are needed.`);
      process.exit(1);
    }
    renameSync(tmp, target);
  }
  writeFileSync(stampPath, `${stamp}\n`);
  console.log(`[lite runtime] built ${out} (${toolchain.name}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--dir');
  const p = process.argv.indexOf('--platform');
  const dir = i > 0 ? resolve(process.argv[i + 1]) : defaultDir();
  if (i < 0 && !existsSync(dir)) {
    console.log(`[lite runtime] no MindSpore Lite runtime at ${dir}: nothing to build (fetch-runtime.mjs --engine mindspore fetches it)`);
  } else {
    buildMindsporeShim(dir, defaultToolchain(p > 0 ? process.argv[p + 1] : undefined));
  }
}
