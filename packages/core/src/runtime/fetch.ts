// Fetching a MegEngine runtime into the per-user cache, on request only (the `lite-runtime`
// command; never at install time):
//
//   ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/lite-node}/
//     wheels/<wheel>                                       the verified wheel (re-extraction is offline)
//     runtime/megengine-<version>-<os>-<arch>[-cuda]/      the wheel's files + manifest.json
//     config.json                                          { "device": "cuda" | "cpu" } (`lite-runtime use`)
//
// The wheel comes from a package index over plain HTTP(S) (the index's "simple" project page,
// JSON or HTML, names the file's URL) or, when no index URL is configured or that fails, from
// `pip download`. Its sha256 must equal the pin before anything is extracted; extraction is
// plain Node (zip central directory + raw inflate, CRC-32 checked). A runtime folder appears
// only complete (it is written beside and renamed into place).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { LiteError } from '../errors.js';
import { MEGENGINE_CUDA_WHEELS, MEGENGINE_WHEELS, type WheelPin } from './pin.js';

/** Environment variable naming the package index (a "simple" index root) to download from. */
export const INDEX_URL_ENV = 'LITE_RUNTIME_INDEX_URL';

/** The cache root, or null when no cache location can be derived from the environment. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LITE_CACHE_DIR) return env.LITE_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'lite-node');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'lite-node') : null;
}

/** `<os>-<arch>` of this process, the platform keys of the pins. */
export function platformKey(): string {
  return `${process.platform}-${process.arch}`;
}

/** The pin of the CPU or CUDA runtime of `platform`, or undefined when there is none. */
export function runtimePin(platform: string, cuda: boolean): WheelPin | undefined {
  return (cuda ? MEGENGINE_CUDA_WHEELS : MEGENGINE_WHEELS)[platform];
}

/** The runtime folder of a pin in the cache. */
export function runtimeDir(root: string, pin: WheelPin, platform: string, cuda: boolean): string {
  return join(root, 'runtime', `${pin.project}-${pin.version}-${platform}${cuda ? '-cuda' : ''}`);
}

/** The lite library of the cached CUDA runtime of this platform, if it was fetched. */
export function cachedCudaLibrary(env: NodeJS.ProcessEnv = process.env): string | null {
  const root = cacheRoot(env);
  const pin = runtimePin(platformKey(), true);
  if (!root || !pin || !pin.members[0]) return null;
  const dir = runtimeDir(root, pin, platformKey(), true);
  return manifestComplete(dir, pin) ? join(dir, pin.members[0].to) : null;
}

/** The device the per-user config (`lite-runtime use`) asks for, if any. */
export function configuredDevice(env: NodeJS.ProcessEnv = process.env): 'cuda' | 'cpu' | null {
  const root = cacheRoot(env);
  if (!root) return null;
  try {
    const device = (JSON.parse(readFileSync(join(root, 'config.json'), 'utf8')) as { device?: unknown }).device;
    return device === 'cuda' || device === 'cpu' ? device : null;
  } catch {
    return null;
  }
}

/** Writes the per-user device choice read by {@link configuredDevice}. */
export function writeConfiguredDevice(device: 'cuda' | 'cpu', env: NodeJS.ProcessEnv = process.env): string {
  const root = cacheRoot(env);
  if (!root) throw new LiteError('LITE_RUNTIME_NOT_FOUND', 'no cache folder: set LITE_CACHE_DIR or HOME');
  mkdirSync(root, { recursive: true });
  const file = join(root, 'config.json');
  writeFileSync(file, `${JSON.stringify({ device }, null, 2)}\n`);
  return file;
}

interface Manifest {
  sha256?: unknown;
  files?: { path: string; size: number }[];
}

function manifestComplete(dir: string, pin: WheelPin): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return (
      m.sha256 === pin.sha256 &&
      Array.isArray(m.files) &&
      m.files.length === pin.members.length &&
      m.files.every((f) => existsSync(join(dir, f.path)) && statSync(join(dir, f.path)).size === f.size)
    );
  } catch {
    return false;
  }
}

/** What {@link fetchRuntime} did. */
export interface FetchResult {
  /** The lite library to load (the first member). */
  library: string;
  dir: string;
  /** Where the wheel came from: the cache (nothing downloaded), the index over HTTP(S), or pip. */
  source: 'cache' | 'index' | 'pip';
}

/** Options of {@link fetchRuntime}. */
export interface FetchOptions {
  platform?: string;
  cuda?: boolean;
  /** A "simple" index root; default: `LITE_RUNTIME_INDEX_URL`, then `PIP_INDEX_URL`. */
  indexUrl?: string;
  /** Whether to download from the index over HTTP(S) first (default true). */
  http?: boolean;
  /** Whether `pip download` may be used when that fails or is off (default true). */
  pip?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Tests only: another pin than the release's. */
  pin?: WheelPin;
}

