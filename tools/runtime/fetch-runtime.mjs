#!/usr/bin/env node
// Obtains the MegEngine Lite runtime (liblite_shared_whl.so and the libraries it loads) from the
// pinned `megengine` wheel and unpacks it into the per-user cache, keeping the wheel's folder
// layout so the library's rpath ($ORIGIN/../../megengine/core/lib) keeps working.
//
//   node tools/runtime/fetch-runtime.mjs          fetch (instant when already done)
//   node tools/runtime/fetch-runtime.mjs --print  print the library path, fetch nothing
//   node tools/runtime/fetch-runtime.mjs --platform darwin-x64   another platform's runtime (for staging)
//
// Cache: ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/lite-node}
//   wheels/<wheel>                         the verified wheel (kept so re-extraction is offline)
//   runtime/megengine-<ver>-<platform>/    the extracted libraries + manifest.json
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pin = JSON.parse(readFileSync(join(here, 'runtime.json'), 'utf8'));

function fail(message) {
  console.error(`\n[lite runtime] ${message}\n`);
  process.exit(1);
}

function platformKey() {
  if (process.platform === 'linux' && process.arch === 'x64') return 'linux-x64';
  return `${process.platform}-${process.arch}`;
}

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

async function main() {
  const key = requestedPlatform() ?? platformKey();
  const spec = pin.platforms[key];
  const root = cacheRoot();
  const runtimeDir = join(root, 'runtime', `megengine-${pin.megengine}-${key}`);
  const libPath = spec ? join(runtimeDir, spec.lite.to) : null;

  if (process.argv.includes('--print')) {
    console.log(process.env.LITE_LIB_PATH || libPath || '');
    return;
  }
  if (process.env.LITE_LIB_PATH) {
    console.log(`[lite runtime] LITE_LIB_PATH is set (${process.env.LITE_LIB_PATH}); it wins over the cache, nothing to fetch.`);
    return;
  }
  if (!spec) {
    fail(
      `no MegEngine Lite runtime is pinned for ${key}. Supported here: ${Object.keys(pin.platforms).join(', ')}. ` +
        'Build MegEngine Lite for your platform and point LITE_LIB_PATH at liblite_shared.so.',
    );
  }
  if (manifestUpToDate(runtimeDir, spec)) {
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
        'pip is needed once to download the megengine wheel that carries the runtime, and no `python3 -m pip` was found. ' +
          `Install Python 3 with pip, or download ${spec.wheel} (sha256 ${spec.sha256}) by hand into ${wheelDir}, ` +
          'or set LITE_LIB_PATH to an existing liblite_shared library.',
      );
    }
    console.log(`[lite runtime] downloading ${spec.wheel} (${(spec.size / 1e6).toFixed(0)} MB) with pip ...`);
    const pip = spawnSync(
      python,
      ['-m', 'pip', 'download', `megengine==${pin.megengine}`, '--no-deps', '--only-binary=:all:', '--no-cache-dir', ...spec.pip, '-d', wheelDir],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (pip.status !== 0 || !existsSync(wheelPath)) {
      fail(
        `pip could not download megengine==${pin.megengine} (exit ${pip.status}). Are you offline or behind a proxy? ` +
          `Fix pip's access to the package index, or put ${spec.wheel} into ${wheelDir}, or set LITE_LIB_PATH.`,
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
  const members = [{ from: spec.lite.from, to: spec.lite.to }, ...spec.libs.map((p) => ({ from: p, to: p }))];
  const extractor = [
    'import json, os, shutil, sys, zipfile',
    'wheel, dest, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])',
    'with zipfile.ZipFile(wheel) as z:',
    '    for m in members:',
    '        out = os.path.join(dest, m["to"])',
    '        os.makedirs(os.path.dirname(out), exist_ok=True)',
    '        with z.open(m["from"]) as src, open(out, "wb") as dst:',
    '            shutil.copyfileobj(src, dst, 1 << 20)',
    '        os.chmod(out, 0o755)',
  ].join('\n');
  const python = findPython() ?? 'python3';
  const unzip = spawnSync(python, ['-c', extractor, wheelPath, staging, JSON.stringify(members)], { stdio: 'inherit' });
  if (unzip.status !== 0) fail(`could not extract the runtime from ${wheelPath} (exit ${unzip.status}).`);

  const files = members.map((m) => ({ path: m.to, size: statSync(join(staging, m.to)).size }));
  writeFileSync(
    join(staging, 'manifest.json'),
    JSON.stringify({ megengine: pin.megengine, platform: key, wheel: spec.wheel, sha256: spec.sha256, files }, null, 2),
  );
  rmSync(runtimeDir, { recursive: true, force: true });
  mkdirSync(dirname(runtimeDir), { recursive: true });
  renameSync(staging, runtimeDir);
  console.log(`[lite runtime] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${libPath}`);
  for (const f of files) console.log(`  ${f.path}  ${(f.size / 1e6).toFixed(1)} MB`);
}

await main();
