#!/usr/bin/env node
// Obtains the MegEngine Lite runtime (liblite_shared_whl.so and the libraries it loads) from the
// pinned `megengine` wheel and unpacks it into the per-user cache, keeping the wheel's folder
// layout so the library's rpath ($ORIGIN/../../megengine/core/lib) keeps working.
// With `--engine mindspore`: the MindSpore Lite runtime instead (mindspore-runtime.json): the 11
// CPU libraries of the pinned `mindspore-lite` wheel in one flat folder plus its C++ headers, then
// our C shim compiled into that folder (build-mindspore-shim.mjs). The default run never fetches it.
//
//   node tools/runtime/fetch-runtime.mjs          fetch (instant when already done)
//   node tools/runtime/fetch-runtime.mjs --print  print the library path, fetch nothing
//   node tools/runtime/fetch-runtime.mjs --platform darwin-x64   another platform's runtime (for staging)
//   node tools/runtime/fetch-runtime.mjs --engine mindspore [--print]   the MindSpore Lite runtime
//
// Cache: ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/lite-node}
//   wheels/<wheel>                         the verified wheel (kept so re-extraction is offline)
//   runtime/megengine-<ver>-<platform>/    the extracted libraries + manifest.json
//   runtime/mindspore-<ver>-<platform>/    the 11 libraries, include/, manifest.json, our shim
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMindsporeShim, defaultToolchain } from './build-mindspore-shim.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const engine = process.argv.includes('--engine') ? process.argv[process.argv.indexOf('--engine') + 1] : 'megengine';
if (engine !== 'megengine' && engine !== 'mindspore') {
  console.error(`[lite runtime] unknown --engine ${engine}: megengine or mindspore`);
  process.exit(2);
}
const mindspore = engine === 'mindspore';
const pin = JSON.parse(readFileSync(join(here, mindspore ? 'mindspore-runtime.json' : 'runtime.json'), 'utf8'));
const version = pin[engine];
// What a user sets instead of using the cache, and the pip requirement that carries the runtime.
const override = mindspore ? 'MINDSPORE_LITE_LIB_DIR' : 'LITE_LIB_PATH';
const requirement = mindspore ? `mindspore-lite==${version}` : `megengine==${version}`;

function fail(message) {
  console.error(`\n[lite runtime] ${message}\n`);
  process.exit(1);
}

function platformKey() {
  if (process.platform === 'linux' && process.arch === 'x64') return 'linux-x64';
  return `${process.platform}-${process.arch}`;
}

// cacheRoot and sha256File are also in packages/core/src/runtime/fetch.ts (the installed
// `lite-runtime fetch`) and the cache root in crates/lite-common (`cache_root`), on purpose: this
// script runs in `tools/setup.sh` before anything is built, so it cannot import them.
export function cacheRoot() {
  if (process.env.LITE_CACHE_DIR) return process.env.LITE_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'lite-node');
}

function sha256File(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function findPython() {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

function manifestUpToDate(runtimeDir, spec) {
  const manifestPath = join(runtimeDir, 'manifest.json');
  if (!existsSync(manifestPath)) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.sha256 !== spec.sha256) return false;
    return manifest.files.every((f) => existsSync(join(runtimeDir, f.path)) && statSync(join(runtimeDir, f.path)).size === f.size);
  } catch {
    return false;
  }
}

// `--platform <key>` fetches another platform's runtime (e.g. darwin-x64 on a Linux machine that
// stages the macOS package); default: this machine's.
function requestedPlatform() {
  const i = process.argv.indexOf('--platform');
  return i > 0 ? process.argv[i + 1] : undefined;
}

// Our shim is compiled for this machine; another platform's runtime (fetched for staging its
// package) needs a cross compiler: CXX/CC set to it, e.g. aarch64-linux-gnu-g++ / -gcc. Either
// way it is linked against that platform's glibc 2.17 sysroot (build-mindspore-shim.mjs).
function shimFor(key, runtimeDir) {
  if (key === platformKey() || process.env.CXX) {
    buildMindsporeShim(runtimeDir, defaultToolchain(key));
  } else {
    console.log(`[lite runtime] ${key} is not this machine: the shim is not built (set CXX and CC to a ${key} cross compiler, or run build-mindspore-shim.mjs --dir ${runtimeDir} with them)`);
  }
}