const fail = (message: string): never => {
  throw new LiteError('LITE_RUNTIME_NOT_FOUND', message);
};

/** Downloads (if needed), verifies and extracts a pinned runtime into the cache. */
export async function fetchRuntime(options: FetchOptions = {}): Promise<FetchResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const platform = options.platform ?? platformKey();
  const cuda = options.cuda ?? false;
  const pin =
    options.pin ??
    runtimePin(platform, cuda) ??
    fail(
      `no ${cuda ? 'CUDA ' : ''}MegEngine runtime is published for ${platform} (available: ${Object.keys(cuda ? MEGENGINE_CUDA_WHEELS : MEGENGINE_WHEELS).join(', ')})`,
    );
  const root = cacheRoot(env) ?? fail('no cache folder: set LITE_CACHE_DIR or HOME');
  const dir = runtimeDir(root, pin, platform, cuda);
  const first = pin.members[0] ?? fail('the pin lists no files');
  if (manifestComplete(dir, pin)) return { library: join(dir, first.to), dir, source: 'cache' };

  const wheelDir = join(root, 'wheels');
  const wheel = join(wheelDir, pin.wheel);
  mkdirSync(wheelDir, { recursive: true });
  let source: FetchResult['source'] = 'cache';
  if (!(existsSync(wheel) && statSync(wheel).size === pin.size && (await sha256File(wheel)) === pin.sha256)) {
    rmSync(wheel, { force: true });
    const indexUrl = options.indexUrl ?? (env[INDEX_URL_ENV] || env.PIP_INDEX_URL || undefined);
    const errors: string[] = [];
    if (indexUrl && options.http !== false) {
      try {
        log(`downloading ${pin.wheel} (${(pin.size / 1e6).toFixed(0)} MB) from the package index ...`);
        await downloadFromIndex(indexUrl, pin, wheel);
        source = 'index';
      } catch (err) {
        errors.push(`index ${indexUrl}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else if (options.http !== false) {
      errors.push(`no package index URL is configured (${INDEX_URL_ENV} or PIP_INDEX_URL)`);
    }
    if (source === 'cache' && options.pip !== false) {
      log(`downloading ${pin.wheel} with pip ...`);
      const why = await pipDownload(pin, wheelDir, indexUrl);
      if (why) errors.push(why);
      else source = 'pip';
    }
    if (source === 'cache') {
      fail(
        `could not download ${pin.wheel}: ${errors.join('; ')}. Set ${INDEX_URL_ENV} to a package index, install Python 3 with pip, ` +
          `or put the wheel (sha256 ${pin.sha256}) into ${wheelDir} by hand.`,
      );
    }
    const digest = await sha256File(wheel);
    if (digest !== pin.sha256) {
      rmSync(wheel, { force: true });
      fail(`sha256 mismatch for ${pin.wheel}: expected ${pin.sha256}, got ${digest}; the file was removed`);
    }
  }

  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const files = await extractMembers(wheel, pin, staging);
    writeFileSync(
      join(staging, 'manifest.json'),
      `${JSON.stringify({ engine: pin.project, version: pin.version, platform, cuda, wheel: pin.wheel, sha256: pin.sha256, files }, null, 2)}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { library: join(dir, first.to), dir, source };
}

// Also in tools/runtime/fetch-runtime.mjs, on purpose: that script runs in `tools/setup.sh`
// before anything is built, so it cannot import this package (or @lite/common).
function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Finds the wheel on the index's project page (PEP 691 JSON, else PEP 503 HTML) and downloads it. */
async function downloadFromIndex(indexUrl: string, pin: WheelPin, dest: string): Promise<void> {
  const page = new URL(`${pin.project.toLowerCase()}/`, indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`);
  const res = await fetch(page, { headers: { Accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1' } });
  if (!res.ok) throw new Error(`${page.href} answered HTTP ${res.status}`);
  const body = await res.text();
  const listed = (res.headers.get('content-type') ?? '').includes('json') ? filesFromJson(body) : filesFromHtml(body);
  const file = listed.find((f) => f.filename === pin.wheel) ?? fail(`${pin.wheel} is not listed on ${page.href}`);
  if (file.sha256 && file.sha256 !== pin.sha256) fail(`the index lists ${pin.wheel} with sha256 ${file.sha256}, the pin says ${pin.sha256}`);
  const url = new URL(file.url, res.url || page);
  const wheelRes = await fetch(url);
  if (!wheelRes.ok || !wheelRes.body) throw new Error(`${url.href} answered HTTP ${wheelRes.status}`);
  const partial = `${dest}.partial-${process.pid}`;
  try {
    await pipeline(Readable.fromWeb(wheelRes.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(partial));
    renameSync(partial, dest);
  } finally {
    rmSync(partial, { force: true });
  }
}

interface ListedFile {
  filename: string;
  url: string;
  sha256?: string;
}

function filesFromJson(body: string): ListedFile[] {
  const parsed = JSON.parse(body) as { files?: { filename?: unknown; url?: unknown; hashes?: { sha256?: unknown } }[] };
  return (parsed.files ?? []).flatMap((f) =>
    typeof f.filename === 'string' && typeof f.url === 'string'
      ? [{ filename: f.filename, url: f.url, ...(typeof f.hashes?.sha256 === 'string' ? { sha256: f.hashes.sha256 } : {}) }]
      : [],
  );
}

function filesFromHtml(body: string): ListedFile[] {
  const out: ListedFile[] = [];
  for (const m of body.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/gi)) {
    const href = (m[1] ?? '').replace(/&amp;/g, '&');
    const sha = /#sha256=([0-9a-f]{64})/.exec(href)?.[1];
    out.push({ filename: (m[2] ?? '').trim(), url: href.split('#')[0] ?? href, ...(sha ? { sha256: sha } : {}) });
  }
  return out;
}

/** Runs a command to its end without blocking the event loop: exit code and the tail of stderr. */
function run(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('error', (err) => resolve({ code: null, stderr: err.message }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** `pip download` of the pinned wheel into `dir`; returns why it failed, or null. */
async function pipDownload(pin: WheelPin, dir: string, indexUrl: string | undefined): Promise<string | null> {
  let python: string | undefined;
  for (const candidate of ['python3', 'python']) {
    if ((await run(candidate, ['-m', 'pip', '--version'])).code === 0) {
      python = candidate;
      break;
    }
  }
  if (!python) return 'no `python3 -m pip` was found';
  const args = ['-m', 'pip', 'download', `${pin.project}==${pin.version}`, '--no-deps', '--only-binary=:all:', '--no-cache-dir', '--quiet'];
  if (indexUrl) args.push('--index-url', indexUrl);
  const r = await run(python, [...args, ...pin.pip, '-d', dir]);
  if (r.code !== 0 || !existsSync(join(dir, pin.wheel))) {
    return `pip download failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
  }
  return null;
}

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

/** The entries of a zip file's central directory (zip64 is not needed for the wheels we pin). */
async function zipEntries(fh: FileHandle, fileSize: number): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(fileSize, 0xffff + 22);
  const tail = Buffer.alloc(tailLen);
  await fh.read(tail, 0, tailLen, fileSize - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('the wheel is not a zip file (no end of central directory)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) fail('zip64 wheels are not supported');
  const cd = Buffer.alloc(cdSize);
  await fh.read(cd, 0, cdSize, cdOffset);
  const entries = new Map<string, ZipEntry>();
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cd.length || cd.readUInt32LE(o) !== 0x02014b50) fail('the wheel has a damaged central directory');
    const nameLen = cd.readUInt16LE(o + 28);
    const extraLen = cd.readUInt16LE(o + 30);
    const commentLen = cd.readUInt16LE(o + 32);
    const name = cd.toString('utf8', o + 46, o + 46 + nameLen);
    entries.set(name, {
      name,
      method: cd.readUInt16LE(o + 10),
      crc: cd.readUInt32LE(o + 16),
      compressedSize: cd.readUInt32LE(o + 20),
      size: cd.readUInt32LE(o + 24),
      localHeader: cd.readUInt32LE(o + 42),
    });
    o += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Extracts the pin's members from the wheel into `dest`, checking size and CRC-32 of each. */
async function extractMembers(wheel: string, pin: WheelPin, dest: string): Promise<{ path: string; size: number }[]> {
  const fh = await open(wheel, 'r');
  try {
    const entries = await zipEntries(fh, (await fh.stat()).size);
    const files: { path: string; size: number }[] = [];
    for (const member of pin.members) {
      const e = entries.get(member.from) ?? fail(`${member.from} is missing from ${pin.wheel}`);
      if (e.method !== 0 && e.method !== 8) fail(`${member.from}: unsupported zip compression method ${e.method}`);
      const local = Buffer.alloc(30);
      await fh.read(local, 0, 30, e.localHeader);
      if (local.readUInt32LE(0) !== 0x04034b50) fail(`${member.from}: damaged local header`);
      const start = e.localHeader + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const out = join(dest, member.to);
      mkdirSync(dirname(out), { recursive: true });
      let crc = 0;
      let size = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, done) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          done(null, chunk);
        },
      });
      const raw = fh.createReadStream({ start, end: start + e.compressedSize - 1, autoClose: false });
      const sink = createWriteStream(out, { mode: 0o755 });
      if (e.method === 8) await pipeline(raw, createInflateRaw(), check, sink);
      else await pipeline(raw, check, sink);
      if (size !== e.size || (crc >>> 0) !== e.crc) fail(`${member.from}: size or CRC-32 does not match the zip directory`);
      files.push({ path: member.to, size });
    }
    return files;
  } finally {
    await fh.close();
  }
}
