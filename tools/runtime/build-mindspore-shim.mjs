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
//
// Up to date when DIR/liblite_mindspore_shim.stamp holds the sha256 of the sources + command;
// otherwise rebuilt (about 15 s on 2 busy cores). Needs g++ (C++17); the runtime's headers are in DIR/include.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Builds the shim into `dir` unless it is up to date; exits the process on a compiler failure. */
export function buildMindsporeShim(dir) {
  const out = join(dir, SHIM_FILE);
  const stampPath = join(dir, 'liblite_mindspore_shim.stamp');
  const cxx = process.env.CXX || 'g++';
  const args = [
    '-std=c++17', '-O2', '-fPIC', '-shared', '-D_GLIBCXX_USE_CXX11_ABI=0',
    '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden',
    // The engine's headers are third-party: their warnings are not ours (-isystem), ours are errors.
    '-isystem', dir, '-I', shimDir,
    join(shimDir, 'lite_mindspore_shim.cc'),
    '-L', dir, '-l:libmindspore-extendrt_python.so', '-l:libmindspore_glog.so.0',
    '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN', '-Wl,--no-undefined',
  ];
  const convertOut = join(dir, CONVERT_FILE);
  const convertArgs = [...args.slice(0, args.indexOf(join(shimDir, 'lite_mindspore_shim.cc'))),
    join(shimDir, 'lite_mindspore_convert.cc'),
    '-L', dir, '-l:libmindspore_converter.so', '-l:libmindspore_core.so', '-l:libmindspore_glog.so.0',
    '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN', '-Wl,--no-undefined',
  ];
  const cc = process.env.CC || 'gcc';
  const quietOut = join(dir, LOGQUIET_FILE);
  const quietArgs = ['-std=c11', '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden',
    join(shimDir, 'lite_mindspore_logquiet.c'), '-ldl'];
  const hash = createHash('sha256');
  for (const f of ['lite_mindspore_shim.cc', 'lite_mindspore_shim.h', 'lite_mindspore_common.h', 'lite_mindspore_logquiet.c',
    'lite_mindspore_convert.cc', 'lite_mindspore_convert.h']) hash.update(readFileSync(join(shimDir, f)));
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
  console.log(`[lite runtime] built ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--dir');
  const dir = i > 0 ? resolve(process.argv[i + 1]) : defaultDir();
  if (i < 0 && !existsSync(dir)) {
    console.log(`[lite runtime] no MindSpore Lite runtime at ${dir}: nothing to build (fetch-runtime.mjs --engine mindspore fetches it)`);
  } else {
    buildMindsporeShim(dir);
  }
}