async function main() {
  const key = requestedPlatform() ?? platformKey();
  const spec = pin.platforms[key];
  const root = cacheRoot();
  const runtimeDir = join(root, 'runtime', `${engine}-${version}-${key}`);
  const libPath = !spec ? null : mindspore ? runtimeDir : join(runtimeDir, spec.lite.to);

  if (process.argv.includes('--print')) {
    console.log(process.env[override] || libPath || '');
    return;
  }
  if (process.env[override]) {
    console.log(`[lite runtime] ${override} is set (${process.env[override]}); it wins over the cache, nothing to fetch.`);
    return;
  }
  if (!spec) {
    fail(
      mindspore
        ? `no MindSpore Lite runtime is pinned for ${key}. Supported here: ${Object.keys(pin.platforms).join(', ')}. ` +
            'Point MINDSPORE_LITE_LIB_DIR at a folder holding the MindSpore Lite 2.0.0 CPU libraries.'
        : `no MegEngine Lite runtime is pinned for ${key}. Supported here: ${Object.keys(pin.platforms).join(', ')}. ` +
            'Build MegEngine Lite for your platform and point LITE_LIB_PATH at liblite_shared.so.',
    );
  }
  if (manifestUpToDate(runtimeDir, spec)) {
    if (mindspore) shimFor(key, runtimeDir);
    console.log(`[lite runtime] ready: ${libPath}`);
    return;
  }

  const started = Date.now();
  const wheelDir = join(root, 'wheels');
  const wheelPath = join(wheelDir, spec.wheel);
  mkdirSync(wheelDir, { recursive: true });

  if (!existsSync(wheelPath) || statSync(wheelPath).size !== spec.size) {
    const python = findPython();
    if (!python) {
      fail(
        `pip is needed once to download the ${engine} wheel that carries the runtime, and no \`python3 -m pip\` was found. ` +
          `Install Python 3 with pip, or download ${spec.wheel} (sha256 ${spec.sha256}) by hand into ${wheelDir}, ` +
          `or set ${override}.`,
      );
    }
    console.log(`[lite runtime] downloading ${spec.wheel} (${(spec.size / 1e6).toFixed(0)} MB) with pip ...`);
    const pip = spawnSync(
      python,
      ['-m', 'pip', 'download', requirement, '--no-deps', '--only-binary=:all:', '--no-cache-dir', ...spec.pip, '-d', wheelDir],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (pip.status !== 0 || !existsSync(wheelPath)) {
      fail(
        `pip could not download ${requirement} (exit ${pip.status}). Are you offline or behind a proxy? ` +
          `Fix pip's access to the package index, or put ${spec.wheel} into ${wheelDir}, or set ${override}.`,
      );
    }
  }

  const digest = await sha256File(wheelPath);
  if (digest !== spec.sha256) {
    rmSync(wheelPath, { force: true });
    fail(`sha256 mismatch for ${spec.wheel}: expected ${spec.sha256}, got ${digest}. The file was removed; run again.`);
  }

  // Extract into a temporary folder, then move into place, so an interrupted run never leaves a
  // half-written runtime that looks complete.
  const staging = `${runtimeDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const members = mindspore
    ? spec.libs.map((name) => ({ from: spec.libDir + name, to: name }))
    : [{ from: spec.lite.from, to: spec.lite.to }, ...spec.libs.map((p) => ({ from: p, to: p }))];
  // MindSpore: also every header under includeDir, to include/ (the shim is compiled against them).
  const extractor = [
    'import json, os, shutil, sys, zipfile',
    'wheel, dest, members, inc = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]',
    'with zipfile.ZipFile(wheel) as z:',
    '    if inc:',
    '        members += [{"from": n, "to": "include/" + n[len(inc):]} for n in z.namelist() if n.startswith(inc) and not n.endswith("/")]',
    '        print(json.dumps([m["to"] for m in members]))',
    '    for m in members:',
    '        out = os.path.join(dest, m["to"])',
    '        os.makedirs(os.path.dirname(out), exist_ok=True)',
    '        with z.open(m["from"]) as src, open(out, "wb") as dst:',
    '            shutil.copyfileobj(src, dst, 1 << 20)',
    '        os.chmod(out, 0o755)',
  ].join('\n');
  const python = findPython() ?? 'python3';
  const unzip = spawnSync(python, ['-c', extractor, wheelPath, staging, JSON.stringify(members), spec.includeDir ?? ''], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (unzip.status !== 0) fail(`could not extract the runtime from ${wheelPath} (exit ${unzip.status}).`);
  const extracted = mindspore ? JSON.parse(unzip.stdout) : members.map((m) => m.to);

  const files = extracted.map((path) => ({ path, size: statSync(join(staging, path)).size }));
  writeFileSync(
    join(staging, 'manifest.json'),
    JSON.stringify({ [engine]: version, platform: key, wheel: spec.wheel, sha256: spec.sha256, files }, null, 2),
  );
  rmSync(runtimeDir, { recursive: true, force: true });
  mkdirSync(dirname(runtimeDir), { recursive: true });
  renameSync(staging, runtimeDir);
  if (mindspore) shimFor(key, runtimeDir);
  console.log(`[lite runtime] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${libPath}`);
  for (const f of files) if (!f.path.startsWith('include/')) console.log(`  ${f.path}  ${(f.size / 1e6).toFixed(1)} MB`);
}

await main();
