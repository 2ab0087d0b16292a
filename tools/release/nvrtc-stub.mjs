// Builds the stand-in libnvrtc.so.10.1 of the CPU-only runtime package from nvrtc-stub/ (see
// nvrtc_stub.c for why it is enough). Reproducible: fixed flags, no libc, no build id, no
// absolute paths; the same compiler gives the same bytes (nvrtc-stub.test.mjs builds it twice).
//
//   node tools/release/nvrtc-stub.mjs <out.so>
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'nvrtc-stub');
export const NVRTC_SONAME = 'libnvrtc.so.10.1';
export const NVRTC_STUB_SOURCES = [join(here, 'nvrtc_stub.c'), join(here, 'nvrtc_stub.map')];

/** The C compiler used (`$CC`, else `cc`) and its version line (part of the cache stamp). */
export function compilerIdentity() {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`no C compiler (${cc}) to build the ${NVRTC_SONAME} stub: install one (e.g. gcc) or set CC`);
  return { cc, version: r.stdout.split('\n')[0] };
}

/** Compiles the stub into `out` (through a partial file renamed into place). */
export function buildNvrtcStub(out) {
  const { cc } = compilerIdentity();
  const partial = `${out}.partial-${process.pid}`;
  const r = spawnSync(
    cc,
    [
      '-std=c11', '-O2', '-fPIC', '-shared', '-nostdlib', '-fvisibility=hidden',
      '-Wall', '-Wextra', '-Werror', '-fno-ident',
      `-Wl,-soname,${NVRTC_SONAME}`, `-Wl,--version-script=nvrtc_stub.map`, '-Wl,--build-id=none',
      '-o', partial, 'nvrtc_stub.c',
    ],
    { cwd: here, encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`building the ${NVRTC_SONAME} stub failed: ${r.error?.message ?? r.stderr}`);
  }
  renameSync(partial, out);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) {
    console.error('usage: node tools/release/nvrtc-stub.mjs <out.so>');
    process.exit(2);
  }
  buildNvrtcStub(process.argv[2]);
}
