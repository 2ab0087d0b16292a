#!/usr/bin/env node
// Stages @lite/runtime-mindspore-<triple> (runtimes/mindspore/<triple>/) for publishing:
//
//   package.json, README.md, LICENSE (Apache-2.0, the project's and MindSpore Lite's license),
//   runtime/<the CPU libraries of the pinned mindspore-lite wheel>   (linux-x64: 11, linux-arm64: 10)
//   runtime/liblite_mindspore_shim.so, runtime/liblite_mindspore_logquiet.so   (our shim, built for <triple>)
//   runtime/Third_Party_Open_Source_Software_Notice   (from the mindspore 2.0.0 wheel; mindspore-notices.mjs)
//   runtime/NOTICE.md                                  (where every file came from)
//
// The runtime folder is the one tools/runtime/fetch-runtime.mjs --engine mindspore [--platform <key>]
// wrote to the per-user cache (its manifest.json lists the libraries). The shim must already be
// built there for <triple> (natively by the fetch; for linux-arm64 with CXX/CC set to an aarch64
// cross compiler, as the release workflow does); every staged library is checked to be an ELF64
// for <triple>'s machine. Staging fails when the notices cannot be obtained: the package is never
// staged without them.
//
//   node tools/release/prepare-mindspore-runtime.mjs --target linux-x64-gnu --out <dir> [--runtime <dir>]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHIM_OUTPUTS } from '../runtime/build-mindspore-shim.mjs';
import { readElfFile } from './elf64.mjs';
import { NOTICES_FILE, ensureNotices, noticesPin } from './mindspore-notices.mjs';
import { withPlatformFields } from './platform-fields.mjs';
import { place, stagedBytes } from './stage-files.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** napi-rs triple → the runtime pin key and the ELF e_machine its libraries must have. */
export const MINDSPORE_TRIPLES = {
  'linux-x64-gnu': { key: 'linux-x64', machine: 62, arch: 'x86_64' },
  'linux-arm64-gnu': { key: 'linux-arm64', machine: 183, arch: 'aarch64' },
};

function fail(message) {
  console.error(`[prepare-mindspore-runtime] ${message}`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: { target: { type: 'string' }, out: { type: 'string' }, runtime: { type: 'string' } },
});
const triple = args.target ?? fail('--target <triple> is needed (linux-x64-gnu or linux-arm64-gnu)');
const target = MINDSPORE_TRIPLES[triple] ?? fail(`unknown target ${triple}; known: ${Object.keys(MINDSPORE_TRIPLES).join(', ')}`);
const out = resolve(args.out ?? fail('--out <dir> is needed'));
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const pkgDir = join(repo, 'runtimes', 'mindspore', triple);
const pkg = readJson(join(pkgDir, 'package.json'));
const pin = readJson(join(repo, 'tools', 'runtime', 'mindspore-runtime.json'));

const cacheRoot = process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
const runtimeDir = resolve(args.runtime ?? join(cacheRoot, 'runtime', `mindspore-${pin.mindspore}-${target.key}`));
const manifestPath = join(runtimeDir, 'manifest.json');
if (!existsSync(manifestPath)) {
  fail(`${manifestPath} is missing: run node tools/runtime/fetch-runtime.mjs --engine mindspore --platform ${target.key} first`);
}
const manifest = readJson(manifestPath);
if (manifest.platform !== target.key) fail(`${runtimeDir} holds the ${manifest.platform} runtime, ${triple} needs ${target.key}`);
if (pkg.liteRuntime?.version !== manifest.mindspore) fail(`${pkg.name} says MindSpore ${pkg.liteRuntime?.version}, the fetched runtime is ${manifest.mindspore}`);
const spec = pin.platforms[target.key];
if (manifest.sha256 !== spec.sha256) fail(`${runtimeDir} came from a wheel with sha256 ${manifest.sha256}, the pin is ${spec.sha256}: fetch again`);

const libs = manifest.files.map((f) => f.path).filter((p) => !p.startsWith('include/'));
const missingLibs = spec.libs.filter((l) => !libs.includes(l));
if (missingLibs.length) fail(`${runtimeDir} lacks ${missingLibs.join(', ')}`);
const shipped = [...libs, ...SHIM_OUTPUTS];
for (const name of shipped) {
  const file = join(runtimeDir, name);
  if (!existsSync(file)) {
    fail(
      SHIM_OUTPUTS.includes(name)
        ? `${file} is missing: build the shim for ${triple} (CXX/CC = a ${target.arch} compiler) with node tools/runtime/build-mindspore-shim.mjs --dir ${runtimeDir}`
        : `${file} is missing: fetch the runtime again`,
    );
  }
  let machine;
  try {
    machine = readElfFile(file).ehdr.machine;
  } catch (err) {
    fail(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (machine !== target.machine) fail(`${file} is built for ELF machine ${machine}, ${triple} needs ${target.machine} (${target.arch})`);
}

let notices;
try {
  notices = await ensureNotices();
} catch (err) {
  fail(`${err instanceof Error ? err.message : String(err)}. ${pkg.name} is not staged without the third-party notices.`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let published;
try {
  published = withPlatformFields(pkg); // os/cpu/libc from publishConfig to the top level
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
writeFileSync(join(out, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
place(join(pkgDir, 'README.md'), join(out, 'README.md'));
place(join(repo, 'LICENSE'), join(out, 'LICENSE')); // our shim's; the engine's notices are in runtime/
for (const name of shipped) place(join(runtimeDir, name), join(out, 'runtime', name));
place(notices, join(out, 'runtime', NOTICES_FILE));
const np = noticesPin();
writeFileSync(
  join(out, 'runtime', 'NOTICE.md'),
  `# Runtime\n\nThe ${libs.length} libraries come from the MindSpore Lite ${manifest.mindspore} wheel \`${manifest.wheel}\` ` +
    `(sha256 ${manifest.sha256}), unchanged, licensed under the Apache License 2.0 by The MindSpore Authors.\n\n` +
    `\`${NOTICES_FILE}\` is MindSpore's notice for the third-party open source software in them, unchanged, ` +
    `from \`${np.member}\` of the \`${np.wheel}\` wheel (sha256 ${np.sha256}); the mindspore-lite wheel ships none.\n\n` +
    `${SHIM_OUTPUTS.map((f) => `\`${f}\``).join(' and ')} are this project's C shim (crates/mindspore-sys/shim), ` +
    `built for ${target.arch}, Apache License 2.0.\n`,
);
let total;
try {
  total = stagedBytes(out);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
console.log(`[prepare-mindspore-runtime] staged ${pkg.name}@${pkg.version} in ${out} (${shipped.length + 2} runtime files, ${(total / 1e6).toFixed(1)} MB unpacked)`);
