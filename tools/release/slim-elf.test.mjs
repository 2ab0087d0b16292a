// Tests of the CPU-only runtime package on the real runtime (the pinned wheel's libraries from the
// per-user cache; `pnpm run setup` fetches them): tools/release/slim-elf.mjs, the libnvrtc
// stand-in (tools/release/nvrtc-stub.mjs) and the package staged by prepare-platform-package.mjs.
//
//   node --test tools/release/slim-elf.test.mjs
//
// - the rewritten headers are consistent (our own parser) and readelf, where installed, prints
//   no warning;
// - the memory image the loader builds from the rewritten file equals the original's with the
//   CUDA sections zeroed, byte for byte, for every allocated section;
// - the staged runtime package (slimmed library + libnvrtc stand-in) loads, and every fixture
//   model gives bit-identical outputs with it and with the original wheel's libraries (sha256 of
//   each output, tools/pack-test/fixture-digest.cjs);
// - the libnvrtc stand-in builds reproducibly and exports what libmegengine_shared.so imports;
// - inputs the rewrite cannot handle are refused with the reason, and nothing is written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SHF_ALLOC, SHT_NOBITS, checkElf, dynamicInfo, memoryPieces, readAt, readElf, readElfFile } from './elf64.mjs';
import { NVRTC_SONAME, buildNvrtcStub } from './nvrtc-stub.mjs';
import { CUDA_SECTIONS, slimElf } from './slim-elf.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const printed = spawnSync(process.execPath, [join(repo, 'tools/runtime/fetch-runtime.mjs'), '--print'], {
  encoding: 'utf8',
  env: { ...process.env, LITE_LIB_PATH: '' },
});
const liteLib = printed.stdout.trim();
const runtimeDir = resolve(dirname(liteLib), '..', '..');
const original = join(runtimeDir, 'megengine/core/lib/libmegengine_shared.so');
// The pinned 1.13.0 linux-x64 wheel (tools/runtime/runtime.json): these are its exact figures.
const ORIGINAL_SIZE = 1_571_279_640;
const SLIM_SIZE = 319_943_448;
const PAGE = 0x1000;

let tmp;
let slim;
let summary;

let pkg;

