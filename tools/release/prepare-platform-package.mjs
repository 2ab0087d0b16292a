#!/usr/bin/env node
// Stages one publishable platform package, `@lite/binding-<triple>`, in a directory of its own:
// the package.json + README from crates/lite-napi/npm/<triple>/, the built `lite.<triple>.node`,
// and the MegEngine Lite runtime as real files (never symlinks) under runtime/, keeping the
// wheel's layout so liblite_shared_whl.so's rpath ($ORIGIN/../../megengine/core/lib) works:
//
//   <out>/package.json, README.md, lite.<triple>.node
//   <out>/runtime/megenginelite/libs/liblite_shared_whl.so
//   <out>/runtime/megengine/core/lib/{libmegengine_shared.so, libatomic.so.1, libnvrtc.so.10.1, libnvToolsExt.so.1}
//   <out>/runtime/NOTICE.md
//
// Linux x64: the wheel's libmegengine_shared.so is 1.57 GB, 1.22 GB of which is CUDA device code
// (.nv_fatbin + __nv_relfatbin). Gzipped it is 926 MB, far over what the npm registry accepts
// (publishes of ~200 MB are refused with E413). The package therefore carries a CPU-only copy:
// those two sections are overwritten with zeros in place (same size, same ELF layout, nothing
// else touched), which gzips to 85 MB and gives bit-identical CPU results (tools/pack-test checks
// it). The CPU-only copy is built once and kept in the per-user cache; the staged package gets
// hard links to it (a copy when the cache is on another file system).
//
//   node tools/release/prepare-platform-package.mjs --target linux-x64-gnu --out <dir>
//        [--node <path to lite.<triple>.node>] [--runtime <runtime dir>] [--full-runtime]
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
    node: { type: 'string' },
    runtime: { type: 'string' },
    'full-runtime': { type: 'boolean', default: false },
  },
});
const triple = args.target ?? fail('--target <triple> is needed (e.g. linux-x64-gnu)');
if (!args.out) fail('--out <dir> is needed');
const out = resolve(args.out);

// Which runtime-pin key (tools/runtime/runtime.json) each published triple uses.
const RUNTIME_KEY = { 'linux-x64-gnu': 'linux-x64', 'darwin-x64': 'darwin-x64' };
const runtimeKey = RUNTIME_KEY[triple] ?? fail(`unknown target ${triple}; known: ${Object.keys(RUNTIME_KEY).join(', ')}`);
const pkgDir = join(napiDir, 'npm', triple);
if (!existsSync(join(pkgDir, 'package.json'))) fail(`${pkgDir}/package.json is missing (run napi create-npm-dirs)`);

const bindingPkg = JSON.parse(readFileSync(join(napiDir, 'package.json'), 'utf8'));
const platformPkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (platformPkg.version !== bindingPkg.version) {
  fail(`version mismatch: ${platformPkg.name} is ${platformPkg.version}, @lite/binding is ${bindingPkg.version} (run changeset version)`);
}

const nodeFile = resolve(args.node ?? join(napiDir, `lite.${triple}.node`));
if (!existsSync(nodeFile)) fail(`${nodeFile} is missing: build it first (cd crates/lite-napi && pnpm run build)`);

// The runtime fetched by tools/runtime/fetch-runtime.mjs (its manifest lists the files).
function defaultRuntimeDir() {
  const r = spawnSync(process.execPath, [join(repo, 'tools', 'runtime', 'fetch-runtime.mjs'), '--print'], {
    encoding: 'utf8',
    env: { ...process.env, LITE_LIB_PATH: '' },
  });
  const lib = r.stdout.trim();
  if (r.status !== 0 || !lib) fail('could not locate the runtime; run `pnpm run setup` first');
  return resolve(dirname(lib), '..', '..'); // <dir>/megenginelite/libs/<lib>
}
const runtimeDir = resolve(args.runtime ?? defaultRuntimeDir());
const manifestPath = join(runtimeDir, 'manifest.json');
if (!existsSync(manifestPath)) fail(`${manifestPath} is missing; run \`pnpm run setup\` (fetch-runtime) first`);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
if (manifest.platform !== runtimeKey) fail(`${runtimeDir} holds the ${manifest.platform} runtime, ${triple} needs ${runtimeKey}`);

// ---- CPU-only libmegengine_shared.so (Linux) ----------------------------------------------
const CUDA_SECTIONS = new Set(['.nv_fatbin', '__nv_relfatbin']);

