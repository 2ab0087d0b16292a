// Failures a user can act on: stable codes for missing files / non-models, one-line messages
// without engine internals (the engine's text stays on `engineMessage`), and input checks that
// stop wrong element types before they reach the engine.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';
import { LiteError, LiteLayout, LiteNetwork, LiteTensor, getModelIoInfo, validateModel } from '../src/index.js';
import { engineSummary } from '../src/errors.js';
import { expectCode } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lite-actionable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = readFileSync(fixture('mlp.mge'));
const textFile = join(dir, 'notes.mge');
writeFileSync(textFile, 'this is a text file, not a model\n'.repeat(40));
const truncatedFile = join(dir, 'truncated.mge');
writeFileSync(truncatedFile, model.subarray(0, 200));

/** What every message must be: one line, short, no native internals. */
function expectClean(e: LiteError): void {
  expect(e.message).not.toContain('\n');
  expect(e.message.length).toBeLessThanOrEqual(200);
  expect(e.message).not.toMatch(/backtrace|\/home\/|\.cpp|\.so\b|0x[0-9a-f]{6,}|Error Code/i);
}

describe('load failures: stable codes, clean messages', () => {
  const cases: [string, () => string | Uint8Array, string, RegExp, RegExp | undefined][] = [
    ['a missing file', () => join(dir, 'missing.mge'), 'LITE_FILE_NOT_FOUND', /"[^"]*missing\.mge" does not exist; check the path/, undefined],
    ['a directory', () => dir, 'LITE_FILE_NOT_FOUND', /is not a file \(a directory\?\)/, undefined],
    ['a text file', () => textFile, 'LITE_INVALID_MODEL', /"[^"]*notes\.mge" is not a valid MegEngine model .*re-export it/, /invalid model format/],
    // Truncation is found by the structural check before the engine's loader: no engine text.
    ['a truncated file', () => truncatedFile, 'LITE_INVALID_MODEL', /truncated\.mge" is not a valid MegEngine model: /, undefined],
    ['truncated bytes', () => model.subarray(0, model.length >> 1), 'LITE_INVALID_MODEL', /the model data \(\d+ bytes\) is not a valid MegEngine model: /, undefined],
    ['JSON bytes', () => Buffer.from('{"a": 1}'), 'LITE_INVALID_MODEL', /not a valid MegEngine model/, /assertion/],
  ];
  for (const [what, source, code, message, engine] of cases) {
    it(`${what} → ${code} (load, loadAsync, getModelIoInfo)`, async () => {
      const errors: LiteError[] = [expectCode(() => new LiteNetwork().load(source()), code), expectCode(() => getModelIoInfo(source()), code)];
      const rejected = await new LiteNetwork().loadAsync(source()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(rejected).toBeInstanceOf(LiteError);
      errors.push(rejected as LiteError);
      for (const e of errors) {
        expect(e.code).toBe(code);
        expect(e.message).toMatch(message);
        expectClean(e);
        if (engine) expect(e.engineMessage).toMatch(engine);
        else expect(e.engineMessage).toBeUndefined();
      }
    });
  }

  it.skipIf(process.getuid?.() === 0)('an unreadable file → LITE_FILE_NOT_FOUND (skipped as root: root reads any file)', () => {
    const locked = join(dir, 'locked.mge');
    writeFileSync(locked, model);
    chmodSync(locked, 0o000);
    const e = expectCode(() => new LiteNetwork().load(locked), 'LITE_FILE_NOT_FOUND');
    expect(e.message).toMatch(/cannot be read \(EACCES\)/);
  });

  it('an empty file → LITE_INVALID_MODEL, before the engine', () => {
    const empty = join(dir, 'empty.mge');
    writeFileSync(empty, '');
    const e = expectCode(() => new LiteNetwork().load(empty), 'LITE_INVALID_MODEL');
    expect(e.message).toMatch(/is empty \(0 bytes\)/);
    expect(e.engineMessage).toBeUndefined();
  });
});

describe('engineSummary', () => {
  it('keeps the gist of a lite assertion, drops its source location', () => {
    const raw = "Error: Assert ' fin ' failed at file : /home/code/lite/src/network.cpp \nline 65 : void lite::Network::load_model(std::string),\nextra message: failed to open x.mge: No such file or directory, Error Code: 1";
    expect(engineSummary(raw)).toBe('failed to open x.mge: No such file or directory');
  });

  it('drops a megbrain backtrace, source path and function signature', () => {
    const raw =
      "assertion `m_offset + size <= m_size' failed at /home/code/src/serialization/impl/file.cpp:216: virtual mgb::serialization::SharedBuffer f(size_t)\n\nbacktrace:\n/x/libmegengine_shared.so(+0x1234567) [0x7f0011223344]\n";
    expect(engineSummary(raw)).toBe("assertion `m_offset + size <= m_size' failed");
  });

  it('is one line of at most the given length', () => {
    const s = engineSummary(`Error: ${'word '.repeat(100)}\nsecond line`, 50);
    expect(s.length).toBeLessThanOrEqual(50);
    expect(s).not.toContain('\n');
    expect(s.endsWith('…')).toBe(true);
  });
});

describe('setDataByCopy / setDataByShare: element types', () => {
  const layout = new LiteLayout([8], 'float32');

  it('a Float64Array of the same byte length as a float32 tensor is rejected, naming both types', () => {
    const t = new LiteTensor(layout);
    t.setDataByCopy(new Float32Array(8).fill(7));
    for (const set of [(d: Float64Array) => t.setDataByCopy(d), (d: Float64Array) => t.setDataByShare(d)]) {
      const e = expectCode(() => set(new Float64Array(4)), 'LITE_INVALID_ARGUMENT');
      expect(e.message).toMatch(/Float64Array cannot hold float32 data; pass a Float32Array/);
    }
    // unchanged
    expect(Array.from(t.toFloat32Array())).toEqual(new Array(8).fill(7));
    expect(t.layout.shapes).toEqual([8]);
  });

  it('a TypedArray of another element type is rejected, naming both', () => {
    const t = new LiteTensor(layout);
    const e = expectCode(() => t.setDataByCopy(new Int32Array(8)), 'LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/Int32Array cannot hold float32 data/);
    expectCode(() => t.setDataByCopy(new Uint8ClampedArray(32)), 'LITE_INVALID_ARGUMENT');
  });

  it('raw bytes (Uint8Array, Buffer, ArrayBuffer, DataView) stay allowed for any dtype', () => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const bytes = new Uint8Array(src.buffer);
    for (const raw of [bytes, Buffer.from(bytes), bytes.slice().buffer, new DataView(bytes.slice().buffer)]) {
      const t = new LiteTensor(layout);
      t.setDataByCopy(raw);
      expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

  it('a tensor without a layout refuses a TypedArray that has no tensor dtype', () => {
    const e = expectCode(() => new LiteTensor().setDataByCopy(new Float64Array(2)), 'LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/Float64Array has no tensor dtype/);
  });
});

describe('runtime not found', () => {
  it('tells a package user what to do; the repository-only command is named as such', () => {
    const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const c = await import('@lite/core'); try { new c.LiteTensor([1]); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }"],
      { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, LITE_LIB_PATH: join(dir, 'no-such-lib.so') } },
    );
    const out = JSON.parse(r.stdout.trim()) as { code: string; message: string };
    expect(out.code).toBe('LITE_RUNTIME_NOT_FOUND');
    expect(out.message).toMatch(/reinstall @lite\/core so that its platform package is installed, or set LITE_LIB_PATH/);
    expect(out.message).toMatch(/in a clone of the repository, `pnpm run setup`/);
    expect(out.message).not.toContain('\n');
  });
});

describe('a model of the other engine', () => {
  it('a MindIR file is named as MindSpore\'s (LITE_UNSUPPORTED pointing at @lite/mindspore), not called invalid: load, loadAsync and validateModel', async () => {
    const mindir = fixture('mindspore/lenet.mindir');
    for (const attempt of [() => new LiteNetwork().load(mindir), () => new LiteNetwork().load(readFileSync(mindir))]) {
      try {
        attempt();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(LiteError);
        expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
        expect((e as LiteError).message).toMatch(/is a MindSpore MindIR model, not a MegEngine one: build it with @lite\/mindspore/);
      }
    }
    await expect(new LiteNetwork().loadAsync(mindir)).rejects.toMatchObject({ code: 'LITE_UNSUPPORTED' });
    const v = await validateModel(mindir, { forward: false });
    expect(v.ok).toBe(false);
    if (!v.ok) expect([v.error.code, v.crashed]).toEqual(['LITE_UNSUPPORTED', false]);
  });
});

describe('structurally corrupt .mge files are refused before the engine loader', () => {
  it('mlp.mge with bytes 36426-36508 zeroed (three operators lose their type; the 1.13 loader segfaults on it) is LITE_INVALID_MODEL naming the operator, by path and by bytes', async () => {
    const bytes = readFileSync(fixture('mlp.mge'));
    bytes.fill(0, 36426, 36509);
    const file = join(dir, 'mlp-zeroed.mge');
    writeFileSync(file, bytes);
    for (const attempt of [() => new LiteNetwork().load(bytes), () => new LiteNetwork().load(file)]) {
      try {
        attempt();
        expect.unreachable();
      } catch (e) {
        expect((e as LiteError).code).toBe('LITE_INVALID_MODEL');
        expect((e as LiteError).message).toMatch(/is not a valid MegEngine model: operator #5 has no type string$/);
      }
    }
    await expect(new LiteNetwork().loadAsync(bytes)).rejects.toMatchObject({ code: 'LITE_INVALID_MODEL' });
  });
});