before(() => {
  assert.ok(existsSync(original), `${original} is missing: run \`pnpm run setup\` first`);
  tmp = mkdtempSync(join(tmpdir(), 'lite-slim-elf-test-'));
  slim = join(tmp, 'libmegengine_shared.so');
  summary = slimElf(original, slim);
  // The runtime package exactly as a release stages it (the slim copy and the stand-in are hard
  // links into the per-user cache).
  pkg = join(tmp, 'runtime-package');
  const r = spawnSync(process.execPath, [join(repo, 'tools/release/prepare-platform-package.mjs'), '--target', 'linux-x64-gnu', '--runtime-out', pkg], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('slim-elf on libmegengine_shared.so 1.13.0 (linux-x64)', () => {
  it('cuts the 1.22 GB of CUDA device code and 27 MB of filler: 1,571,279,640 -> 319,943,448 bytes', () => {
    assert.equal(statSync(original).size, ORIGINAL_SIZE);
    assert.equal(statSync(slim).size, SLIM_SIZE);
    assert.deepEqual(
      summary.cuts.map((c) => [c.what, c.bytes]),
      [
        ['filler', 27_193_344],
        ['sections', 1_224_142_848],
      ],
    );
    for (const c of summary.cuts) assert.equal(c.bytes % PAGE, 0);
    assert.deepEqual(
      summary.dropped.map((d) => d.name),
      CUDA_SECTIONS,
    );
    // The only references to the dropped bytes: the fat-binary descriptors in .nvFatBinSegment.
    assert.equal(summary.relocsInto, 1661);
  });

  it('writes consistent headers: the first PT_LOAD split in five, two pieces zero-filled', () => {
    const before = readElfFile(original);
    const elf = readElfFile(slim);
    assert.deepEqual(checkElf(elf), []);
    assert.equal(elf.ehdr.phnum, before.ehdr.phnum + 4);
    const loads = elf.phdrs.filter((p) => p.type === 1);
    assert.equal(loads.length, 7);
    const [a, hole1, b, hole2, c] = loads;
    assert.deepEqual([hole1.filesz, hole2.filesz], [0, 0]);
    assert.deepEqual([hole1.memsz, hole2.memsz], summary.cuts.map((x) => x.bytes));
    for (const [prev, next] of [[a, hole1], [hole1, b], [b, hole2], [hole2, c]]) assert.equal(next.vaddr, prev.vaddr + prev.memsz);
    assert.equal(b.offset, a.offset + a.filesz);
    assert.equal(c.offset, b.offset + b.filesz);
    // Together they cover exactly the original segment's addresses.
    const orig = before.phdrs.find((p) => p.type === 1);
    assert.equal(c.vaddr + c.memsz, orig.vaddr + orig.memsz);
    for (const name of CUDA_SECTIONS) assert.equal(elf.shdrs.find((s) => s.name === name).type, SHT_NOBITS);
    // Every other section keeps its address, size and type.
    before.shdrs.forEach((s, i) => {
      const t = elf.shdrs[i];
      assert.equal(t.name, s.name);
      assert.equal(t.addr, s.addr);
      assert.equal(t.size, s.size);
      if (!CUDA_SECTIONS.includes(s.name)) assert.equal(t.type, s.type);
    });
  });

  it('readelf -lSW reads the result without a warning (where readelf is installed)', (t) => {
    const r = spawnSync('readelf', ['-lSW', slim], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.error) {
      t.skip('readelf is not installed here; the header check above still ran');
      return;
    }
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.doesNotMatch(r.stdout, /warning|error/i);
    assert.match(r.stdout, /\.nv_fatbin\s+NOBITS/);
  });

  it('maps the same memory image as the original with the CUDA sections zeroed', () => {
    const a = openSync(original, 'r');
    const b = openSync(slim, 'r');
    try {
      const ea = readElf(a);
      const eb = readElf(b);
      let compared = 0;
      for (const s of ea.shdrs) {
        if (!(s.flags & SHF_ALLOC) || s.type === SHT_NOBITS || s.size === 0) continue;
        const dropped = CUDA_SECTIONS.includes(s.name);
        for (let done = 0; done < s.size; done += 1 << 24) {
          const n = Math.min(1 << 24, s.size - done);
          const want = dropped ? Buffer.alloc(n) : readAt(a, s.offset + done, n);
          const got = Buffer.alloc(n);
          for (const p of memoryPieces(eb.phdrs, s.addr + done, n)) {
            if (p.offset !== null) readAt(b, p.offset, p.length).copy(got, p.vaddr - (s.addr + done));
          }
          assert.ok(got.equals(want), `${s.name}: bytes at +${done} differ`);
          compared += n;
        }
      }
      assert.ok(compared > ORIGINAL_SIZE - 30e6, `compared only ${compared} bytes`);
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });

  it('the staged package loads, and every fixture gives bit-identical outputs with it and with the wheel', () => {
    const core = join(repo, 'packages/core/dist/index.cjs');
    assert.ok(existsSync(core), `${core} is missing: build first (pnpm run build)`);
    const packaged = join(pkg, 'runtime/megenginelite/libs/liblite_shared_whl.so');
    assert.equal(statSync(join(pkg, 'runtime/megengine/core/lib/libmegengine_shared.so')).size, SLIM_SIZE);
    const digest = (lib) => {
      const r = spawnSync(process.execPath, [join(repo, 'tools/pack-test/fixture-digest.cjs'), core, join(repo, 'fixtures')], {
        encoding: 'utf8',
        env: { ...process.env, LITE_LIB_PATH: lib },
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const { _runtime: fromOriginal, ...want } = digest(liteLib);
    const { _runtime: fromPackage, ...got } = digest(packaged);
    assert.equal(fromOriginal, liteLib);
    assert.equal(fromPackage, packaged);
    const manifest = JSON.parse(readFileSync(join(repo, 'fixtures/manifest.json'), 'utf8'));
    assert.ok(Object.keys(want).length >= Object.keys(manifest.models).length, 'every fixture model produced an output');
    assert.deepEqual(got, want);
  });

  it('builds the libnvrtc stand-in reproducibly, with what libmegengine_shared.so imports from it', () => {
    const a = join(tmp, 'nvrtc-a.so');
    const b = join(tmp, 'nvrtc-b.so');
    buildNvrtcStub(a);
    buildNvrtcStub(b);
    assert.ok(readFileSync(a).equals(readFileSync(b)), 'two builds differ');
    const shipped = join(pkg, 'runtime/megengine/core/lib', NVRTC_SONAME);
    assert.ok(readFileSync(shipped).equals(readFileSync(a)), 'the package carries another build');
    assert.ok(statSync(a).size < 64 * 1024);
    const info = (path) => {
      const fd = openSync(path, 'r');
      try {
        return dynamicInfo(fd);
      } finally {
        closeSync(fd);
      }
    };
    const stub = info(a);
    assert.equal(stub.soname, NVRTC_SONAME);
    assert.deepEqual(stub.needed, []); // no libc: loads on any glibc
    const imported = info(original).symbols.filter((s) => !s.defined && s.name.startsWith('nvrtc')).map((s) => s.name);
    assert.equal(imported.length, 10);
    const exported = new Set(stub.symbols.filter((s) => s.defined).map((s) => s.name));
    assert.deepEqual(imported.filter((n) => !exported.has(n)), []);
    const versions = spawnSync('readelf', ['-V', a], { encoding: 'utf8' });
    if (!versions.error) assert.match(versions.stdout, new RegExp(`Name: ${NVRTC_SONAME.replaceAll('.', '\\.')}`));
  });

  it('refuses an input whose sections were already cut, and writes nothing', () => {
    const out = join(tmp, 'again.so');
    assert.throws(() => slimElf(slim, out), /already SHT_NOBITS/);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(`${out}.partial-${process.pid}`), false);
  });

  it('refuses a library without the sections (liblite_shared_whl.so)', () => {
    assert.throws(() => slimElf(liteLib, join(tmp, 'lite.so')), /no section \.nv_fatbin, __nv_relfatbin/);
  });
});
