#!/usr/bin/env node
// `pnpm run pack`: this platform's full set of npm tarballs in one folder, what a user installs
// without a registry:
//
//   every public workspace package            `pnpm pack` (workspace: ranges become versions)
//   @lite/binding-<triple>                     the .node      (prepare-platform-package.mjs + npm pack)
//   @lite/runtime-megengine-<triple>           MegEngine's runtime, when MegEngine has one for <triple>
//   @lite/runtime-mindspore-<triple>           MindSpore's runtime + our shim, when it has one
//
//   node tools/release/pack-set.mjs [--out <dir>] [--platform-only] [--quiet]
//
// --out defaults to tarballs/ in the repository (ignored by git; emptied of .tgz files first).
// --platform-only packs only the platform packages (what tools/release/publish.mjs takes as
// --platform-tarballs; it packs the workspace packages itself). Needs a finished build
// (`pnpm run build`) and the fetched runtimes (`bash tools/setup.sh`). Staging happens in a
// temporary folder, removed at the end.
//
// A runtime tarball takes a minute or two to compress and changes only with the engine or its
// packaging, so it is kept in the per-user cache
// (${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/lite-node}/tarballs/), keyed by the staged
// package: every file's path, size and modification time, and the bytes of its package.json,
// README.md and runtime/NOTICE.md. One entry per package is kept.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    'platform-only': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const fail = (m) => {
  console.error(`[pack] ${m}`);
  process.exit(1);
};
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

/** This machine's napi-rs triple (glibc Linux and macOS on x64/arm64). */
function thisTriple() {
  const key = `${process.platform}-${process.arch}`;
  const triple = { 'linux-x64': 'linux-x64-gnu', 'linux-arm64': 'linux-arm64-gnu', 'darwin-x64': 'darwin-x64' }[key];
  if (!triple) fail(`no prebuilt platform packages for ${key}`);
  return triple;
}

function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} (in ${relative(repo, cwd) || '.'}) failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The per-user cache folder of packed runtime tarballs. */
function tarballCache() {
  const root = process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
  return join(root, 'tarballs');
}

/** A key for a staged package folder (see the header). */
function stagedKey(dir) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      // Big files are hard links into the per-user runtime caches (stable inode and mtime); small
      // ones (package.json, README, notices, the libnvrtc stand-in) are written afresh: their bytes.
      else if (st.size > 1 << 20) hash.update(`${relative(dir, p)}\0${st.size}\0${st.ino}\0${st.mtimeMs}\n`);
      else hash.update(`${relative(dir, p)}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

/** npm pack of a staged runtime package, through the per-user tarball cache. */
function packRuntime(dir) {
  const pkg = readJson(join(dir, 'package.json'));
  const file = `${pkg.name.slice(1).replace('/', '-')}-${pkg.version}.tgz`;
  const cacheDir = tarballCache();
  const cached = join(cacheDir, `${file}.${stagedKey(dir)}`);
  if (!existsSync(cached)) {
    run('npm', ['pack', '--pack-destination', out, '--silent'], dir);
    mkdirSync(cacheDir, { recursive: true });
    for (const old of readdirSync(cacheDir)) if (old.startsWith(`${file}.`)) rmSync(join(cacheDir, old));
    copyFileSync(join(out, file), `${cached}.partial`);
    renameSync(`${cached}.partial`, cached);
    return;
  }
  copyFileSync(cached, join(out, file));
}

const triple = thisTriple();
const out = resolve(args.out ?? join(repo, 'tarballs'));
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.tgz')) rmSync(join(out, f));
const started = Date.now();

if (!args['platform-only']) {
  const dirs = ['crates/lite-napi', ...readdirSync(join(repo, 'packages')).map((d) => `packages/${d}`)];
  for (const d of dirs) {
    const file = join(repo, d, 'package.json');
    if (!existsSync(file) || readJson(file).private) continue;
    run('pnpm', ['pack', '--pack-destination', out], join(repo, d));
  }
}

const stage = mkdtempSync(join(tmpdir(), 'lite-pack-stage-'));
try {
  const hasMegengine = existsSync(join(repo, 'runtimes/megengine', triple, 'package.json'));
  const hasMindspore = existsSync(join(repo, 'runtimes/mindspore', triple, 'package.json'));
  run(
    process.execPath,
    [
      join(repo, 'tools/release/prepare-platform-package.mjs'),
      '--target',
      triple,
      '--out',
      join(stage, 'binding'),
      ...(hasMegengine ? ['--runtime-out', join(stage, 'runtime-megengine')] : []),
    ],
    repo,
  );
  if (hasMindspore) {
    // This checkout's shim into the cached runtime (a no-op when it is up to date).
    run(process.execPath, [join(repo, 'tools/runtime/build-mindspore-shim.mjs')], repo);
    run(process.execPath, [join(repo, 'tools/release/prepare-mindspore-runtime.mjs'), '--target', triple, '--out', join(stage, 'runtime-mindspore')], repo);
  }
  for (const staged of readdirSync(stage)) {
    if (staged.startsWith('runtime-')) packRuntime(join(stage, staged));
    else run('npm', ['pack', '--pack-destination', out, '--silent'], join(stage, staged));
  }
} finally {
  rmSync(stage, { recursive: true, force: true }); // hard links into the cache; the tarballs are what counts
}

if (!args.quiet) {
  const files = readdirSync(out).filter((f) => f.endsWith('.tgz')).sort();
  console.log(`[pack] ${files.length} tarballs for ${triple} in ${out} (${((Date.now() - started) / 1000).toFixed(0)} s):`);
  for (const f of files) console.log(`  ${f.padEnd(48)} ${(statSync(join(out, f)).size / 1e6).toFixed(1).padStart(7)} MB`);
}
