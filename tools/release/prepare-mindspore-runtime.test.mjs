// Tests of the MindSpore runtime package staging (prepare-mindspore-runtime.mjs) on the real
// runtime in the per-user cache (`node tools/runtime/fetch-runtime.mjs --engine mindspore`, part of
// `pnpm run setup`) and the cached third-party notices (mindspore-notices.mjs):
//
//   node --test tools/release/prepare-mindspore-runtime.test.mjs
//
// - the staged linux-x64-gnu package holds exactly the pinned libraries, our shim, the notices
//   and NOTICE.md, each byte-identical to its source; the notices are the pinned wheel's (stamp);
// - without the notices (empty cache, no pip reachable) staging fails naming them, and stages nothing;
// - a library built for another machine (the shim vs. the linux-arm64-gnu target) is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SHIM_OUTPUTS } from '../runtime/build-mindspore-shim.mjs';
import { NOTICES_FILE, cachedNotices, noticesPin } from './mindspore-notices.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(repo, 'tools/release/prepare-mindspore-runtime.mjs');
const pin = JSON.parse(readFileSync(join(repo, 'tools/runtime/mindspore-runtime.json'), 'utf8'));
const runtimeDir = spawnSync(process.execPath, [join(repo, 'tools/runtime/fetch-runtime.mjs'), '--engine', 'mindspore', '--print'], {
  encoding: 'utf8',
  env: { ...process.env, MINDSPORE_LITE_LIB_DIR: '' },
}).stdout.trim();
const ready = existsSync(join(runtimeDir, 'manifest.json')) && SHIM_OUTPUTS.every((f) => existsSync(join(runtimeDir, f)));
const skip = !ready
  ? 'the MindSpore runtime is not fetched (node tools/runtime/fetch-runtime.mjs --engine mindspore)'
  : !cachedNotices()
    ? 'the MindSpore notices are not cached (node tools/release/mindspore-notices.mjs)'
    : false;

let tmp;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'lite-ms-stage-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const stage = (args, env = process.env) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env });

describe('prepare-mindspore-runtime', { skip }, () => {
  it('stages the pinned libraries, the shim and the notices, byte-identical', () => {
    const out = join(tmp, 'x64');
    const r = stage(['--target', 'linux-x64-gnu', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(join(out, 'runtime')).sort();
    const expected = [...pin.platforms['linux-x64'].libs, ...SHIM_OUTPUTS, NOTICES_FILE, 'NOTICE.md'].sort();
    assert.deepEqual(files, expected);
    assert.equal(pin.platforms['linux-x64'].libs.length, 11);
    for (const f of [...pin.platforms['linux-x64'].libs, ...SHIM_OUTPUTS]) {
      assert.ok(readFileSync(join(out, 'runtime', f)).equals(readFileSync(join(runtimeDir, f))), f);
    }
    const notices = readFileSync(join(out, 'runtime', NOTICES_FILE), 'utf8');
    assert.ok(notices.startsWith('OPEN SOURCE SOFTWARE NOTICE'), 'the notices file starts with its title');
    const stamp = JSON.parse(readFileSync(join(dirname(cachedNotices()), 'source.json'), 'utf8'));
    assert.equal(stamp.sha256, noticesPin().sha256);
    assert.match(readFileSync(join(out, 'runtime', 'NOTICE.md'), 'utf8'), new RegExp(pin.platforms['linux-x64'].sha256));
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    assert.equal(pkg.name, '@lite/runtime-mindspore-linux-x64-gnu');
    assert.equal(pkg.liteRuntime.version, pin.mindspore);
    // npm picks the platform package by these top-level fields (kept in publishConfig in the workspace).
    assert.deepEqual([pkg.os, pkg.cpu, pkg.libc], [['linux'], ['x64'], ['glibc']]);
    assert.deepEqual(pkg.publishConfig, { access: 'public' });
  });

  it('fails, naming the notices, when they cannot be obtained, and stages nothing', () => {
    const out = join(tmp, 'no-notices');
    const bin = join(tmp, 'bin'); // node only: no python, so no pip to fetch the notices wheel
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = stage(['--target', 'linux-x64-gnu', '--out', out, '--runtime', runtimeDir], {
      HOME: tmp,
      PATH: bin,
      LITE_CACHE_DIR: join(tmp, 'empty-cache'),
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /third-party notices/);
    assert.match(r.stderr, /is not staged without the third-party notices/);
    assert.equal(existsSync(out), false);
  });

  it('refuses a library built for another machine', () => {
    // The x64 runtime (symlinked) under a linux-arm64 manifest.
    const fake = join(tmp, 'fake-arm64');
    mkdirSync(fake);
    for (const f of readdirSync(runtimeDir)) symlinkSync(join(runtimeDir, f), join(fake, f));
    rmSync(join(fake, 'manifest.json'));
    const manifest = JSON.parse(readFileSync(join(runtimeDir, 'manifest.json'), 'utf8'));
    manifest.platform = 'linux-arm64';
    manifest.sha256 = pin.platforms['linux-arm64'].sha256;
    writeFileSync(join(fake, 'manifest.json'), JSON.stringify(manifest));
    const out = join(tmp, 'arm64');
    const r = stage(['--target', 'linux-arm64-gnu', '--out', out, '--runtime', fake]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /built for ELF machine 62, linux-arm64-gnu needs 183 \(aarch64\)/);
    assert.equal(existsSync(out), false);
  });
});
