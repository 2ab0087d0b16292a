import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { describe, expect, it } from 'vitest';
import { fixture, manifest, readNpy, liteReference } from '@lite/testing';
import { LiteDataType, LiteError, LiteLayout, LiteNetwork, LiteTensor, LiteTensorPhase, floatToHalf } from '@lite/core';
import { fromNdarray, isFloat16, markFloat16, setFromNdarray, toNdarray, type NdArrayLike } from '../src/index.js';

/** Plain numbers of any numeric array (bigints converted), for toEqual. */
const nums = (a: ArrayLike<number | bigint>): number[] => Array.prototype.map.call(a, Number) as number[];
const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i);

/** Gathers any view into C order with ndarray-ops (the reference the gather must match). */
function reference(view: ndarray.NdArray<Float32Array>): Float32Array {
  const out = ndarray(new Float32Array(view.size), view.shape.slice());
  ops.assign(out, view);
  return out.data;
}

function expectInvalid(fn: () => unknown, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LiteError);
  expect((caught as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
  expect((caught as LiteError).message).toMatch(text);
}

describe('toNdarray', () => {
  it('copies by default, carrying shape and dtype', () => {
    const t = new LiteTensor(new LiteLayout([2, 3, 4], 'int32'));
    t.setDataByCopy(Int32Array.from({ length: 24 }, (_, i) => i * 3));
    const nd = toNdarray(t);
    expect(nd.shape).toEqual([2, 3, 4]);
    expect(nd.data).toBeInstanceOf(Int32Array);
    expect(nd.get(1, 2, 3)).toBe(23 * 3);
    nd.set(0, 0, 0, 99);
    expect(t.toTypedArray()[0]).toBe(0); // a copy
  });

  it('shares a contiguous CPU tensor without copying when asked', () => {
    const t = new LiteTensor(new LiteLayout([4, 8], 'float32'));
    t.setDataByCopy(iota(32));
    const nd = toNdarray(t, { share: true });
    nd.set(3, 7, -1);
    expect(t.toTypedArray()[31]).toBe(-1);
    t.setDataByCopy(new Float32Array(32).fill(5));
    expect(nd.get(0, 0)).toBe(5);
  });

  it('copies a non-contiguous slice even with share (values match the slice)', () => {
    const t = new LiteTensor(new LiteLayout([4, 8], 'int16'));
    t.setDataByCopy(Int16Array.from({ length: 32 }, (_, i) => i));
    const s = t.slice([1, 4], [3, 8]);
    expect(s.isContinue).toBe(false);
    const nd = toNdarray(s, { share: true });
    expect(nd.shape).toEqual([2, 4]);
    for (let r = 0; r < 2; r++) for (let c = 0; c < 4; c++) expect(nd.get(r, c)).toBe((r + 1) * 8 + c + 4);
  });

  it('returns float16 as raw halves tagged float16', () => {
    const t = new LiteTensor(new LiteLayout([2, 2], 'float16'));
    const halves = Uint16Array.from([1, -2, 0.5, 65504].map(floatToHalf));
    t.setDataByCopy(halves);
    const nd = toNdarray(t);
    expect(nd.data).toBeInstanceOf(Uint16Array);
    expect(nums(nd.data)).toEqual(nums(halves));
    expect(isFloat16(nd)).toBe(true);
    // A tagged ndarray goes back in as float16, not uint16.
    const back = fromNdarray(nd);
    expect(back.layout.dataType).toBe(LiteDataType.LITE_HALF);
    expect(nums(back.toTypedArray())).toEqual(nums(halves));
  });
});

describe('fromNdarray', () => {
  it('shares a contiguous ndarray (including an offset one) when asked', () => {
    const base = ndarray(iota(60), [5, 3, 4]);
    const view = base.lo(2, 0, 0); // offset 24, still C-contiguous
    const t = fromNdarray(view, { share: true });
    expect(t.layout.shapes).toEqual([3, 3, 4]);
    expect(t.layout.dataType).toBe(LiteDataType.LITE_FLOAT);
    expect(nums(t.toTypedArray())).toEqual(nums(reference(view)));
    base.set(2, 0, 0, -7); // written through the caller's memory ...
    expect(t.toTypedArray()[0]).toBe(-7); // ... seen by the tensor: no copy was made
    const shared = t.getDataByShare();
    expect(shared.buffer).toBe(base.data.buffer);
    expect(shared.byteOffset).toBe(24 * 4);
  });

  it('copies a contiguous ndarray without share', () => {
    const nd = ndarray(iota(12), [3, 4]);
    const t = fromNdarray(nd);
    nd.set(0, 0, 42);
    expect(t.toTypedArray()[0]).toBe(0);
  });

  const base = ndarray(iota(2 * 3 * 4 * 5), [2, 3, 4, 5]);
  const views: Record<string, ndarray.NdArray<Float32Array>> = {
    transposed: base.transpose(3, 1, 0, 2),
    stepped: base.step(1, 2, 3, 2),
    offset: base.lo(1, 1, 1, 2).hi(1, 2, 2, 3),
    negative: base.step(-1, 1, -1, -2),
    mixed: base.hi(2, 3, 4, 4).lo(0, 1, 0, 1).step(-1, -1, 2, 1).transpose(2, 0, 3, 1),
    picked: base.pick(1, null, null, 3),
  };
  for (const [name, view] of Object.entries(views)) {
    it(`gathers a ${name} view in C order like ndarray-ops`, () => {
      const expected = reference(view);
      for (const share of [false, true]) {
        const t = fromNdarray(view, { share });
        expect(t.layout.shapes).toEqual(view.shape);
        expect(nums(t.toTypedArray())).toEqual(nums(expected));
        t.dispose();
      }
      // The same through the setDataByCopy hook and setFromNdarray.
      const t2 = new LiteTensor();
      t2.setDataByCopy(view);
      expect(nums(t2.toTypedArray())).toEqual(nums(expected));
      const t3 = new LiteTensor(new LiteLayout([1], 'int8'));
      setFromNdarray(t3, view);
      expect(t3.layout.shapes).toEqual(view.shape);
      expect(t3.layout.dataType).toBe(LiteDataType.LITE_FLOAT);
      expect(nums(t3.toTypedArray())).toEqual(nums(expected));
    });
  }

  it('carries every dtype over', () => {
    const cases: [ndarray.Data<number>, LiteDataType][] = [
      [new Float32Array([1.5, -2]), LiteDataType.LITE_FLOAT],
      [new Int32Array([1, -2]), LiteDataType.LITE_INT],
      [new Int16Array([1, -2]), LiteDataType.LITE_INT16],
      [new Int8Array([1, -2]), LiteDataType.LITE_INT8],
      [new Uint8Array([1, 200]), LiteDataType.LITE_UINT8],
      [new Uint16Array([1, 60000]), LiteDataType.LITE_UINT16],
    ];
    for (const [data, dtype] of cases) {
      const t = fromNdarray(ndarray(data, [2, 1]));
      expect(t.layout.dataType).toBe(dtype);
      expect(nums(t.toTypedArray())).toEqual(nums(data as ArrayLike<number>));
    }
  });

  it('converts data of other types when options.dtype says so', () => {
    const t = fromNdarray(ndarray(new Float64Array([0.25, 1e10, -3]), [3]), { dtype: 'float32' });
    expect(t.layout.dataType).toBe(LiteDataType.LITE_FLOAT);
    expect(nums(t.toTypedArray())).toEqual([0.25, Math.fround(1e10), -3]);
    const u = fromNdarray(ndarray([1, 2, 3, 4], [2, 2]).transpose(1, 0), { dtype: 'int32' });
    expect(nums(u.toTypedArray())).toEqual([1, 3, 2, 4]);
  });

  it("takes float16 as raw halves with dtype 'float16' (or a markFloat16 tag)", () => {
    const halves = Uint16Array.from([0, 1, 2, 3, 4, 5].map((v) => floatToHalf(v / 4)));
    const t = fromNdarray(ndarray(halves, [2, 3]).transpose(1, 0), { dtype: 'float16' });
    expect(t.layout.dataType).toBe(LiteDataType.LITE_HALF);
    expect(nums(t.toFloat32Array())).toEqual([0, 0.75, 0.25, 1, 0.5, 1.25]);
    const tagged = markFloat16(ndarray(halves, [6]));
    const u = new LiteTensor();
    u.setDataByShare(tagged);
    expect(u.layout.dataType).toBe(LiteDataType.LITE_HALF);
    expect(u.getDataByShare().buffer).toBe(halves.buffer);
    // setFromNdarray keeps a float16 tensor float16 for untagged Uint16 data.
    const h = new LiteTensor(new LiteLayout([6], 'float16'));
    setFromNdarray(h, ndarray(halves, [3, 2]));
    expect(h.layout.dataType).toBe(LiteDataType.LITE_HALF);
    expect(h.layout.shapes).toEqual([3, 2]);
  });

  it('rejects bad input with LITE_INVALID_ARGUMENT and leaves the tensor unchanged', () => {
    const t = new LiteTensor(new LiteLayout([2], 'int32'));
    t.setDataByCopy(new Int32Array([7, 8]));
    const bad: [() => unknown, RegExp][] = [
      [() => setFromNdarray(t, ndarray(new Float64Array(4), [4])), /Float64Array has no tensor dtype; pass options\.dtype/],
      [() => setFromNdarray(t, ndarray(new Float32Array(4), [])), /rank-0/],
      [() => setFromNdarray(t, ndarray(new Float32Array(4), [3, 2])), /outside its data of length 4/],
      [() => setFromNdarray(t, { data: new Float32Array(8), shape: [2, 2], stride: [-2, 1], offset: 1 }), /outside its data/],
      [() => setFromNdarray(t, ndarray(new Float32Array(128), [2, 2, 2, 2, 2, 2, 2])), /rank 7/],
      [() => setFromNdarray(t, { data: new Float32Array(4), shape: [2, 2], stride: [2], offset: 0 }), /2 dimensions but 1 strides/],
      [() => setFromNdarray(t, ndarray(new Float32Array(4), [4]), { dtype: 'float16' }), /raw IEEE halves in a Uint16Array/],
      [() => setFromNdarray(t, ndarray(['a', 'b'] as unknown as number[], [2]), { dtype: 'int32' }), /data\[0\] is not a number/],
      [() => setFromNdarray(t, new Float32Array(2) as unknown as NdArrayLike), /expects an ndarray/],
      [() => t.setDataByCopy({ shape: [2], stride: [1], offset: 0, data: new Float64Array(2) }), /Float64Array has no tensor dtype/],
    ];
    for (const [fn, text] of bad) expectInvalid(fn, text);
    expect(t.layout.shapes).toEqual([2]);
    expect(t.layout.dataType).toBe(LiteDataType.LITE_INT);
    expect(nums(t.toTypedArray())).toEqual([7, 8]);
  });
});

describe('input checks against the tensor (before the engine)', () => {
  it('setDataByShare refuses a strided or transposed view (only a copy could be shared), as megenginelite does', () => {
    const t = new LiteTensor(new LiteLayout([3, 2], 'float32'));
    t.setDataByCopy(new Float32Array(6).fill(9));
    const base = ndarray(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3]);
    expectInvalid(() => t.setDataByShare(base.transpose(1, 0)), /strided, transposed or of another dtype, so only a copy could be shared; use setDataByCopy/);
    expectInvalid(() => t.setDataByShare(ndarray(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), [3, 2], [4, 1])), /only a copy could be shared/);
    expect(nums(t.toTypedArray())).toEqual([9, 9, 9, 9, 9, 9]);
    // A C-contiguous view of the tensor's dtype is shared: later writes reach the tensor.
    const mine = ndarray(new Float32Array(6), [3, 2]);
    t.setDataByShare(mine);
    mine.set(2, 1, 42);
    expect(nums(t.toTypedArray())).toEqual([0, 0, 0, 0, 0, 42]);
  });

  /** ShuffleNet's float32 [1, 3, 224, 224] input tensor, with its network (dispose it). */
  function shufflenetInput(): { net: LiteNetwork; data: LiteTensor } {
    const net = new LiteNetwork();
    net.load(fixture('shufflenet.mge'));
    return { net, data: net.getIoTensor('data', LiteTensorPhase.LITE_INPUT) };
  }

  it('a uint8 ndarray for a float32 network input: the input takes uint8, as in megenginelite; forward fails in the engine and the network keeps working', () => {
    // megenginelite 1.13: set_data_by_copy(np.ones((1, 3, 224, 224), 'uint8')) makes the layout
    // [1, 3, 224, 224] LITE_UINT8; forward() then fails with the engine's assertion
    // "dtype mismatch: get=Uint8 expect=Float32 opr=h2d[10]{Host2DeviceCopy}".
    const { net, data } = shufflenetInput();
    data.setDataByCopy(ndarray(new Uint8Array(3 * 224 * 224).fill(1), [1, 3, 224, 224]));
    expect(data.layout.dataType).toBe(LiteDataType.LITE_UINT8);
    expect(data.layout.shapes).toEqual([1, 3, 224, 224]);
    expect(nums(data.toTypedArray()).every((v) => v === 1)).toBe(true);
    let caught: unknown;
    try {
      net.forward();
      net.wait();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LiteError);
    expect((caught as LiteError).code).toBe('LITE_ERROR');
    expect((caught as LiteError).message).toMatch(/dtype mismatch: get=Uint8 expect=Float32/);
    data.setDataByCopy(ndarray(new Float32Array(3 * 224 * 224), [1, 3, 224, 224]));
    net.forward();
    net.wait();
    expect(net.getIoTensor(net.getAllOutputName()[0] as string).layout.shapes).toEqual([1, 1000]);
    net.dispose();
  });

  it('an NHWC ndarray for an NCHW input: the input takes [1, 224, 224, 3], as in megenginelite', () => {
    const { net, data } = shufflenetInput();
    data.setDataByCopy(ndarray(new Float32Array(3 * 224 * 224), [1, 224, 224, 3]));
    expect(data.layout.shapes).toEqual([1, 224, 224, 3]);
    expect(data.layout.dataType).toBe(LiteDataType.LITE_FLOAT);
    // the same data, transposed to NCHW, takes NCHW again
    data.setDataByCopy(ndarray(new Float32Array(3 * 224 * 224), [1, 224, 224, 3]).transpose(0, 3, 1, 2));
    expect(data.layout.shapes).toEqual([1, 3, 224, 224]);
    net.dispose();
  });

  it('a bare TypedArray keeps the strict checks (size and element type)', () => {
    const { net, data } = shufflenetInput();
    expectInvalid(() => data.setDataByCopy(new Uint8Array(3 * 224 * 224 + 1)), /got 150529 bytes but the tensor holds 602112/);
    expectInvalid(() => data.setDataByCopy(new Int32Array(3 * 224 * 224)), /Int32Array cannot hold float32 data/);
    expect(String(data.layout)).toBe('LiteLayout([1, 3, 224, 224], float32)');
    net.dispose();
  });

  it('another batch size is taken (a dynamic batch)', () => {
    const t = new LiteTensor(new LiteLayout([1, 4], 'float32'));
    t.setDataByCopy(ndarray(iota(12), [3, 4]));
    expect(t.layout.shapes).toEqual([3, 4]);
    expect(nums(t.toTypedArray())).toEqual(nums(iota(12)));
  });

  it('megenginelite test_tensor_by_set_copy_with_new_layout: an int32 [8, 64] ndarray relays an int16 [4, 32] tensor (copy and share)', () => {
    const layout = new LiteLayout([4, 32], 'int16');
    let tensor = new LiteTensor(layout);
    expect(tensor.nbytes).toBe(4 * 32 * 2);
    // megenginelite 1.13 with np.arange(512, dtype='int32').reshape(8, 64): layout [8, 64]
    // LITE_INT, nbytes 2048, to_numpy()[1, :3] == [64, 65, 66].
    const values = Int32Array.from({ length: 8 * 64 }, (_, i) => i);
    const arr = ndarray(values, [8, 64]);
    tensor.setDataByCopy(arr);
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_INT);
    expect(tensor.nbytes).toBe(2048);
    expect(nums(tensor.toTypedArray().subarray(64, 67))).toEqual([64, 65, 66]);
    values[0] = -7;
    expect(tensor.toTypedArray()[0]).toBe(0); // a copy

    tensor = new LiteTensor(layout);
    tensor.setDataByShare(arr);
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_INT);
    values[1] = 99;
    expect(tensor.toTypedArray()[1]).toBe(99); // shared
    // options.layout still wins over the ndarray's own layout.
    const t2 = new LiteTensor(layout);
    t2.setDataByCopy(arr, { layout: new LiteLayout([512], 'int32') });
    expect(t2.layout.shapes).toEqual([512]);
  });
});

