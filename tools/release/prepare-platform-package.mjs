#!/usr/bin/env node
// Stages the publishable per-platform packages of one napi-rs triple, each in a folder of its own:
//
//   --out <dir>:          @lite/binding-<triple>   package.json, README.md, LICENSE, lite.<triple>.node
//   --runtime-out <dir>:  @lite/runtime-megengine-<triple>
//                           package.json, README.md, LICENSE, runtime/NOTICE.md,
//                           runtime/megenginelite/libs/liblite_shared_whl.so,
//                           runtime/megengine/core/lib/{libmegengine_shared.so, ...}
//
// The runtime keeps the wheel's layout so liblite_shared_whl.so's rpath
// ($ORIGIN/../../megengine/core/lib) works. Files are real files (never symlinks); `workspace:`
// ranges in the staged package.json become the exact versions of those workspace packages.
//
// Linux x64: the wheel's libmegengine_shared.so is 1.57 GB, 1.22 GB of which is CUDA device code
// (.nv_fatbin + __nv_relfatbin) that nothing reads on the CPU. The package carries a copy with
// those sections cut out of the file by tools/release/slim-elf.mjs (347 MB; same memory image
// as zeroing them, bit-identical CPU results: tools/release/slim-elf.test.mjs). The slim copy is
// built once and kept in the per-user cache; the staged package gets hard links to it (a copy
// when the cache is on another file system). `--full-runtime` ships the unmodified library.
//
//   node tools/release/prepare-platform-package.mjs --target linux-x64-gnu [--out <dir>] [--runtime-out <dir>]
//        [--node <path to lite.<triple>.node>] [--runtime <runtime dir>] [--full-runtime]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NVRTC_SONAME, NVRTC_STUB_SOURCES, buildNvrtcStub, compilerIdentity } from './nvrtc-stub.mjs';
import { withPlatformFields } from './platform-fields.mjs';
import { slimElf } from './slim-elf.mjs';
import { place, stagedBytes } from './stage-files.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const napiDir = join(repo, 'crates', 'lite-napi');

function fail(message) {
  console.error(`[prepare-platform-package] ${message}`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    out: { type: 'string' },
    'runtime-out': { type: 'string' },
    node: { type: 'string' },
    runtime: { type: 'string' },
    'full-runtime': { type: 'boolean', default: false },
  },
});
const triple = args.target ?? fail('--target <triple> is needed (e.g. linux-x64-gnu)');
if (!args.out && !args['runtime-out']) fail('--out <dir> and/or --runtime-out <dir> is needed');

// Which runtime-pin key (tools/runtime/runtime.json) each published triple uses.
const RUNTIME_KEY = { 'linux-x64-gnu': 'linux-x64', 'darwin-x64': 'darwin-x64' };
// linux-arm64-gnu has a binding but no MegEngine runtime (MegEngine publishes none for it).
const runtimeKey = args['runtime-out'] ? (RUNTIME_KEY[triple] ?? fail(`no MegEngine runtime for ${triple}; known: ${Object.keys(RUNTIME_KEY).join(', ')}`)) : RUNTIME_KEY[triple];
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const bindingDir = join(napiDir, 'npm', triple);
const runtimePkgDir = join(repo, 'runtimes', 'megengine', triple);
for (const d of [bindingDir, ...(args['runtime-out'] ? [runtimePkgDir] : [])]) if (!existsSync(join(d, 'package.json'))) fail(`${d}/package.json is missing`);

/** Versions of the workspace packages a staged package.json may name with `workspace:`. */
const workspaceVersions = new Map(
  [napiDir, bindingDir, runtimePkgDir].filter((d) => existsSync(join(d, 'package.json'))).map((d) => {
    const p = readJson(join(d, 'package.json'));
    return [p.name, p.version];
  }),
);

/**
 * The package.json to ship: `workspace:` ranges replaced by the exact version (as pnpm pack does),
 * os/cpu/libc moved from publishConfig to the top level (platform-fields.mjs).
 */
function publishedManifest(dir) {
  let pkg;
  try {
    pkg = withPlatformFields(readJson(join(dir, 'package.json')));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (!String(range).startsWith('workspace:')) continue;
      pkg[field][name] = workspaceVersions.get(name) ?? fail(`${pkg.name}: ${name} is not a workspace package this script knows`);
    }
  }
  return pkg;
}

