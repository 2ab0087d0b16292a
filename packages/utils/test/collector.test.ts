import ndarray from 'ndarray';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy, liteReference } from '@lite/testing';
import { LiteDataType, LiteDeviceType, LiteError, LiteLayout, LiteNetwork, LiteTensor, LiteTensorPhase, floatToHalf } from '@lite/core';
import '@lite/ndarray';
import { TensorBatchCollector } from '../src/index.js';

const CPU = { deviceType: LiteDeviceType.LITE_CPU };

/** Warnings emitted through process.emitWarning during a test, as [code, message]. */
let warnings: [string | undefined, string][] = [];
beforeEach(() => {
  warnings = [];
  vi.spyOn(process, 'emitWarning').mockImplementation(((message: string | Error, options?: { code?: string }) => {
    warnings.push([options?.code, String(message)]);
  }) as typeof process.emitWarning);
});
afterEach(() => {
  vi.restoreAllMocks();
});

function expectError(fn: () => unknown, code: string, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LiteError);
  expect((caught as LiteError).code).toBe(code);
  expect((caught as LiteError).message).toMatch(text);
}

/** Checks data[i][j] == i + offset for a [4, ...] batch. */
function expectSlots(data: ArrayLike<number>, perSample: number, value: (i: number) => number): void {
  expect(data.length).toBe(4 * perSample);
  for (let i = 0; i < 4; i++) for (let j = 0; j < perSample; j++) expect(data[i * perSample + j]).toBe(value(i));
}

describe('TensorBatchCollector: the megenginelite examples (on the CPU)', () => {
  it('1: sequential collect over two rounds with free gives i + 4 + 1', () => {
    const batch = new TensorBatchCollector([4, 8, 8], { dtype: LiteDataType.LITE_INT, ...CPU });
    const arr = new Int32Array(64).fill(1);
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < 4; i++) {
        expect(batch.collect(arr)).toBe(i);
        arr.forEach((v, k) => (arr[k] = v + 1));
      }
      batch.free([0, 1, 2, 3]);
    }
    const t = batch.get();
    expect(t.layout.shapes).toEqual([4, 8, 8]);
    expectSlots(batch.toTypedArray() as Int32Array, 64, (i) => i + 4 + 1);
    expect(warnings).toEqual([]);
  });

  it('2: collect by id gives i + 1', () => {
    const batch = new TensorBatchCollector([4, 8, 8], { dtype: LiteDataType.LITE_INT, ...CPU });
    const arr = new Int32Array(64).fill(2);
    expect(batch.collectId(arr, 1)).toBe(1);
    arr.fill(1);
    batch.collectId(arr, 0);
    arr.fill(3);
    batch.collectId(arr, 2);
    arr.fill(4);
    batch.collectId(arr, 3);
    const data = batch.toTypedArray() as Int32Array;
    batch.free([0, 1, 2, 3]);
    expectSlots(data, 64, (i) => i + 1);
    expect(warnings).toEqual([]);
  });

  it('3: collects into a user-provided tensor', () => {
    const all = new LiteTensor(new LiteLayout([4, 6, 8], LiteDataType.LITE_INT), LiteDeviceType.LITE_CPU);
    const batch = new TensorBatchCollector([4, 6, 8], { tensor: all });
    expect(batch.dataType).toBe(LiteDataType.LITE_INT); // taken from the tensor, not the int8 default
    const arr = new Int32Array(48).fill(1);
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < 4; i++) {
        batch.collect(arr);
        arr.forEach((v, k) => (arr[k] = v + 1));
      }
      batch.free([0, 1, 2, 3]);
    }
    expect(batch.get()).toBe(all);
    expectSlots(all.toTypedArray() as Int32Array, 48, (i) => i + 4 + 1);
  });

  it('4: collects from LiteTensors (copyFrom into a slot)', () => {
    const batch = new TensorBatchCollector([4, 6, 8], { dtype: LiteDataType.LITE_INT, ...CPU });
    const arr = new Int32Array(48).fill(1);
    const tensor = new LiteTensor(new LiteLayout([6, 8], LiteDataType.LITE_INT));
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < 4; i++) {
        tensor.setDataByShare(arr);
        batch.collect(tensor);
        arr.forEach((v, k) => (arr[k] = v + 1));
      }
      batch.free([0, 1, 2, 3]);
    }
    expect(batch.get().layout.shapes).toEqual([4, 6, 8]);
    expectSlots(batch.toTypedArray() as Int32Array, 48, (i) => i + 4 + 1);
  });
});