describe('with a network', () => {
  it('a batch stored batch-last, fed as a transposed view, gives megenginelite output bit-for-bit', () => {
    const b4 = (manifest().models.dynamic_batch!.cases as { tag: string; inputs: { npy: string }[]; outputs: { name: string; lite_npy: string }[] }[]).find((c) => c.tag === 'b4')!;
    const input = readNpy(fixture(b4.inputs[0]!.npy));
    expect(input.shape).toEqual([4, 1, 28, 28]);
    const src = input.data as Float32Array;
    // Store the samples batch-last ([1, 28, 28, 4], so every sample is strided) and hand over
    // the transposed, non-contiguous [4, 1, 28, 28] view.
    const batchLast = new Float32Array(src.length);
    for (let b = 0; b < 4; b++) for (let i = 0; i < 784; i++) batchLast[i * 4 + b] = src[b * 784 + i] as number;
    const view = ndarray(batchLast, [1, 28, 28, 4]).transpose(3, 0, 1, 2);
    expect(view.stride).toEqual([1, 3136, 112, 4]);
    const net = new LiteNetwork();
    net.load(fixture(manifest().models.dynamic_batch!.file));
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(view);
    net.forward();
    net.wait();
    const out = toNdarray(net.getIoTensor(b4.outputs[0]!.name, LiteTensorPhase.LITE_OUTPUT));
    expect(out.shape).toEqual([4, 10]);
    const lite = readNpy(liteReference(b4.outputs[0]!.lite_npy)).data as Float32Array;
    // Same runtime, same options, same input values as Python megenginelite: identical.
    expect(nums(out.data)).toEqual(nums(lite));
    net.dispose();
  });
});
