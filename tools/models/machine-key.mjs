// The key of this machine's megenginelite reference outputs: the CPU (model and instruction-set
// flags, which decide the engine's kernels), the pinned runtime and the committed fixtures.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function cpuSignature() {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return `${process.platform}-${process.arch}`;
  }
  const first = text.split('\n\n')[0] ?? '';
  const field = (name) => first.split('\n').find((l) => l.startsWith(name))?.split(':')[1]?.trim() ?? '';
  return `${field('vendor_id')}|${field('model name')}|${field('flags')}`;
}

/** The cache folder holding this machine's megenginelite outputs of the fixtures. */
export function liteRefsDir() {
  const runtime = JSON.parse(readFileSync(join(REPO, 'tools/runtime/runtime.json'), 'utf8'));
  const manifest = readFileSync(join(REPO, 'fixtures/manifest.json'));
  const key = createHash('sha256').update(cpuSignature()).update('\0').update(JSON.stringify(runtime)).update('\0').update(manifest).digest('hex').slice(0, 16);
  const cache = process.env.LITE_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lite-node');
  return join(cache, 'lite-refs', key);
}