/** Sections of a little-endian ELF64 file: [{ name, type, offset, size }]. */
function elfSections(fd) {
  const hdr = Buffer.alloc(64);
  readSync(fd, hdr, 0, 64, 0);
  if (hdr.readUInt32BE(0) !== 0x7f454c46 || hdr[4] !== 2 || hdr[5] !== 1) throw new Error('not a little-endian ELF64 file');
  const shoff = Number(hdr.readBigUInt64LE(0x28));
  const shentsize = hdr.readUInt16LE(0x3a);
  const shnum = hdr.readUInt16LE(0x3c);
  const shstrndx = hdr.readUInt16LE(0x3e);
  const table = Buffer.alloc(shentsize * shnum);
  readSync(fd, table, 0, table.length, shoff);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    raw.push({
      nameOff: table.readUInt32LE(o),
      type: table.readUInt32LE(o + 4),
      offset: Number(table.readBigUInt64LE(o + 0x18)),
      size: Number(table.readBigUInt64LE(o + 0x20)),
    });
  }
  const strtab = raw[shstrndx];
  const names = Buffer.alloc(strtab.size);
  readSync(fd, names, 0, strtab.size, strtab.offset);
  return raw.map((s) => ({ ...s, name: names.toString('latin1', s.nameOff, names.indexOf(0, s.nameOff)) }));
}

/** Copies `src` to `dst`, zeroing the CUDA device-code sections. Returns the bytes zeroed. */
function writeCpuOnlyCopy(src, dst) {
  copyFileSync(src, dst);
  const fd = openSync(dst, 'r+');
  let zeroed = 0;
  try {
    const zeros = Buffer.alloc(16 << 20);
    for (const s of elfSections(fd)) {
      if (!CUDA_SECTIONS.has(s.name) || s.type === 8 /* SHT_NOBITS */) continue;
      for (let done = 0; done < s.size; ) {
        const n = Math.min(zeros.length, s.size - done);
        writeSync(fd, zeros, 0, n, s.offset + done);
        done += n;
      }
      zeroed += s.size;
    }
  } finally {
    closeSync(fd);
  }
  return zeroed;
}

/** The file to ship for one runtime member: the fetched one, or its cached CPU-only copy. */
function shippedFile(member) {
  const src = join(runtimeDir, member.path);
  const cpuOnly = !args['full-runtime'] && runtimeKey === 'linux-x64' && member.path.endsWith('libmegengine_shared.so');
  if (!cpuOnly) return src;
  const cacheDir = `${runtimeDir}-cpu-only`;
  const dst = join(cacheDir, member.path);
  const stampPath = join(cacheDir, 'stamp.json');
  const srcStat = statSync(src);
  const stamp = JSON.stringify({ wheelSha256: manifest.sha256, size: srcStat.size, sections: [...CUDA_SECTIONS] });
  if (existsSync(dst) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return dst;
  const started = Date.now();
  mkdirSync(dirname(dst), { recursive: true });
  const partial = `${dst}.partial-${process.pid}`;
  const zeroed = writeCpuOnlyCopy(src, partial);
  if (zeroed === 0) fail(`${src} has no CUDA sections to drop; re-check the runtime before shipping ${(srcStat.size / 1e9).toFixed(2)} GB`);
  renameSync(partial, dst);
  writeFileSync(stampPath, stamp);
  console.log(`[prepare-platform-package] CPU-only copy: zeroed ${(zeroed / 1e6).toFixed(0)} MB of CUDA device code in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${cacheDir})`);
  return dst;
}

/** Hard link when possible (same file system), else copy. Always yields a regular file. */
function place(src, dst) {
  mkdirSync(dirname(dst), { recursive: true });
  rmSync(dst, { force: true });
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
  if (!lstatSync(dst).isFile()) fail(`${dst} is not a regular file`);
}

// ---- stage --------------------------------------------------------------------------------
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
place(join(pkgDir, 'package.json'), join(out, 'package.json'));
if (existsSync(join(pkgDir, 'README.md'))) place(join(pkgDir, 'README.md'), join(out, 'README.md'));
place(nodeFile, join(out, `lite.${triple}.node`));

const members = [...manifest.files];
for (const member of members) place(shippedFile(member), join(out, 'runtime', member.path));
const cpuNote = !args['full-runtime'] && runtimeKey === 'linux-x64'
  ? '\nChange: in `megengine/core/lib/libmegengine_shared.so` the CUDA device-code sections ' +
    '(`.nv_fatbin`, `__nv_relfatbin`) are overwritten with zeros to fit the npm size limit, so this ' +
    'copy runs on the CPU only. For CUDA, point `LITE_LIB_PATH` at the library of the unmodified wheel.\n'
  : '';
writeFileSync(
  join(out, 'runtime', 'NOTICE.md'),
  `# Runtime\n\nThese libraries come from the MegEngine ${manifest.megengine} wheel \`${manifest.wheel}\` ` +
    `(sha256 ${manifest.sha256}), licensed under the Apache License 2.0 by Megvii Inc.\n${cpuNote}`,
);

let total = 0;
for (const entry of readdirSync(out, { recursive: true })) {
  const st = lstatSync(join(out, entry));
  if (st.isSymbolicLink()) fail(`${entry} is a symlink; the package must hold real files`);
  if (st.isFile()) total += st.size;
}
console.log(`[prepare-platform-package] staged ${platformPkg.name}@${platformPkg.version} in ${out} (${(total / 1e6).toFixed(0)} MB unpacked)`);
