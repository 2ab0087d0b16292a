// Issue 22, @lite/core: megenginelite parity of setDataByCopy with an ndarray that brings another
// layout, predict feeds checked against the declared input before the engine, and DataViews over
// detached buffers refused as LiteErrors at every entry point.
import { describe, expect, it } from 'vitest';
import { fixture, liteReference, manifest, readNpy } from '@lite/testing';
import { LiteDataType, LiteError, LiteLayout, LiteNetwork, LiteNetworkPool, LiteTensor, type NdArrayLike, dataTypeOfArray, getModelIoInfo, registerDataConverter, validateModel } from '../src/index.js';
import { expectCode } from './helpers.js';

const models = manifest().models;
const f32 = (npy: string): Float32Array => readNpy(fixture(npy)).data as Float32Array;
// megenginelite's output on this machine (same runtime, same inputs: bit for bit).
const ref = (npy: string): Float32Array => readNpy(liteReference(npy)).data as Float32Array;
const dyn = models.dynamic_batch!;
const dynCases = dyn.cases as { tag: string; inputs: { npy: string; shape: number[] }[]; outputs: { lite_npy: string }[] }[];
const b1 = dynCases.find((c) => c.tag === 'b1')!;
const b4 = dynCases.find((c) => c.tag === 'b4')!;

function load(file: string): LiteNetwork {
  const net = new LiteNetwork();
  net.load(fixture(file));
  return net;
}

async function rejection(p: Promise<unknown>): Promise<LiteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(LiteError);
  expect((e as LiteError).message).not.toMatch(/[\r\n]/);
  return e as LiteError;
}

/** Elements as plain numbers (tensor data here is never int64). */
const A = (x: unknown): number[] => Array.from(x as ArrayLike<number>);

// A minimal ndarray converter through core's public hook (what @lite/ndarray registers, reduced to
// C-contiguous TypedArray views): it exercises core's ndarray path without @lite/ndarray.
registerDataConverter((value) => {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || !('stride' in value)) return undefined;
  const nd = value as NdArrayLike;
  const data = nd.data as Int32Array | Float32Array | Int16Array;
  const count = nd.shape.reduce((a, d) => a * d, 1);
  return { data: data.subarray(nd.offset, nd.offset + count), layout: new LiteLayout(nd.shape, dataTypeOfArray(data)) };
});

/** A C-contiguous ndarray-like view of `data` with `shape`. */
function nd(data: Int32Array | Float32Array | Int16Array, shape: number[]): NdArrayLike {
  const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, d) => a * d, 1));
  return { data, shape, stride, offset: 0 };
}

describe('1. setDataByCopy / setDataByShare of an ndarray take its layout (megenginelite set_data_by_copy)', () => {
  it('test_tensor_by_set_copy_with_new_layout: int32 [8, 64] into an int16 [4, 32] tensor', () => {
    // megenginelite 1.13, the same steps with np.arange(512, dtype='int32').reshape(8, 64):
    // layout [8, 64] LITE_INT, nbytes 2048, to_numpy()[1, :3] == [64, 65, 66].
    const layout = new LiteLayout([4, 32], 'int16');
    let tensor = new LiteTensor(layout);
    expect(tensor.nbytes).toBe(4 * 32 * 2);
    const arr = nd(Int32Array.from({ length: 512 }, (_, i) => i), [8, 64]);
    tensor.setDataByCopy(arr);
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_INT);
    expect(tensor.nbytes).toBe(2048);
    expect(A(tensor.toTypedArray()).slice(64, 67)).toEqual([64, 65, 66]);

    tensor = new LiteTensor(layout);
    tensor.setDataByShare(arr);
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_INT);
  });

  it('same element count, another shape (NHWC data for NCHW): the shape is taken', () => {
    const t = new LiteTensor(new LiteLayout([1, 3, 2, 2], 'float32'));
    t.setDataByCopy(nd(Float32Array.from({ length: 12 }, (_, i) => i), [1, 2, 2, 3]));
    expect(t.layout.shapes).toEqual([1, 2, 2, 3]);
    expect(A(t.toTypedArray())).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('a bare TypedArray keeps the strict checks: another size or element type is refused, nothing changes', () => {
    const t = new LiteTensor(new LiteLayout([4, 32], 'int16'));
    t.setDataByCopy(new Int16Array(128).fill(3));
    expect(expectCode(() => t.setDataByCopy(new Int16Array(512)), 'LITE_INVALID_ARGUMENT').message).toBe(
      'setDataByCopy: got 1024 bytes but the tensor holds 256 (LiteLayout([4, 32], int16)); pass options.layout to relayout',
    );
    expect(expectCode(() => t.setDataByCopy(new Int32Array(64)), 'LITE_INVALID_ARGUMENT').message).toMatch(/^setDataByCopy: a Int32Array cannot hold int16 data/);
    expect(String(t.layout)).toBe('LiteLayout([4, 32], int16)');
    expect(A(t.toTypedArray()).every((v) => v === 3)).toBe(true);
  });
});