describe('TensorBatchCollector: behaviour', () => {
  it('defaults to CUDA like megenginelite and fails clearly without it', () => {
    expectError(() => new TensorBatchCollector([4, 8, 8]), 'LITE_UNSUPPORTED', /no LITE_CUDA device.*deviceType: LiteDeviceType\.LITE_CPU/);
    expectError(() => new TensorBatchCollector([4, 8], { ...CPU, isPinnedHost: true }), 'LITE_UNSUPPORTED', /pinned host memory needs CUDA/);
    const b = new TensorBatchCollector([2, 3], CPU);
    expect(b.dataType).toBe(LiteDataType.LITE_INT8); // megenginelite's default dtype
  });

  it('a full collector returns -1 with a LITE_BATCH_FULL warning and changes nothing', () => {
    const batch = new TensorBatchCollector([2, 3], { dtype: 'float32', ...CPU });
    expect(batch.collect(new Float32Array([1, 2, 3]))).toBe(0);
    expect(batch.collect(new Float32Array([4, 5, 6]))).toBe(1);
    expect(batch.collect(new Float32Array([7, 8, 9]))).toBe(-1);
    expect(batch.collectByPointer(new Float32Array([7, 8, 9]).buffer)).toBe(-1);
    expect(warnings.map((w) => w[0])).toEqual(['LITE_BATCH_FULL', 'LITE_BATCH_FULL']);
    expect(Array.from(batch.toTypedArray() as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    // free order decides the next slots, as in megenginelite's free list.
    batch.free([1, 0]);
    expect(batch.freeList).toEqual([1, 0]);
    expect(batch.collect(new Float32Array([0, 0, 1]))).toBe(1);
  });

  it('warns on re-collecting a slot and on freeing a free slot, like megenginelite', () => {
    const batch = new TensorBatchCollector([2, 2], { dtype: 'int16', ...CPU });
    batch.collectId(new Int16Array([1, 1]), 0);
    batch.collectId(new Int16Array([2, 2]), 0);
    batch.free([1]);
    expect(warnings.map((w) => w[0])).toEqual(['LITE_BATCH_RECOLLECT', 'LITE_BATCH_NOT_COLLECTED']);
    expect(batch.freeList).toEqual([1]);
    expect(Array.from(batch.getTensorAt(0).toTypedArray() as Int16Array)).toEqual([2, 2]);
  });

  it('collects raw bytes (collectByPointer) from a Buffer with a length', () => {
    const batch = new TensorBatchCollector([3, 2, 2], { dtype: 'uint8', ...CPU });
    const buf = Buffer.from([9, 8, 7, 6, 99, 99]);
    expect(batch.collectByPointer(buf, 4)).toBe(0);
    expect(batch.collectByPointer(new Uint8Array([1, 2, 3, 4]).buffer, 4)).toBe(1);
    expect(Array.from(batch.toTypedArray() as Uint8Array)).toEqual([9, 8, 7, 6, 1, 2, 3, 4, 0, 0, 0, 0]);
    expectError(() => batch.collectByPointer(buf, 5), 'LITE_INVALID_ARGUMENT', /got 5 bytes, one sample of \[2, 2\] uint8 is 4 bytes/);
    expectError(() => batch.collectByPointer(buf, 7), 'LITE_INVALID_ARGUMENT', /not within the 6 bytes/);
    expect(batch.freeList).toEqual([2]);
  });

  it('collects ndarrays (strided ones too) when @lite/ndarray is loaded', () => {
    const batch = new TensorBatchCollector([2, 2, 3], { dtype: 'float32', ...CPU });
    const base = ndarray(new Float32Array([0, 1, 2, 3, 4, 5]), [3, 2]);
    expect(batch.collect(base.transpose(1, 0))).toBe(0); // [[0, 2, 4], [1, 3, 5]]
    expect(batch.collect(ndarray(new Float32Array([6, 7, 8, 9, 10, 11]), [2, 3]))).toBe(1);
    expect(Array.from(batch.toTypedArray() as Float32Array)).toEqual([0, 2, 4, 1, 3, 5, 6, 7, 8, 9, 10, 11]);
    batch.free([0]);
    expectError(() => batch.collect(ndarray(new Float32Array(6), [3, 2])), 'LITE_INVALID_ARGUMENT', /shape \[3, 2\], expected one sample of \[2, 3\]/);
    expectError(() => batch.collect(ndarray(new Int32Array(6), [2, 3])), 'LITE_INVALID_ARGUMENT', /dtype int32, the batch is float32/);
    expect(batch.freeList).toEqual([0]);
  });

  it('takes float16 samples as raw halves', () => {
    const batch = new TensorBatchCollector([2, 2], { dtype: 'float16', ...CPU });
    batch.collect(Uint16Array.from([1.5, -2].map(floatToHalf)));
    batch.collect(ndarray(Uint16Array.from([0.25, 4].map(floatToHalf)), [2]));
    expect(Array.from(batch.get().toFloat32Array())).toEqual([1.5, -2, 0.25, 4]);
  });

  it('rejects bad samples with LITE_INVALID_ARGUMENT and leaves the collector unchanged', () => {
    const batch = new TensorBatchCollector([2, 4], { dtype: 'int32', ...CPU });
    batch.collect(new Int32Array([1, 2, 3, 4]));
    const before = Array.from(batch.toTypedArray() as Int32Array);
    const bad: [() => unknown, RegExp][] = [
      [() => batch.collect(new Int32Array(5)), /has 5 elements, one sample of \[4\] has 4/],
      [() => batch.collect(new Float32Array(4)), /dtype float32, the batch is int32/],
      [() => batch.collect(new LiteTensor(new LiteLayout([2, 2], 'int32'))), /LiteTensor has shape \[2, 2\], expected one sample of \[4\]/],
      [() => batch.collect(new LiteTensor(new LiteLayout([4], 'int16'))), /dtype int16, the batch is int32/],
      [() => batch.collect([1, 2, 3, 4] as unknown as Int32Array), /expects a TypedArray, a LiteTensor or an ndarray/],
      [() => batch.collectId(new Int32Array(4), 2), /batch id 2 is out of range \[0, 2\)/],
      [() => batch.collectId(new Int32Array(4), 0.5), /batch id 0\.5 is out of range/],
      [() => batch.free([0, 0]), /contain duplicates/],
      [() => batch.free([3]), /batch id 3 is out of range/],
      [() => new TensorBatchCollector([], CPU), /batch dimension first/],
      [() => new TensorBatchCollector([0, 3], CPU), /batch size \(shape\[0\]\) must be at least 1/],
      [() => new TensorBatchCollector([2, 4], { tensor: new LiteTensor(new LiteLayout([3, 4], 'int32')) }), /has shape \[3, 4\], expected \[2, 4\]/],
    ];
    for (const [fn, text] of bad) expectError(fn, 'LITE_INVALID_ARGUMENT', text);
    expect(batch.freeList).toEqual([1]);
    expect(Array.from(batch.toTypedArray() as Int32Array)).toEqual(before);
    expect(batch.get().layout.shapes).toEqual([2, 4]);
  });
});

describe('TensorBatchCollector end to end', () => {
  it('4 collected samples run as one batch through dynamic_batch match 4 single runs and the batch-4 reference', () => {
    const m = manifest().models.dynamic_batch!;
    const cases = m.cases as { tag: string; inputs: { npy: string }[]; outputs: { lite_npy: string; reference_npy: string }[] }[];
    const b4 = cases.find((c) => c.tag === 'b4')!;
    const input = readNpy(fixture(b4.inputs[0]!.npy));
    expect(input.shape).toEqual([4, 1, 28, 28]);
    const samples = [0, 1, 2, 3].map((i) => (input.data as Float32Array).slice(i * 784, (i + 1) * 784));

    // One sample at a time (batch 1), each from a LiteTensor-free TypedArray.
    const net = new LiteNetwork();
    net.load(fixture(m.file));
    const singles = samples.map((s) => {
      const inp = net.getIoTensor('data', LiteTensorPhase.LITE_INPUT);
      inp.layout = [1, 1, 28, 28];
      inp.setDataByCopy(s);
      net.forward();
      net.wait();
      return net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toTypedArray() as Float32Array;
    });

    // The same 4 samples collected (mixing TypedArray, LiteTensor and ndarray) and run as one batch.
    const batch = new TensorBatchCollector([4, 1, 28, 28], { dtype: 'float32', ...CPU });
    expect(batch.collect(samples[0]!)).toBe(0);
    const t1 = new LiteTensor(new LiteLayout([1, 28, 28], 'float32'));
    t1.setDataByCopy(samples[1]!);
    expect(batch.collect(t1)).toBe(1);
    expect(batch.collect(ndarray(samples[2]!, [1, 28, 28]))).toBe(2);
    expect(batch.collectByPointer(Buffer.from(samples[3]!.buffer), 784 * 4)).toBe(3);
    const inp = net.getIoTensor('data', LiteTensorPhase.LITE_INPUT);
    inp.layout = [4, 1, 28, 28];
    inp.copyFrom(batch.get());
    net.forward();
    net.wait();
    const out = net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT);
    expect(out.layout.shapes).toEqual([4, 10]);
    const batched = out.toTypedArray() as Float32Array;

    // Per-sample results of a batched run may differ from single runs by float rounding only
    // (kernels may block/vectorise differently per batch size): 1e-6 on softmax outputs <= 1.
    const perSample = singles.map((s, i) => maxAbsDiff(batched.subarray(i * 10, (i + 1) * 10), s));
    for (const d of perSample) expect(d).toBeLessThan(1e-6);
    // Same runtime, model and batch as Python megenginelite's batch-4 run: identical.
    expect(maxAbsDiff(batched, readNpy(liteReference(b4.outputs[0]!.lite_npy)).data as Float32Array)).toBe(0);
    // megengine's own imperative reference: float rounding only.
    expect(maxAbsDiff(batched, readNpy(fixture(b4.outputs[0]!.reference_npy)).data as Float32Array)).toBeLessThan(1e-5);
    console.log(`per-sample max |batched - single|: ${perSample.map((d) => d.toExponential(2)).join(', ')}`);
    net.dispose();
  });
});
