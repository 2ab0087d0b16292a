// The runtime fetcher behind `lite-runtime fetch` (src/runtime/fetch.ts) and the loader's CUDA
// preference. The download/verify/extract logic runs against a local node:http package index
// serving small wheels made here; pip's path runs against the same index. The CUDA runtime
// itself is fetched from the real pinned wheel in the per-user cache (no network) and loaded on
// this CPU-only machine: CUDA kernels themselves cannot run here (no GPU).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiteError } from '../src/errors.js';
import { fetchRuntime, type FetchOptions } from '../src/runtime/fetch.js';
import { MEGENGINE_CUDA_WHEELS, MEGENGINE_WHEELS, type WheelPin } from '../src/runtime/pin.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');

/** A zip file (stored or deflated members, fixed timestamps) as a Buffer. */
function makeZip(members: { name: string; data: Buffer; deflate?: boolean; badCrc?: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const body = m.deflate ? deflateRawSync(m.data) : m.data;
    const name = Buffer.from(m.name);
    const crc = (crc32(m.data) ^ (m.badCrc ? 1 : 0)) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(m.deflate ? 8 : 0, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// A fake runtime: the two "libraries" are recognisable byte patterns, one stored, one deflated.
const LITE = Buffer.from('lite library bytes\n'.repeat(100));
const ENGINE = Buffer.alloc(300_000, 'engine ');
const WHEEL_NAME = 'megengine-1.13.0-py3-none-any.whl';
const wheelMembers = [
  { name: 'megenginelite/libs/liblite.so', data: LITE },
  { name: 'megengine/core/lib/libmegengine_shared.so', data: ENGINE, deflate: true },
  { name: 'megengine-1.13.0.dist-info/METADATA', data: Buffer.from('Metadata-Version: 2.1\nName: megengine\nVersion: 1.13.0\n') },
  { name: 'megengine-1.13.0.dist-info/WHEEL', data: Buffer.from('Wheel-Version: 1.0\nGenerator: lite-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n') },
  { name: 'megengine-1.13.0.dist-info/RECORD', data: Buffer.from('') },
];
const WHEEL = makeZip(wheelMembers);
const BAD_CRC_WHEEL = makeZip(wheelMembers.map((m, i) => ({ ...m, badCrc: i === 1 })));

const pinFor = (wheel: Buffer): WheelPin => ({
  project: 'megengine',
  version: '1.13.0',
  wheel: WHEEL_NAME,
  sha256: sha256(wheel),
  size: wheel.length,
  pip: [],
  members: [
    { from: 'megenginelite/libs/liblite.so', to: 'megenginelite/libs/liblite_shared_whl.so' },
    { from: 'megengine/core/lib/libmegengine_shared.so', to: 'megengine/core/lib/libmegengine_shared.so' },
  ],
});

/** What the local index serves and records. */
const index = {
  wheel: WHEEL,
  listedSha: null as string | null, // the sha256 the project page states (null: the real one)
  html: false, // serve only the PEP 503 HTML page
  requests: [] as string[],
};
let server: Server;
let base = '';
let tmp = '';

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'lite-runtime-fetch-test-'));
  server = createServer((req, res) => {
    index.requests.push(req.url ?? '');
    const listedSha = index.listedSha ?? sha256(index.wheel);
    if (req.url === '/simple/megengine/') {
      if (!index.html && (req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json')) {
        res.setHeader('content-type', 'application/vnd.pypi.simple.v1+json');
        res.end(JSON.stringify({ meta: { 'api-version': '1.0' }, name: 'megengine', files: [{ filename: WHEEL_NAME, url: '../../files/' + WHEEL_NAME, hashes: { sha256: listedSha } }] }));
      } else {
        res.setHeader('content-type', 'text/html');
        res.end(`<!DOCTYPE html><html><body><a href="../../files/${WHEEL_NAME}#sha256=${listedSha}">${WHEEL_NAME}</a></body></html>`);
      }
      return;
    }
    if (req.url === `/files/${WHEEL_NAME}`) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(index.wheel);
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`;
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh cache folder per test, and the fetch options that point at it. */
function freshCache(name: string, extra: Partial<FetchOptions> = {}): { root: string; options: FetchOptions } {
  const root = join(tmp, name);
  index.wheel = WHEEL;
  index.listedSha = null;
  index.html = false;
  index.requests = [];
  return { root, options: { platform: 'linux-x64', cuda: true, pip: false, env: { LITE_CACHE_DIR: root }, pin: pinFor(WHEEL), indexUrl: base, ...extra } };
}

async function rejection(p: Promise<unknown>): Promise<LiteError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LiteError);
  expect((err as LiteError).code).toBe('LITE_RUNTIME_NOT_FOUND');
  return err as LiteError;
}

describe('fetchRuntime against a local package index', () => {
  it('downloads over HTTP (PEP 691 JSON page), verifies, extracts; the second call uses the cache', async () => {
    const { root, options } = freshCache('json');
    const r = await fetchRuntime(options);
    expect(r.source).toBe('index');
    expect(r.dir).toBe(join(root, 'runtime', 'megengine-1.13.0-linux-x64-cuda'));
    expect(readFileSync(r.library).equals(LITE)).toBe(true);
    expect(readFileSync(join(r.dir, 'megengine/core/lib/libmegengine_shared.so')).equals(ENGINE)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(r.dir, 'manifest.json'), 'utf8')) as { sha256: string; cuda: boolean; files: unknown[] };
    expect(manifest).toMatchObject({ sha256: sha256(WHEEL), cuda: true });
    expect(manifest.files).toHaveLength(2);
    expect(readFileSync(join(root, 'wheels', WHEEL_NAME)).equals(WHEEL)).toBe(true);
    expect(index.requests).toEqual(['/simple/megengine/', `/files/${WHEEL_NAME}`]);
    // Only complete folders appear: no partial folder or file is left behind.
    expect(readdirSync(join(root, 'runtime'))).toEqual(['megengine-1.13.0-linux-x64-cuda']);
    expect(readdirSync(join(root, 'wheels'))).toEqual([WHEEL_NAME]);

    index.requests = [];
    const again = await fetchRuntime(options);
    expect(again).toEqual({ ...r, source: 'cache' });
    expect(index.requests).toEqual([]);
  });

  it('reads the PEP 503 HTML page and re-extracts from the cached wheel without downloading', async () => {
    const { root, options } = freshCache('html');
    index.html = true;
    const r = await fetchRuntime(options);
    expect(r.source).toBe('index');
    expect(readFileSync(r.library).equals(LITE)).toBe(true);
    rmSync(r.dir, { recursive: true });
    index.requests = [];
    const again = await fetchRuntime(options);
    expect(again.source).toBe('cache');
    expect(readFileSync(again.library).equals(LITE)).toBe(true);
    expect(index.requests).toEqual([]);
    expect(existsSync(join(root, 'wheels', WHEEL_NAME))).toBe(true);
  });

  it('refuses a wheel whose sha256 is not the pinned one, and keeps nothing', async () => {
    const { root, options } = freshCache('tampered');
    index.wheel = Buffer.concat([WHEEL, Buffer.from('x')]);
    index.listedSha = sha256(WHEEL); // the page states the pinned hash; the file differs
    const err = await rejection(fetchRuntime(options));
    expect(err.message).toMatch(/sha256 mismatch/);
    expect(readdirSync(join(root, 'wheels'))).toEqual([]);
    expect(existsSync(join(root, 'runtime'))).toBe(false);
  });

  it('stops before downloading when the index lists another sha256', async () => {
    const { root, options } = freshCache('listed-other');
    index.listedSha = 'f'.repeat(64);
    const err = await rejection(fetchRuntime(options));
    expect(err.message).toContain(`the index lists ${WHEEL_NAME} with sha256 ${'f'.repeat(64)}`);
    expect(index.requests).toEqual(['/simple/megengine/']);
    expect(existsSync(join(root, 'runtime'))).toBe(false);
  });

  it('refuses a member whose CRC-32 does not match, and leaves no runtime folder', async () => {
    const { root, options } = freshCache('bad-crc', { pin: pinFor(BAD_CRC_WHEEL) });
    index.wheel = BAD_CRC_WHEEL;
    const err = await rejection(fetchRuntime(options));
    expect(err.message).toMatch(/megengine\/core\/lib\/libmegengine_shared\.so: size or CRC-32/);
    expect(readdirSync(join(root, 'runtime'))).toEqual([]);
  });

  it('says what to do when no index is configured and pip may not be used', async () => {
    const { root, options } = freshCache('no-index');
    delete options.indexUrl;
    const err = await rejection(fetchRuntime(options));
    expect(err.message).toContain('no package index URL is configured (LITE_RUNTIME_INDEX_URL or PIP_INDEX_URL)');
    expect(err.message).toContain(join(root, 'wheels'));
    expect(index.requests).toEqual([]);
  });

  it('takes the index URL from LITE_RUNTIME_INDEX_URL', async () => {
    const { root, options } = freshCache('env-index');
    delete options.indexUrl;
    options.env = { LITE_CACHE_DIR: root, LITE_RUNTIME_INDEX_URL: base };
    expect((await fetchRuntime(options)).source).toBe('index');
  });

  it('downloads with pip from the same index when HTTP is off (skipped without pip)', async (ctx) => {
    const pip = spawnSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (pip.status !== 0) {
      ctx.skip('no `python3 -m pip` on this machine');
      return;
    }
    const { options } = freshCache('pip', { pip: true, http: false });
    index.html = true; // what pip reads
    const r = await fetchRuntime(options);
    expect(r.source).toBe('pip');
    expect(readFileSync(r.library).equals(LITE)).toBe(true);
    expect(index.requests).toContain(`/files/${WHEEL_NAME}`);
  }, 60_000);
});

describe('the release pin', () => {
  it('equals tools/runtime/runtime.json (the repo setup pin)', () => {
    const json = JSON.parse(readFileSync(join(repo, 'tools/runtime/runtime.json'), 'utf8')) as {
      megengine: string;
      platforms: Record<string, { wheel: string; sha256: string; size: number; pip: string[]; lite: { from: string; to: string }; libs: string[] }>;
    };
    expect(Object.keys(MEGENGINE_WHEELS).sort()).toEqual(Object.keys(json.platforms).sort());
    for (const [key, p] of Object.entries(json.platforms)) {
      const pin = MEGENGINE_WHEELS[key]!;
      expect({ version: pin.version, wheel: pin.wheel, sha256: pin.sha256, size: pin.size, pip: pin.pip }).toEqual({
        version: json.megengine,
        wheel: p.wheel,
        sha256: p.sha256,
        size: p.size,
        pip: p.pip,
      });
      expect(pin.members).toEqual([p.lite, ...p.libs.map((l) => ({ from: l, to: l }))]);
    }
    expect(MEGENGINE_CUDA_WHEELS['linux-x64']).toBe(MEGENGINE_WHEELS['linux-x64']);
  });
});

// The real thing, offline: the pinned 937 MB wheel is already in the per-user cache (setup).
describe.runIf(process.platform === 'linux' && process.arch === 'x64')('lite-runtime fetch --cuda and the loader (real wheel, no GPU)', () => {
  const cli = join(here, '..', 'dist', 'cli.cjs');
  const core = join(here, '..', 'dist', 'index.cjs');
  const pin = MEGENGINE_CUDA_WHEELS['linux-x64']!;
  let root = '';
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LITE_CACHE_DIR: root, ...env },
    });
  const loadedFrom = (env: Record<string, string>) =>
    run(['-e', `const c = require(${JSON.stringify(core)}); try { new c.LiteNetwork().dispose(); console.log(require('module').createRequire(${JSON.stringify(core)})('@lite/binding').loadRuntime()); } catch (e) { console.log(e.code + ': ' + e.message); }`], env);

  beforeAll(() => {
    root = join(tmp, 'real');
    const sharedWheel = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'lite-node', 'wheels', pin.wheel);
    const wheel = process.env.LITE_CACHE_DIR ? join(process.env.LITE_CACHE_DIR, 'wheels', pin.wheel) : sharedWheel;
    expect(existsSync(wheel), `${wheel} is missing: run \`pnpm run setup\``).toBe(true);
    mkdirSync(join(root, 'wheels'), { recursive: true });
    linkSync(wheel, join(root, 'wheels', pin.wheel)); // same file system: the cache and tmp live on /
  });

  it('without a fetch, LITE_DEVICE=cuda fails with one clear error naming the command', () => {
    expect(run([cli, 'path', '--cuda']).status).toBe(1);
    const out = loadedFrom({ LITE_DEVICE: 'cuda' }).stdout;
    expect(out).toMatch(/^LITE_RUNTIME_NOT_FOUND: the CUDA runtime was asked for/);
    expect(out).toContain('npx lite-runtime fetch --cuda');
  });

  it('fetch --cuda verifies the pinned wheel and extracts the unmodified libraries (plain Node)', () => {
    const r = run([cli, 'fetch', '--cuda', '--no-pip'], { LITE_RUNTIME_INDEX_URL: '' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('already cached');
    const dir = join(root, 'runtime', 'megengine-1.13.0-linux-x64-cuda');
    expect(statSync(join(dir, 'megengine/core/lib/libmegengine_shared.so')).size).toBe(1_571_279_640);
    expect(statSync(join(dir, 'megengine/core/lib/libnvrtc.so.10.1')).size).toBe(21_795_560);
    expect(run([cli, 'path', '--cuda']).stdout.trim()).toBe(join(dir, 'megenginelite/libs/liblite_shared_whl.so'));
  }, 120_000);

  it('the loader prefers it with LITE_DEVICE=cuda or after `lite-runtime use cuda`; LITE_LIB_PATH still wins', () => {
    const cudaLib = join(root, 'runtime', 'megengine-1.13.0-linux-x64-cuda', 'megenginelite/libs/liblite_shared_whl.so');
    expect(loadedFrom({ LITE_DEVICE: 'cuda' }).stdout.trim()).toBe(cudaLib);
    expect(loadedFrom({}).stdout.trim()).not.toBe(cudaLib); // no request: the CPU runtime
    expect(run([cli, 'use', 'cuda']).status).toBe(0);
    expect(loadedFrom({}).stdout.trim()).toBe(cudaLib);
    expect(loadedFrom({ LITE_DEVICE: 'cpu' }).stdout.trim()).not.toBe(cudaLib);
    const other = join(tmp, 'no-such-lib.so');
    expect(loadedFrom({ LITE_LIB_PATH: other }).stdout).toContain(other);
    expect(run([cli, 'use', 'cpu']).status).toBe(0);
    expect(loadedFrom({}).stdout.trim()).not.toBe(cudaLib);
  }, 60_000);
});