describe('2. a predict feed of another rank is refused before the engine', () => {
  // megenginelite 1.13 and this runtime, the same shapes set on the input and forwarded:
  // dynamic_batch [1, 1, 28, 28]: [4, 1, 28, 28] runs (prob [4, 10]); [1, 784] and [1, 1, 32, 32]
  // fail in the engine (RuntimeError; here LITE_ERROR "unknown engine error", no engineMessage).
  // mlp [1, 64]: [4, 64] runs; [64], [1, 1, 64] and [1, 65] fail in the engine.
  // shufflenet [1, 3, 224, 224]: [1, 3, 112, 112] runs (prob [1, 1000]).
  const x = f32(b1.inputs[0]!.npy);

  it('{ data, shape: [1, 784] } for the 4-D input of dynamic_batch: LITE_INVALID_ARGUMENT naming the input and both shapes', async () => {
    const net = load(dyn.file);
    const e = await rejection(net.predict({ data: { data: x, shape: [1, 784] } }));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe(
      'predict: input "data": { data, shape } has shape [1, 784] (2 dims) but the model declares [1, 1, 28, 28] (4 dims); a feed must keep the declared rank; for these 784 values give shape [1, 1, 28, 28]',
    );
    expect(e.engineMessage).toBeUndefined();
    for (const shape of [[784], [1, 28, 28], [1, 1, 28, 28, 1], [4, 784]]) {
      const bad = await rejection(net.predict({ data: { data: new Float32Array(shape.reduce((a, d) => a * d, 1)), shape } }));
      expect(bad.code).toBe('LITE_INVALID_ARGUMENT');
      expect(bad.message).toMatch(new RegExp(`^predict: input "data": \\{ data, shape \\} has shape \\[${shape.join(', ')}\\] \\(${shape.length} dims?\\) but the model declares \\[1, 1, 28, 28\\]`));
    }
    // A LiteTensor and an ndarray feed follow the same rule.
    const t = new LiteTensor(new LiteLayout([1, 784], 'float32'));
    t.setDataByCopy(x);
    expect((await rejection(net.predict({ data: t }))).message).toMatch(/^predict: input "data": the LiteTensor has shape \[1, 784\] \(2 dims\) but the model declares \[1, 1, 28, 28\]/);
    expect((await rejection(net.predict({ data: nd(x, [1, 784]) }))).message).toMatch(/^predict: input "data": the ndarray has shape \[1, 784\] \(2 dims\)/);
    // Nothing was changed: the declared shape and another batch still run, bit for bit.
    expect((await net.predict<'prob'>({ data: x })).prob.toTypedArray()).toEqual(ref(b1.outputs[0]!.lite_npy));
    const x4 = f32(b4.inputs[0]!.npy);
    expect((await net.predict<'prob'>({ data: { data: x4, shape: [4, 1, 28, 28] } })).prob.toTypedArray()).toEqual(ref(b4.outputs[0]!.lite_npy));
    net.dispose();
  });

  it('the pool applies the same rule', async () => {
    await using pool = await LiteNetworkPool.create(fixture(dyn.file), { size: 1 });
    const e = await rejection(pool.predict({ data: { data: x, shape: [1, 784] } }));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/^pool.predict: input "data": \{ data, shape \} has shape \[1, 784\]/);
    expect((await pool.predict<'prob'>({ data: x })).prob.toTypedArray()).toEqual(ref(b1.outputs[0]!.lite_npy));
  });

  it('what worked keeps working: other sizes of the declared rank reach the engine (it runs those the graph allows)', async () => {
    const shuffle = load(models.shufflenet!.file);
    const small = await shuffle.predict<'prob'>({ data: { data: new Float32Array(3 * 112 * 112).fill(0.5), shape: [1, 3, 112, 112] } });
    expect(small.prob.layout.shapes).toEqual([1, 1000]);
    shuffle.dispose();
    const mlp = load(models.mlp!.file);
    const wide = await rejection(mlp.predict({ data: { data: new Float32Array(65), shape: [1, 65] } }));
    expect(wide.code).toBe('LITE_ERROR');
    expect(wide.message).toMatch(/input "data" was given \[1, 65\], the model declares \[1, 64\]/);
    const batch = await mlp.predict<'logits'>({ data: { data: new Float32Array(4 * 64), shape: [4, 64] } });
    expect(batch.logits.layout.shapes).toEqual([4, 10]);
    mlp.dispose();
    // The megenginelite way still sets any layout the engine runs, another rank included
    // (two_io.mge broadcasts b [4] over a [2, 3, 4]; megenginelite gives sum_out [2, 3, 4]).
    const two = load(models.two_io!.file);
    const b = two.getIoTensor('b');
    b.setDataByCopy(new Float32Array([1, 2, 3, 4]), { layout: [4] });
    two.getIoTensor('a').setDataByCopy(new Float32Array(24));
    two.forward();
    two.wait();
    expect(two.getIoTensor('sum_out').layout.shapes).toEqual([2, 3, 4]);
    expect(A(two.getIoTensor('sum_out').toTypedArray()).slice(0, 8)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    two.dispose();
  });
});

