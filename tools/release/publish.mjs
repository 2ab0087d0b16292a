#!/usr/bin/env node
// Publishes every public package whose current version is not on the registry yet, runtime
// packages first (MegEngine and MindSpore, the optional dependencies of @lite/core and
// @lite/mindspore), then the platform bindings, then @lite/binding, @lite/core and the add-ons
// (@lite/mindspore among them), so nothing ever points at a version that does not exist. Workspace
// packages are packed with `pnpm pack` (which turns `workspace:` ranges into real versions), then
// published with `npm publish <tarball>`. Prints "New tag: <name>@<version>" for each one, which
// changesets/action turns into git tags and GitHub releases.
//
//   node tools/release/publish.mjs --platform-tarballs <dir> [--platforms <t1,t2>] [--registry <url>] [--dry-run]
//
// <dir> holds the lite-runtime-megengine-<triple>-<version>.tgz and lite-binding-<triple>-<version>.tgz
// files made by the CI build matrix (tools/release/prepare-platform-package.mjs + npm pack) and the
// lite-runtime-mindspore-<triple>-<version>.tgz files of every runtimes/mindspore/<triple>
// (tools/release/prepare-mindspore-runtime.mjs + npm pack, in the mindspore-runtime jobs). A
// runtime package is versioned on its own (the engine version it carries): an already published
// version is skipped, so a binding release does not publish the engine again.
//
// The registry is npm's configured one (the public registry in the release workflow, with
// provenance: `npm publish --provenance`), or --registry <url> (the local registry of
// `pnpm run release:local` and the packaging test: no provenance, which only a CI workflow can
// sign). Nothing else differs: the credentials come from npm's configuration either way.
// --platforms limits the platform packages to some triples (default: every napi target), for a
// registry that serves one machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    'platform-tarballs': { type: 'string' },
    platforms: { type: 'string' },
    registry: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});
const dryRun = args['dry-run'];
const fail = (m) => {
  console.error(`[publish] ${m}`);
  process.exit(1);
};

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const binding = readJson(join(repo, 'crates/lite-napi/package.json'));
const allTriples = binding.napi.targets.map((t) =>
  ({ 'x86_64-unknown-linux-gnu': 'linux-x64-gnu', 'x86_64-apple-darwin': 'darwin-x64', 'aarch64-unknown-linux-gnu': 'linux-arm64-gnu' })[t] ?? fail(`no triple known for ${t}`),
);
const triples = args.platforms ? args.platforms.split(',').map((t) => t.trim()).filter(Boolean) : allTriples;
for (const t of triples) if (!allTriples.includes(t)) fail(`--platforms: ${t} is not a target of @lite/binding (${allTriples.join(', ')})`);
// --registry: another registry than npm's configured one (a local one: no provenance).
const registryArgs = args.registry ? ['--registry', args.registry] : [];
const provenance = !args.registry;

// Workspace packages in publish order: binding, common (what both engines depend on), core, then
// the other packages (@lite/mindspore and the add-ons).
const addOns = readdirSync(join(repo, 'packages'))
  .filter((d) => d !== 'core' && d !== 'common' && existsSync(join(repo, 'packages', d, 'package.json')))
  .map((d) => `packages/${d}`)
  .filter((d) => !readJson(join(repo, d, 'package.json')).private);
const workspaceDirs = ['crates/lite-napi', 'packages/common', 'packages/core', ...addOns];

function published(name, version) {
  const r = spawnSync('npm', ['view', `${name}@${version}`, 'version', ...registryArgs], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === version;
}

// Provenance is only accepted when package.json "repository" names the repo the workflow runs
// in; fill it in (in this CI checkout only) when a package does not declare one.
function ensureRepository(dir) {
  const file = join(dir, 'package.json');
  const pkg = readJson(file);
  if (pkg.repository) return;
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: slug } = process.env;
  if (!server || !slug) fail(`${pkg.name} has no "repository" field, which npm provenance needs`);
  pkg.repository = { type: 'git', url: `git+${server}/${slug}.git`, directory: dir.slice(repo.length + 1) };
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

// Token fallback for packages not yet set up for trusted publishing (a first publish).
if (process.env.NPM_TOKEN && !dryRun && provenance) {
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  execFileSync('npm', ['config', 'set', `${registry.replace(/^https?:/, '')}:_authToken`, process.env.NPM_TOKEN]);
}

const out = mkdtempSync(join(tmpdir(), 'lite-publish-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));
const queue = [];
const tarballDir = resolve(args['platform-tarballs'] ?? fail('--platform-tarballs <dir> is needed'));
const runtimeTriples = [
  // MegEngine publishes no runtime for every triple the binding is built for (none for linux-arm64).
  ...triples.filter((triple) => existsSync(join(repo, 'runtimes/megengine', triple, 'package.json'))).map((triple) => ['megengine', triple]),
  ...readdirSync(join(repo, 'runtimes/mindspore')).filter((triple) => triples.includes(triple)).map((triple) => ['mindspore', triple]),
];
for (const [engine, triple] of runtimeTriples) {
  const runtime = readJson(join(repo, 'runtimes', engine, triple, 'package.json'));
  const tgz = join(tarballDir, `lite-runtime-${engine}-${triple}-${runtime.version}.tgz`);
  if (!existsSync(tgz)) fail(`${basename(tgz)} is missing: the ${engine} ${triple} build job did not produce it`);
  queue.push({ name: runtime.name, version: runtime.version, tgz });
}
for (const triple of triples) {
  const name = `@lite/binding-${triple}`;
  const tgz = join(tarballDir, `lite-binding-${triple}-${binding.version}.tgz`);
  if (!existsSync(tgz)) fail(`${basename(tgz)} is missing: the ${triple} build job did not produce it`);
  queue.push({ name, version: binding.version, tgz });
}
for (const dir of workspaceDirs) {
  const abs = join(repo, dir);
  const pkg = readJson(join(abs, 'package.json'));
  if (published(pkg.name, pkg.version)) continue;
  if (provenance) ensureRepository(abs);
  const r = spawnSync('pnpm', ['pack', '--pack-destination', out], { cwd: abs, encoding: 'utf8' });
  if (r.status !== 0) fail(`pnpm pack failed in ${dir}: ${r.stderr}`);
  const tgz = readdirSync(out).map((f) => join(out, f)).find((f) => basename(f).startsWith(`${pkg.name.slice(1).replace('/', '-')}-${pkg.version}`));
  queue.push({ name: pkg.name, version: pkg.version, tgz });
}

for (const { name, version, tgz } of queue) {
  if (published(name, version)) {
    console.log(`[publish] ${name}@${version} is already published`);
    continue;
  }
  const cmd = ['publish', tgz, ...(provenance ? ['--provenance'] : []), '--access', 'public', ...registryArgs, ...(dryRun ? ['--dry-run'] : [])];
  console.log(`[publish] npm ${cmd.join(' ')}`);
  const r = spawnSync('npm', cmd, { stdio: 'inherit' });
  if (r.status !== 0) fail(`publishing ${name}@${version} failed`);
  if (!dryRun) console.log(`New tag: ${name}@${version}`);
}
