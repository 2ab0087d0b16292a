#!/usr/bin/env node
// Bun for the smoke test under Bun (tools/pack-test/run.sh): the pinned `@oven/bun-linux-x64`
// package from the npm registry, fetched once with `npm pack` (integrity checked) into the
// per-user cache, `<cache>/bun/bun-linux-x64-<version>/bun`. Prints the path of the executable.
// Linux x86-64 only (the only platform the packaging test runs on).
//
//   node tools/runtime/fetch-bun.mjs
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const PIN = {
  name: '@oven/bun-linux-x64',
  version: '1.4.4',
  integrity: 'sha512-CHbbkmHVM28T1GFq+6GL4Ao4ujwwYwj1CxFFwEFzLanPfNsId9AhbIP0Q4reWuWBkGimUkoQygrK7Rgjtj3vog==',
};

function fail(message) {
  console.error(`[fetch-bun] ${message}`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`no pinned Bun for ${process.platform}-${process.arch}`);
const root = process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
const dir = join(root, 'bun', `bun-linux-x64-${PIN.version}`);
const bin = join(dir, 'bun');
if (!existsSync(bin)) {
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const packed = spawnSync('npm', ['pack', `${PIN.name}@${PIN.version}`, '--json', '--silent', '--pack-destination', work], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (packed.status !== 0) fail(`npm pack ${PIN.name}@${PIN.version} failed: ${(packed.stderr || packed.error?.message || '').trim().split('\n').pop()}`);
    const [{ filename }] = JSON.parse(packed.stdout);
    const tgz = join(work, filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
    if (actual !== PIN.integrity) fail(`${filename}: integrity ${actual} is not the pinned ${PIN.integrity}`);
    const r = spawnSync('tar', ['-xzf', tgz, '-C', work, 'package/bin/bun'], { encoding: 'utf8' });
    if (r.status !== 0) fail(`tar failed: ${(r.stderr || r.error?.message || '').trim()}`);
    chmodSync(join(work, 'package', 'bin', 'bun'), 0o755);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, 'package', 'bin', 'bun'), bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
console.log(bin);
