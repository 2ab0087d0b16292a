// Memory-safety and error-contract regressions found by the API fuzzer (packages/reliability).
// Each case once corrupted the heap, used freed engine memory, or threw something other than a
// LiteError. Real runtime, no mocks.
import { describe, expect, it } from 'vitest';
import { fixture, manifest } from '@lite/testing';
import { LiteError, LiteLayout, LiteNetwork, LiteTensor, LiteTensorPhase } from '../src/index.js';
import { expectCode } from './helpers.js';


/** A 4x4 float32 tensor holding 0..15. */
function parent(): LiteTensor {
  const p = new LiteTensor(new LiteLayout([4, 4], 'float32'));
  p.setDataByCopy(Float32Array.from({ length: 16 }, (_, i) => i));
  return p;
}

const snapshot = (t: LiteTensor) => ({ shape: t.layout.shapes, dtype: t.layout.dtype, cont: t.isContinue, nbytes: t.nbytes, data: Array.from(t.toTypedArray() as Float32Array) });

describe('a relayout the engine refuses leaves the tensor as it was', () => {
  // MegEngine 1.13 stores the new layout before it finds that a slice's memory cannot grow; the
  // next fillZero then wrote past the block. Every relayout path is covered, on a strided slice
  // (refused before the engine) and on a contiguous slice at an offset (refused by the engine,
  // old layout restored).
  const attempts: [string, (t: LiteTensor) => void][] = [
    ['layout =', (t) => (t.layout = new LiteLayout([64, 64], 'float32'))],
    ['copyFrom(bigger)', (t) => t.copyFrom(new LiteTensor(new LiteLayout([64, 64], 'float32')))],
    ['setDataByCopy({ layout })', (t) => t.setDataByCopy(new Float32Array(4096), { layout: [4096] })],
    ['setDataByShare({ layout })', (t) => t.setDataByShare(new Float32Array(4096), { layout: [4096] })],
    ['setDataByShare(bigger array)', (t) => t.setDataByShare(new Float32Array(4096))],
  ];
  for (const [name, attempt] of attempts) {
    it(`strided slice: ${name}`, () => {
      const p = parent();
      const s = p.slice([0, 0], [2, 1]);
      const before = snapshot(s);
      expect(before).toEqual({ shape: [2, 1], dtype: 'float32', cont: false, nbytes: 8, data: [0, 4] });
      expectCode(() => attempt(s), 'LITE_INVALID_ARGUMENT');
      expect(snapshot(s)).toEqual(before);
      s.fillZero();
      expect(Array.from(p.toTypedArray() as Float32Array)).toEqual([0, 1, 2, 3, 0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    });
    it(`contiguous slice at an offset: ${name}`, () => {
      const p = parent();
      const s = p.slice([1], [3]);
      const before = snapshot(s);
      expect(before).toEqual({ shape: [2, 4], dtype: 'float32', cont: true, nbytes: 32, data: [4, 5, 6, 7, 8, 9, 10, 11] });
      const e = (() => {
        try {
          attempt(s);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(LiteError);
      expect(snapshot(s)).toEqual(before);
      s.fillZero();
      expect(Array.from(p.toTypedArray() as Float32Array)).toEqual([0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 14, 15]);
    });
  }

  it('a copy that fails after relayout keeps the old layout (megenginelite keeps the new one)', () => {
    const t = new LiteTensor(new LiteLayout([2, 2], 'int32'));
    t.setDataByCopy([1, 2, 3, 4]);
    const s = parent().slice([0, 0], [4, 4], [2, 2]);
    // A strided slice cannot take another layout: refused, t untouched.
    expectCode(() => s.copyFrom(t), 'LITE_INVALID_ARGUMENT');
    expect(Array.from(s.toTypedArray() as Float32Array)).toEqual([0, 2, 8, 10]);
    // Same shape and dtype works through the strides.
    const src = new LiteTensor(new LiteLayout([2, 2], 'float32'));
    src.setDataByCopy([9, 8, 7, 6]);
    s.copyFrom(src);
    expect(Array.from(s.toTypedArray() as Float32Array)).toEqual([9, 8, 7, 6]);
  });

  it('setting the current layout again keeps a strided slice strided', () => {
    const p = parent();
    const s = p.slice([0, 1], [4, 2]);
    s.layout = new LiteLayout([4, 1], 'float32');
    expect(s.isContinue).toBe(false);
    expect(Array.from(s.toTypedArray() as Float32Array)).toEqual([1, 5, 9, 13]);
  });

  it('memory shared into a strided slice is used contiguously, inside its bounds', () => {
    const p = parent();
    const s = p.slice([0, 0], [4, 4], [2, 2]);
    const mine = new Float32Array([1, 2, 3, 4]);
    s.setDataByShare(mine);
    expect(s.isContinue).toBe(true);
    s.fillZero();
    expect(Array.from(mine)).toEqual([0, 0, 0, 0]);
    expect(Array.from(p.toTypedArray() as Float32Array)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });
});

describe('IO tensors across a reload', () => {
  const m = manifest().models.mlp!;
  it('tensors from before a reload throw LITE_DISPOSED; fresh ones work', async () => {
    const net = new LiteNetwork();
    net.load(fixture(m.file));
    const name = net.getAllInputName()[0]!;
    const old = net.getIoTensor(name, LiteTensorPhase.LITE_INPUT);
    const oldOut = net.getIoTensor(net.getAllOutputName()[0]!, LiteTensorPhase.LITE_OUTPUT);
    const shape = old.layout.shapes;
    // The engine frees its IO tensor objects on every load; using them was a use-after-free.
    net.load(fixture(m.file));
    expectCode(() => old.fillZero(), 'LITE_DISPOSED');
    expectCode(() => old.layout, 'LITE_DISPOSED');
    expectCode(() => oldOut.toTypedArray(), 'LITE_DISPOSED');
    const fresh = net.getIoTensor(name, LiteTensorPhase.LITE_INPUT);
    expect(fresh).not.toBe(old);
    expect(fresh.layout.shapes).toEqual(shape);
    fresh.fillZero();
    net.forward();
    net.wait();
    await net.loadAsync(fixture(m.file));
    expectCode(() => fresh.fillZero(), 'LITE_DISPOSED');
    expectCode(() => new LiteTensor(new LiteLayout(shape, 'float32')).copyFrom(fresh), 'LITE_DISPOSED');
    net.getIoTensor(name, LiteTensorPhase.LITE_INPUT).fillZero();
    net.dispose();
  });
});

describe('self-references and odd arguments give LiteErrors or nothing, never TypeErrors', () => {
  it('copyFrom(self) and shareMemoryWith(self) do nothing', () => {
    const t = parent();
    t.copyFrom(t);
    t.shareMemoryWith(t);
    expect(Array.from(t.toTypedArray() as Float32Array)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  const odd: [string, unknown][] = [
    ['Symbol', Symbol('s')],
    ['Object.create(null)', Object.create(null)],
    ['throwing valueOf', { valueOf: () => { throw new Error('trap'); } }],
    ['bigint', 10n],
  ];
  for (const [label, v] of odd) {
    it(`${label} as an argument`, () => {
      const net = new LiteNetwork();
      net.load(fixture(manifest().models.mlp!.file));
      const t = parent();
      const calls: [string, () => unknown][] = [
        ['threadsNumber =', () => { new LiteNetwork().threadsNumber = v as number; }],
        ['getInputName', () => net.getInputName(v as number)],
        ['getIoTensor phase', () => net.getIoTensor('data', v as LiteTensorPhase)],
        ['getDiscreteTensor', () => net.getDiscreteTensor('data', 0, v as LiteTensorPhase)],
        ['setNetworkAlgoWorkspaceLimit', () => net.setNetworkAlgoWorkspaceLimit(v as number)],
        ['setNetworkAlgoPolicy', () => net.setNetworkAlgoPolicy(v as number)],
        ['setNetworkAlgoPolicy batch', () => net.setNetworkAlgoPolicy(1, v as number)],
        ['ioTxtDump', () => net.ioTxtDump(v as string)],
        ['LiteLayout dtype', () => new LiteLayout([2], v as 'float32')],
        ['LiteLayout shape', () => new LiteLayout([v as number], 'float32')],
        ['LiteTensor deviceType', () => new LiteTensor(new LiteLayout([1]), v as number)],
        ['concat dim', () => LiteTensor.concat([t, t], v as number)],
        ['slice', () => t.slice([v as number], [1])],
        ['reshape', () => t.reshape([v as number])],
      ];
      // Any object is a valid options bag (no layout), and bigint values are accepted (as for int64).
      if (typeof v !== 'object') calls.push(['setDataByCopy options', () => t.setDataByCopy(new Float32Array(16), v as object)]);
      if (typeof v !== 'bigint') calls.push(['setDataByCopy values', () => t.setDataByCopy([v as number])]);
      for (const [what, call] of calls) {
        let caught: unknown;
        try {
          call();
        } catch (e) {
          caught = e;
        }
        expect(caught, `${what}: ${String(caught)}`).toBeInstanceOf(LiteError);
        expect((caught as LiteError).code, what).toBe('LITE_INVALID_ARGUMENT');
      }
      net.dispose();
    });
  }

  it('toTypedArray of a layout too large for JS is a LiteError', () => {
    const t = new LiteTensor(new LiteLayout([1e9, 1e9], 'float32'));
    const e = expectCode(() => t.toTypedArray(), 'LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/4000000000000000000 bytes/);
  });

  it('slice accepts the leading dimensions only, like megenginelite', () => {
    const t = new LiteTensor(new LiteLayout([2, 3, 4], 'int32'));
    t.setDataByCopy(Int32Array.from({ length: 24 }, (_, i) => i));
    const s = t.slice([1], [2]);
    expect(s.layout.shapes).toEqual([1, 3, 4]);
    expect(Array.from(s.toTypedArray() as Int32Array)).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    const s2 = t.slice([0, 1], [2, 3], [1, 2]);
    expect(s2.layout.shapes).toEqual([2, 1, 4]);
    expect(Array.from(s2.toTypedArray() as Int32Array)).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
    expectCode(() => t.slice([0, 0, 0, 0], [1, 1, 1, 1]), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.slice([], []), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.slice([0], [1, 1]), 'LITE_INVALID_ARGUMENT');
  });
});
