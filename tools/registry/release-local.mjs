#!/usr/bin/env node
// `pnpm run release:local`: the release path, into the local registry of `pnpm run registry`.
//
//   1. `changeset version` in a temporary copy of this checkout (it rewrites versions and
//      changelogs; the checkout itself is never modified), as the "Version Packages" pull
//      request of the release workflow does;
//   2. this platform's binding and runtime packages staged and packed (tools/release/pack-set.mjs
//      --platform-only);
//   3. tools/release/publish.mjs, the publish step of a public release, with --registry <local
//      url> (so no provenance) and --platforms <this triple>; its credentials are a user created
//      in the local registry, given to npm in a temporary npmrc (npm_config_userconfig).
//
//   pnpm run release:local [--registry <url>]     default: LITE_REGISTRY_URL, else
//                                                 http://127.0.0.1:${LITE_REGISTRY_PORT:-4873}/
//
// Versions already in the registry are skipped (as on the public registry), so a second run
// publishes only what changed: add a changeset (`pnpm changeset`), run `changeset version` in the
// checkout (the merged "Version Packages" pull request) and run this again for a patch release.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { copyRepo } from '../release/repo-copy.mjs';
import { createUser, registryUrl, waitForRegistry } from './registry.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({ options: { registry: { type: 'string' } } });
const fail = (m) => {
  console.error(`[release:local] ${m}`);
  process.exit(1);
};
const url = new URL(args.registry ?? process.env.LITE_REGISTRY_URL ?? registryUrl(Number(process.env.LITE_REGISTRY_PORT || 4873))).href;
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(url)) fail(`${url} is not a local registry (127.0.0.1 or localhost); public releases go through the release workflow`);

const triple = { 'linux-x64': 'linux-x64-gnu', 'linux-arm64': 'linux-arm64-gnu', 'darwin-x64': 'darwin-x64' }[`${process.platform}-${process.arch}`];
if (!triple) fail(`no platform packages are built for ${process.platform}-${process.arch}`);

try {
  await waitForRegistry(url, 30_000);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const work = mkdtempSync(join(tmpdir(), 'lite-release-local-'));
const cleanup = () => rmSync(work, { recursive: true, force: true });
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

// The environment without what `pnpm run` adds for its own scripts (npm_config_catalog and the
// like): npm would warn "Unknown env config" about each on every call.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k)));

function run(cmd, argv, cwd, env = baseEnv) {
  const r = spawnSync(cmd, argv, { cwd, env, stdio: 'inherit' });
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

const copy = join(work, 'repo');
copyRepo(repo, copy);
console.log('[release:local] changeset version (in a temporary copy of the checkout)');
run(join(copy, 'node_modules/.bin/changeset'), ['version'], copy);
const versions = ['packages/core', 'packages/mindspore', 'crates/lite-napi'].map((d) => {
  const p = JSON.parse(readFileSync(join(copy, d, 'package.json'), 'utf8'));
  return `${p.name}@${p.version}`;
});
console.log(`[release:local] versions: ${versions.join(', ')}`);

console.log(`[release:local] staging and packing the ${triple} binding and runtime packages`);
const platformTarballs = join(work, 'platform-tarballs');
run(process.execPath, [join(copy, 'tools/release/pack-set.mjs'), '--platform-only', '--out', platformTarballs, '--quiet'], copy);

const token = await createUser(url, `release-${Date.now().toString(36)}`).catch((err) => fail(err instanceof Error ? err.message : String(err)));
const npmrc = join(work, 'npmrc');
writeFileSync(npmrc, `${url.replace(/^http:/, '')}:_authToken=${token}\n`, { mode: 0o600 });
console.log(`[release:local] publishing to ${url} (tools/release/publish.mjs --registry ${url} --platforms ${triple})`);
run(
  process.execPath,
  [join(copy, 'tools/release/publish.mjs'), '--platform-tarballs', platformTarballs, '--platforms', triple, '--registry', url],
  copy,
  // npm's notices (every file of every tarball) stay out of a local release's output.
  { ...baseEnv, npm_config_userconfig: npmrc, npm_config_update_notifier: 'false', npm_config_loglevel: 'warn' },
);
console.log(`[release:local] done: ${readdirSync(platformTarballs).length} platform packages staged; install with @lite:registry=${url} in your project's .npmrc`);
