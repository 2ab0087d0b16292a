// Bad input: each case gives a clear LiteError with a stable code; the process survives and the
// network stays usable afterwards (checked by a correct forward at the end).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy, liteReference } from '@lite/testing';
import { LiteError, LiteNetwork, LiteTensorPhase, getModelIoInfo } from '../src/index.js';

const m = manifest().models.shufflenet!;
const modelPath = fixture(m.file);
const input = readNpy(fixture(m.inputs[0]!.npy!)).data as Float32Array;
const lite = readNpy(liteReference(m.outputs[0]!.lite_npy!)).data as Float32Array;
const dir = mkdtempSync(join(tmpdir(), 'lite-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    expect((e as Error).message.length).toBeGreaterThan(5);
    return (e as LiteError).code;
  }
  throw new Error('expected a LiteError');
}

async function codeAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return (e as LiteError).code;
  }
  throw new Error('expected a rejection');
}

function works(net: LiteNetwork): void {
  if (!net.loaded) net.load(modelPath);
  net.getIoTensor('data').setDataByCopy(input);
  net.forward();
  net.wait();
  expect(maxAbsDiff(net.getIoTensor('prob').toTypedArray() as Float32Array, lite)).toBe(0);
}

const empty = join(dir, 'empty.mge');
const random = join(dir, 'random.mge');
const truncated = join(dir, 'truncated.mge');
writeFileSync(empty, '');
writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
writeFileSync(truncated, readFileSync(modelPath).subarray(0, 100_000));

describe('bad models', () => {
  const cases: [string, () => string | Uint8Array, string][] = [
    ['missing file', () => join(dir, 'nope.mge'), 'LITE_FILE_NOT_FOUND'],
    ['a directory', () => dir, 'LITE_FILE_NOT_FOUND'],
    ['an empty file', () => empty, 'LITE_INVALID_MODEL'],
    ['random bytes (file)', () => random, 'LITE_INVALID_MODEL'],
    ['a truncated model (file)', () => truncated, 'LITE_INVALID_MODEL'],
    ['empty bytes', () => new Uint8Array(0), 'LITE_INVALID_ARGUMENT'],
    ['random bytes (memory)', () => readFileSync(random), 'LITE_INVALID_MODEL'],
    ['a truncated model (memory)', () => readFileSync(truncated), 'LITE_INVALID_MODEL'],
  ];
  for (const [what, src, expected] of cases) {
    it(`load: ${what} → ${expected}, network still usable`, async () => {
      const net = new LiteNetwork();
      expect(code(() => net.load(src()))).toBe(expected);
      expect(net.loaded).toBe(false);
      const net2 = new LiteNetwork();
      expect(await codeAsync(net2.loadAsync(src()))).toBe(expected);
      expect(code(() => getModelIoInfo(src()))).toBe(expected);
      works(new LiteNetwork());
    });
  }

  it('load: wrong argument types', () => {
    const net = new LiteNetwork();
    expect(code(() => net.load(42 as unknown as string))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.load(''))).toBe('LITE_INVALID_ARGUMENT');
    works(net);
  });
});

describe('wrong use', () => {
  it('forward / forwardAsync / io access before load', async () => {
    const net = new LiteNetwork();
    expect(code(() => net.forward())).toBe('LITE_INVALID_ARGUMENT');
    expect(await codeAsync(net.forwardAsync())).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getIoTensor('data'))).toBe('LITE_INVALID_ARGUMENT');
    works(net);
  });

  it('unknown IO names and wrong phase', () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    expect(code(() => net.getIoTensor('nope'))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getIoTensor('data', LiteTensorPhase.LITE_OUTPUT))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getIoTensor('prob', LiteTensorPhase.LITE_INPUT))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getIoTensor('data', 7 as LiteTensorPhase))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getInputName(5))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.getOutputName(-1))).toBe('LITE_INVALID_ARGUMENT');
    return expect(net.predict({ nope: new Float32Array(1) })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' }).then(() => works(net));
  });

  it('settings after load are rejected', () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    expect(code(() => (net.deviceId = 0))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => (net.streamId = 0))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => (net.threadsNumber = 2))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.enableCpuInplaceMode())).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.enableGlobalLayoutTransform())).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.extraConfigure({ disableConfigureByModelInfo: true }))).toBe('LITE_INVALID_ARGUMENT');
    const other = new LiteNetwork();
    other.load(modelPath);
    expect(code(() => net.shareWeightsWith(other))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => (net.threadsNumber = 0))).toBe('LITE_INVALID_ARGUMENT');
    works(net);
  });

  it('callbacks must be functions', () => {
    const net = new LiteNetwork();
    expect(code(() => net.setStartCallback(1 as unknown as () => void))).toBe('LITE_INVALID_ARGUMENT');
    expect(code(() => net.asyncWithCallback(null as unknown as () => void))).toBe('LITE_INVALID_ARGUMENT');
  });

  it('use after dispose', async () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    net.dispose();
    expect(code(() => net.forward())).toBe('LITE_DISPOSED');
    expect(await codeAsync(net.forwardAsync())).toBe('LITE_DISPOSED');
  });
});

describe('callbacks that throw', () => {
  it('start callback throwing → forward throws LITE_ERROR with the cause; next forward is fine', () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    const boom = new Error('boom');
    let throwIt = true;
    net.setStartCallback(() => {
      if (throwIt) throw boom;
    });
    net.getIoTensor('data').setDataByCopy(input);
    try {
      net.forward();
      throw new Error('no throw');
    } catch (e) {
      expect(e).toMatchObject({ code: 'LITE_ERROR' });
      expect((e as Error).message).toContain('boom');
      expect((e as Error).cause).toBe(boom);
    }
    net.wait();
    throwIt = false;
    works(net);
  });

  it('finish callback throwing → wait throws (sync) and forwardAsync rejects', async () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    net.setFinishCallback(() => {
      throw new TypeError('finish boom');
    });
    net.getIoTensor('data').setDataByCopy(input);
    net.forward();
    expect(() => net.wait()).toThrow(/finish boom/);
    await expect(net.forwardAsync()).rejects.toMatchObject({ code: 'LITE_ERROR' });
    await expect(net.predict({ data: input })).rejects.toThrow(/finish boom/);
    // the outputs were still computed
    expect(maxAbsDiff(net.getIoTensor('prob').toTypedArray() as Float32Array, lite)).toBe(0);
  });

  it('async callback throwing → reported by the next wait()', async () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    let fired!: () => void;
    const p = new Promise<void>((r) => (fired = r));
    net.asyncWithCallback(() => {
      fired();
      throw new Error('async boom');
    });
    net.getIoTensor('data').setDataByCopy(input);
    net.forward();
    await p;
    expect(() => net.wait()).toThrow(/async boom/);
    expect(maxAbsDiff(net.getIoTensor('prob').toTypedArray() as Float32Array, lite)).toBe(0);
  });
});