/** Starts a staged package: an empty folder with its package.json, README and the project's LICENSE. */
function startPackage(srcDir, outDir) {
  const pkg = publishedManifest(srcDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  if (existsSync(join(srcDir, 'README.md'))) place(join(srcDir, 'README.md'), join(outDir, 'README.md'));
  place(join(repo, 'LICENSE'), join(outDir, 'LICENSE'));
  return pkg;
}

function finishPackage(pkg, outDir) {
  let total;
  try {
    total = stagedBytes(outDir);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  console.log(`[prepare-platform-package] staged ${pkg.name}@${pkg.version} in ${outDir} (${(total / 1e6).toFixed(1)} MB unpacked)`);
}

// ---- @lite/binding-<triple> -----------------------------------------------------------------
if (args.out) {
  const bindingVersion = readJson(join(napiDir, 'package.json')).version;
  const out = resolve(args.out);
  const nodeFile = resolve(args.node ?? join(napiDir, `lite.${triple}.node`));
  if (!existsSync(nodeFile)) fail(`${nodeFile} is missing: build it first (cd crates/lite-napi && pnpm run build)`);
  const pkg = startPackage(bindingDir, out);
  if (pkg.version !== bindingVersion) fail(`version mismatch: ${pkg.name} is ${pkg.version}, @lite/binding is ${bindingVersion} (run changeset version)`);
  place(nodeFile, join(out, `lite.${triple}.node`));
  finishPackage(pkg, out);
}

// ---- @lite/runtime-megengine-<triple> ------------------------------------------------------
if (args['runtime-out']) {
  const out = resolve(args['runtime-out']);
  const runtimeDir = resolve(args.runtime ?? defaultRuntimeDir());
  const manifestPath = join(runtimeDir, 'manifest.json');
  if (!existsSync(manifestPath)) fail(`${manifestPath} is missing; run \`pnpm run setup\` (fetch-runtime) first`);
  const manifest = readJson(manifestPath);
  if (manifest.platform !== runtimeKey) fail(`${runtimeDir} holds the ${manifest.platform} runtime, ${triple} needs ${runtimeKey}`);
  const pkg = startPackage(runtimePkgDir, out);
  if (pkg.liteRuntime?.version !== manifest.megengine) {
    fail(`${pkg.name} says MegEngine ${pkg.liteRuntime?.version}, the fetched runtime is ${manifest.megengine}`);
  }
  const slim = !args['full-runtime'] && runtimeKey === 'linux-x64';
  for (const member of manifest.files) {
    const src = join(runtimeDir, member.path);
    let shipped = src;
    if (slim && member.path.endsWith('/libmegengine_shared.so')) shipped = slimCopy(src, runtimeDir, manifest);
    if (slim && member.path.endsWith(`/${NVRTC_SONAME}`)) shipped = nvrtcStub(runtimeDir);
    place(shipped, join(out, 'runtime', member.path));
  }
  const slimNote = slim
    ? '\nChanges (CPU-only package):\n\n' +
      '- `megengine/core/lib/libmegengine_shared.so`: the CUDA device-code sections (`.nv_fatbin`, `__nv_relfatbin`, ' +
      '1.22 GB) are cut out of the file (they are zero-filled when loaded).\n' +
      `- \`megengine/core/lib/${NVRTC_SONAME}\`: not NVIDIA's library but a stand-in built from this project's ` +
      '`tools/release/nvrtc-stub/` (same soname and symbol version; every function returns an error). A CPU run ' +
      'never calls it.\n\nFor CUDA run `npx lite-runtime fetch --cuda`, which puts the unmodified libraries into the per-user cache.\n'
    : '';
  writeFileSync(
    join(out, 'runtime', 'NOTICE.md'),
    `# Runtime\n\nThese libraries come from the MegEngine ${manifest.megengine} wheel \`${manifest.wheel}\` ` +
      `(sha256 ${manifest.sha256}), licensed under the Apache License 2.0 by Megvii Inc.\n${slimNote}`,
  );
  finishPackage(pkg, out);
}

// The runtime fetched by tools/runtime/fetch-runtime.mjs (its manifest lists the files).
function defaultRuntimeDir() {
  const r = spawnSync(process.execPath, [join(repo, 'tools', 'runtime', 'fetch-runtime.mjs'), '--print', '--platform', runtimeKey], {
    encoding: 'utf8',
    env: { ...process.env, LITE_LIB_PATH: '' },
  });
  const lib = r.stdout.trim();
  if (r.status !== 0 || !lib) fail('could not locate the runtime; run `pnpm run setup` first');
  return resolve(dirname(lib), '..', '..'); // <dir>/megenginelite/libs/<lib>
}

/** The slimmed copy of libmegengine_shared.so, built once per wheel into the per-user cache. */
function slimCopy(src, runtimeDir, manifest) {
  const cacheDir = `${runtimeDir}-slim`;
  const dst = join(cacheDir, 'libmegengine_shared.so');
  const stampPath = join(cacheDir, 'stamp.json');
  const stamp = JSON.stringify({ wheelSha256: manifest.sha256, size: statSync(src).size, tool: 'slim-elf 2' });
  if (existsSync(dst) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dst;
  mkdirSync(cacheDir, { recursive: true });
  rmSync(stampPath, { force: true });
  const started = Date.now();
  let r;
  try {
    r = slimElf(src, dst);
  } catch (err) {
    fail(`${src}: ${err instanceof Error ? err.message : String(err)}`);
  }
  writeFileSync(stampPath, stamp);
  console.log(
    `[prepare-platform-package] slimmed ${src}: ${(r.inputSize / 1e6).toFixed(0)} MB -> ${(r.outputSize / 1e6).toFixed(0)} MB ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${cacheDir})`,
  );
  return dst;
}

/** The stand-in libnvrtc, built once per source + compiler into the per-user cache. */
function nvrtcStub(runtimeDir) {
  const cacheDir = `${runtimeDir}-slim`;
  const dst = join(cacheDir, NVRTC_SONAME);
  const stampPath = join(cacheDir, 'nvrtc-stub.json');
  let compiler;
  try {
    compiler = compilerIdentity();
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const sources = createHash('sha256');
  for (const f of NVRTC_STUB_SOURCES) sources.update(readFileSync(f));
  const stamp = JSON.stringify({ sources: sources.digest('hex'), compiler: compiler.version });
  if (existsSync(dst) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dst;
  mkdirSync(cacheDir, { recursive: true });
  rmSync(stampPath, { force: true });
  try {
    buildNvrtcStub(dst);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  writeFileSync(stampPath, stamp);
  console.log(`[prepare-platform-package] built the ${NVRTC_SONAME} stand-in (${statSync(dst).size} bytes, ${compiler.version})`);
  return dst;
}