describe('3. data over a detached ArrayBuffer is a LiteError (LITE_INVALID_ARGUMENT, "detached") wherever data is accepted', () => {
  /** A view made over a buffer that is then detached (transferred) by structuredClone. */
  function detached<T>(make: (buf: ArrayBuffer) => T, bytes = 256): T {
    const buf = new ArrayBuffer(bytes);
    const view = make(buf);
    structuredClone(buf, { transfer: [buf] });
    expect(buf.byteLength).toBe(0);
    return view;
  }
  const dataView = (): DataView => detached((b) => new DataView(b));

  function expectDetached(e: LiteError, prefix: string): void {
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe(`${prefix} was detached (transferred)`);
  }

  it('setDataByCopy and setDataByShare (with and without a layout), also on a network input', () => {
    const t = new LiteTensor(new LiteLayout([64], 'float32'));
    t.setDataByCopy(new Float32Array(64).fill(2));
    expectDetached(expectCode(() => t.setDataByCopy(dataView()), 'LITE_INVALID_ARGUMENT'), 'the data passed to setDataByCopy');
    expectDetached(expectCode(() => t.setDataByCopy(dataView(), { layout: [64] }), 'LITE_INVALID_ARGUMENT'), 'the data passed to setDataByCopy');
    expectDetached(expectCode(() => t.setDataByShare(dataView()), 'LITE_INVALID_ARGUMENT'), 'the data passed to setDataByShare');
    expectDetached(expectCode(() => t.setDataByShare(dataView(), { layout: [64] }), 'LITE_INVALID_ARGUMENT'), 'the data passed to setDataByShare');
    expect(A(t.toTypedArray()).every((v) => v === 2)).toBe(true);
    const net = load(models.mlp!.file);
    expectDetached(expectCode(() => net.getIoTensor('data').setDataByCopy(dataView()), 'LITE_INVALID_ARGUMENT'), 'the data passed to setDataByCopy');
    net.dispose();
  });

  it('predict and pool.predict feeds: a DataView, { data: DataView, shape }, a TypedArray or an ArrayBuffer', async () => {
    const net = load(models.mlp!.file);
    for (const feed of [dataView(), { data: dataView(), shape: [1, 64] }, detached((b) => new Float32Array(b)), detached((b) => b)]) {
      expectDetached(await rejection(net.predict({ data: feed })), 'predict: input "data": the data');
    }
    await using pool = await LiteNetworkPool.create(fixture(models.mlp!.file), { size: 1 });
    expectDetached(await rejection(pool.predict({ data: dataView() })), 'pool.predict: input "data": the data');
    expectDetached(await rejection(pool.predict({ data: { data: dataView(), shape: [1, 64] } })), 'pool.predict: input "data": the data');
    // Both still run.
    const x = f32(models.mlp!.inputs[0]!.npy!);
    const want = ref(models.mlp!.outputs[0]!.lite_npy!);
    expect((await net.predict<'logits'>({ data: x })).logits.toTypedArray()).toEqual(want);
    expect((await pool.predict<'logits'>({ data: new DataView(x.buffer, x.byteOffset, x.byteLength) })).logits.toTypedArray()).toEqual(want);
    net.dispose();
  });

  it('model bytes: load, loadAsync, getModelIoInfo, validateModel and LiteNetworkPool.create', async () => {
    for (const bytes of [detached((b) => new Uint8Array(b)), detached((b) => b)]) {
      expectDetached(expectCode(() => new LiteNetwork().load(bytes), 'LITE_INVALID_ARGUMENT'), 'the model data');
      expectDetached(await rejection(new LiteNetwork().loadAsync(bytes)), 'the model data');
      expectDetached(expectCode(() => getModelIoInfo(bytes), 'LITE_INVALID_ARGUMENT'), 'the model data');
      expectDetached(await rejection(validateModel(bytes)), 'the model data');
      expectDetached(await rejection(LiteNetworkPool.create(bytes, { size: 1 })), 'the model data');
    }
  });
});
