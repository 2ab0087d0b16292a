// Port of megenginelite's lite/pylite/test/test_tensor.py (same scenarios, same assertions) plus
// the LiteTensor examples of the PyLite README / python-interface docs, every runtime dtype,
// zero-copy proofs and view-lifetime safety. Real runtime, no mocks.
import { describe, expect, it } from 'vitest';
import {
  LiteDataType,
  LiteDeviceType,
  LiteError,
  LiteGlobal,
  LiteLayout,
  LiteTensor,
  float32ToHalfArray,
  halfToFloat,
  type DTypeName,
} from '../src/index.js';
import { expectCode } from './helpers.js';

/** Elements as plain numbers (tensor data here is never int64). */
const A = (x: unknown): number[] => Array.from(x as ArrayLike<number>);

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));
const at2 = (data: unknown, cols: number, r: number, c: number): number => (data as ArrayLike<number>)[r * cols + c] as number;
const cudaCount = LiteGlobal.getDeviceCount(LiteDeviceType.LITE_CUDA);


describe('test_tensor.py port', () => {
  it('test_tensor_make', () => {
    const emptyLayout = new LiteLayout();
    expect(emptyLayout.ndim).toBe(0);
    expect(emptyLayout.dataType).toBe(LiteDataType.LITE_FLOAT);

    const emptyTensor = new LiteTensor();
    expect(emptyTensor.layout.ndim).toBe(emptyLayout.ndim);
    expect(emptyTensor.layout.dataType).toBe(emptyLayout.dataType);

    new LiteLayout([4, 16]);
    expect(new LiteLayout(undefined, 'float32').dataType).toBe(LiteDataType.LITE_FLOAT);
    expect(new LiteLayout([4, 16], 'float32').dataType).toBe(LiteDataType.LITE_FLOAT);
    expect(new LiteLayout([4, 16], 'float16').dataType).toBe(LiteDataType.LITE_HALF);
    expect(new LiteLayout([4, 16], Float32Array).dataType).toBe(LiteDataType.LITE_FLOAT);
    expect(new LiteLayout([4, 16], Int8Array).dataType).toBe(LiteDataType.LITE_INT8);
    const layout = new LiteLayout([4, 16], LiteDataType.LITE_FLOAT);

    new LiteTensor(layout);
    let tensor = new LiteTensor(layout, LiteDeviceType.LITE_CPU);
    expect(tensor.layout.equals(layout)).toBe(true);
    expect(tensor.deviceType).toBe(LiteDeviceType.LITE_CPU);
    expect(tensor.isContinue).toBe(true);
    expect(tensor.isPinnedHost).toBe(false);
    expect(tensor.nbytes).toBe(4 * 16 * 4);
    expect(tensor.deviceId).toBe(0);

    tensor = new LiteTensor(layout, LiteDeviceType.LITE_CPU, 1);
    expect(tensor.deviceId).toBe(1);

    tensor.layout = [8, 14];
    expect(tensor.layout.shapes[0]).toBe(8);
    expect(tensor.layout.shapes[1]).toBe(14);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_FLOAT);

    const tensorNew = new LiteTensor({ shapes: [1, 3, 224], dtype: Int8Array });
    expect(tensorNew.layout.shapes[1]).toBe(3);
    expect(tensorNew.layout.shapes[2]).toBe(224);
    expect(tensorNew.layout.dataType).toBe(LiteDataType.LITE_INT8);
  });

  it('test_tensor_set_data (also the README example)', () => {
    const tensor = new LiteTensor(new LiteLayout([2, 16], 'int8'));
    expect(tensor.nbytes).toBe(2 * 16);

    tensor.setDataByCopy(range(32));
    let real = tensor.toTypedArray();
    for (let i = 0; i < 32; i++) expect(at2(real, 16, Math.floor(i / 16), i % 16)).toBe(i);

    const arr = new Int8Array(32).fill(1);
    tensor.setDataByCopy(arr);
    real = tensor.toTypedArray();
    for (let i = 0; i < 32; i++) expect(real[i]).toBe(1);

    for (let i = 0; i < 32; i++) arr[i] = i;
    tensor.setDataByShare(arr);
    real = tensor.toTypedArray();
    for (let i = 0; i < 32; i++) expect(real[i]).toBe(i);

    arr[0 * 16 + 8] = 100;
    arr[1 * 16 + 3] = 20;
    real = tensor.toTypedArray();
    expect(at2(real, 16, 0, 8)).toBe(100);
    expect(at2(real, 16, 1, 3)).toBe(20);
  });

  // test_set_data_by_copy_not_continuous / _share_not_continuous: a TypedArray is always
  // contiguous, so the "transposed numpy array" input has no JS counterpart; the contiguous
  // half of those tests (copy and share of a plain 2x3 uint8 buffer into an empty / [2,3] int8
  // tensor) is kept.
  it('test_set_data_by_copy_not_continuous / test_set_data_by_share_not_continuous (contiguous half)', () => {
    const empty = new LiteTensor(new LiteLayout());
    const data = Uint8Array.from([0, 3, 1, 4, 2, 5]);
    // The tensor has no layout: raw bytes need one (a TypedArray of the natural dtype gives 1-D).
    empty.setDataByCopy(data, { layout: new LiteLayout([3, 2], 'uint8') });
    expect(A(empty.toTypedArray())).toEqual([0, 3, 1, 4, 2, 5]);

    const t = new LiteTensor(new LiteLayout([2, 3], 'int8'));
    t.setDataByShare(data);
    expect(A(t.toTypedArray())).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('test_fill_zero', () => {
    const tensor1 = new LiteTensor(new LiteLayout([4, 8], 'int16'));
    expect(tensor1.nbytes).toBe(4 * 8 * 2);
    tensor1.setDataByCopy(range(32));
    expect(A(tensor1.toTypedArray())).toEqual(range(32));
    tensor1.fillZero();
    expect(A(tensor1.toTypedArray())).toEqual(range(32, () => 0));
  });

  it('test_copy_from', () => {
    const layout = new LiteLayout([4, 8], 'int16');
    const tensor1 = new LiteTensor(layout);
    const tensor2 = new LiteTensor(layout);
    expect(tensor1.nbytes).toBe(64);
    expect(tensor2.nbytes).toBe(64);
    tensor1.setDataByCopy(range(32));
    tensor2.copyFrom(tensor1);
    expect(A(tensor2.toTypedArray())).toEqual(range(32));
    tensor1.setDataByCopy(range(32, (i) => i + 5));
    tensor2.copyFrom(tensor1);
    expect(A(tensor2.toTypedArray())).toEqual(range(32, (i) => i + 5));
  });

  it('copy_from adopts the source layout', () => {
    const src = new LiteTensor(new LiteLayout([3, 5], 'int32'));
    src.setDataByCopy(range(15, (i) => i * 7));
    const dst = new LiteTensor(new LiteLayout([2, 2], 'uint8'));
    dst.copyFrom(src);
    expect(dst.layout.equals(src.layout)).toBe(true);
    expect(dst.toTypedArray()).toBeInstanceOf(Int32Array);
    expect(A(dst.toTypedArray())).toEqual(range(15, (i) => i * 7));
    // A copy, not a share.
    src.fillZero();
    expect(dst.toTypedArray()[14]).toBe(98);
  });

  it('test_reshape', () => {
    const tensor1 = new LiteTensor(new LiteLayout([4, 8], 'int16'));
    expect(tensor1.nbytes).toBe(64);
    tensor1.setDataByCopy(range(32));
    tensor1.reshape([8, 4]);
    expect(tensor1.layout.shapes).toEqual([8, 4]);
    const real = tensor1.toTypedArray();
    for (let i = 0; i < 32; i++) expect(at2(real, 4, Math.floor(i / 4), i % 4)).toBe(i);
    tensor1.reshape([2, -1, 4]);
    expect(tensor1.layout.shapes).toEqual([2, 4, 4]);
    expect(A(tensor1.toTypedArray())).toEqual(range(32));
  });

  it('test_slice (also the python-interface docs example)', () => {
    const tensor1 = new LiteTensor(new LiteLayout([4, 8], 'int32'));
    expect(tensor1.nbytes).toBe(4 * 8 * 4);
    tensor1.setDataByCopy(range(32));
    const org = tensor1.toTypedArray();
    for (let i = 0; i < 32; i++) expect(org[i]).toBe(i);

    const tensor2 = tensor1.slice([1, 4], [3, 8]);
    expect(tensor2.layout.shapes[0]).toBe(2);
    expect(tensor2.layout.shapes[1]).toBe(4);
    expect(tensor2.isContinue).toBe(false);
    const real = tensor2.toTypedArray();
    for (let i = 0; i < 8; i++) {
      const row = Math.floor(i / 4);
      const col = i % 4;
      expect(at2(real, 4, row, col)).toBe(at2(org, 8, row + 1, col + 4));
    }

    // With a step: rows 0 and 2, columns 1, 4, 7.
    const stepped = tensor1.slice([0, 1], [4, 8], [2, 3]);
    expect(stepped.layout.shapes).toEqual([2, 3]);
    expect(A(stepped.toTypedArray())).toEqual([1, 4, 7, 17, 20, 23]);

    // The slice shares memory: a later write to the parent shows in it.
    tensor1.setDataByCopy(range(32, (i) => -i));
    expect(A(tensor2.toTypedArray())).toEqual([-12, -13, -14, -15, -20, -21, -22, -23]);
  });

  it('test_tensor_share_memory (also the python-interface docs example)', () => {
    const layout = new LiteLayout([4, 8], 'int16');
    const tensor1 = new LiteTensor(layout);
    const tensor2 = new LiteTensor(layout);
    expect(tensor1.nbytes).toBe(64);
    expect(tensor2.nbytes).toBe(64);
    tensor1.setDataByCopy(range(32));
    tensor2.shareMemoryWith(tensor1);
    expect(A(tensor2.toTypedArray())).toEqual(range(32));
    tensor1.setDataByCopy(range(32, (i) => i + 5));
    expect(A(tensor2.toTypedArray())).toEqual(range(32, (i) => i + 5));
  });

  it('share_memory_with adopts the source layout', () => {
    const src = new LiteTensor(new LiteLayout([2, 3], 'float32'));
    src.setDataByCopy([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    const dst = new LiteTensor(new LiteLayout([7], 'int8'));
    dst.shareMemoryWith(src);
    expect(dst.layout.equals(src.layout)).toBe(true);
    expect(A(dst.toTypedArray())).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  });

  it('test_tensor_share_ctype_memory (raw bytes with an explicit size)', () => {
    const tensor1 = new LiteTensor(new LiteLayout([4, 8], 'int16'));
    expect(tensor1.nbytes).toBe(64);
    const arr = Int16Array.from(range(32));
    // Python passes (pointer, byte length); JS passes the bytes themselves.
    tensor1.setDataByShare(new Uint8Array(arr.buffer, 0, 64));
    expect(A(tensor1.toTypedArray())).toEqual(range(32));
  });

  it('test_tensor_share_memory_with (also the README example)', () => {
    const layout = new LiteLayout([4, 32], 'int16');
    const tensor = new LiteTensor(layout);
    expect(tensor.nbytes).toBe(4 * 32 * 2);
    const arr = new Int16Array(128).fill(1);
    for (let i = 0; i < 128; i++) arr[i] = i;
    tensor.setDataByShare(arr);
    expect(A(tensor.toTypedArray())).toEqual(range(128));

    const tensor2 = new LiteTensor(layout);
    tensor2.shareMemoryWith(tensor);
    expect(A(tensor.toTypedArray())).toEqual(range(128));
    expect(A(tensor2.toTypedArray())).toEqual(range(128));

    arr[1 * 32 + 18] = 5;
    arr[3 * 32 + 7] = 345;
    const real = tensor2.toTypedArray();
    expect(at2(real, 32, 1, 18)).toBe(5);
    expect(at2(real, 32, 3, 7)).toBe(345);
  });

  it('test_empty_tensor', () => {
    const empty = new LiteTensor();
    expect(empty.layout.ndim).toBe(0);
    expect(empty.layout.dataType).toBe(LiteDataType.LITE_FLOAT);
    const data = empty.toTypedArray();
    expect(data).toBeInstanceOf(Float32Array);
    expect(data.length).toBe(0);
    expect(empty.getDataByShare().length).toBe(0);
  });

  it('test_tensor_by_set_copy_with_new_layout', () => {
    const layout = new LiteLayout([4, 32], 'int16');
    let tensor = new LiteTensor(layout);
    expect(tensor.nbytes).toBe(4 * 32 * 2);
    const arr = new Int32Array(8 * 64).fill(1);
    // A TypedArray carries no shape, so the new layout is given explicitly (numpy's shape).
    const newLayout = new LiteLayout([8, 64], 'int32');
    tensor.setDataByCopy(arr, { layout: newLayout });
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    expect(tensor.layout.dataType).toBe(LiteDataType.LITE_INT);
    expect(A(tensor.toTypedArray()).every((v) => v === 1)).toBe(true);

    tensor = new LiteTensor(layout);
    tensor.setDataByShare(arr, { layout: newLayout });
    expect(tensor.layout.ndim).toBe(2);
    expect(tensor.layout.shapes).toEqual([8, 64]);
    // A same-dtype TypedArray of another size, shared without a layout, becomes 1-D.
    const t3 = new LiteTensor(new LiteLayout([4, 32], 'int32'));
    t3.setDataByShare(arr);
    expect(t3.layout.shapes).toEqual([512]);
  });

  it('test_tensor_concat', () => {
    const layout = new LiteLayout([4, 32], 'int16');
    const tensors: LiteTensor[] = [];
    const arr = new Int16Array(128).fill(1);
    for (let j = 0; j < 4; j++) {
      arr.fill(j);
      const tensor = new LiteTensor(layout);
      tensor.setDataByCopy(arr);
      tensors.push(tensor);
    }
    const newTensor = LiteTensor.concat(tensors, 0);
    expect(newTensor.layout.shapes).toEqual([16, 32]);
    const real = newTensor.toTypedArray();
    for (let j = 0; j < 4; j++) for (let i = 0; i < 128; i++) expect(real[j * 128 + i]).toBe(j);

    // Along dim 1 the rows interleave.
    const wide = LiteTensor.concat(tensors.slice(0, 2), 1);
    expect(wide.layout.shapes).toEqual([4, 64]);
    const w = wide.toTypedArray();
    expect(at2(w, 64, 2, 31)).toBe(0);
    expect(at2(w, 64, 2, 32)).toBe(1);
  });

  it('test_tensor_get_memory_by_share', () => {
    const tensor = new LiteTensor(new LiteLayout([4, 32], 'int16'));
    expect(tensor.nbytes).toBe(256);
    const arr = Int16Array.from(range(128));
    tensor.setDataByCopy(arr);
    const testData = tensor.getDataByShare();
    const real = tensor.toTypedArray();
    for (let i = 0; i < 128; i++) expect(real[i]).toBe(testData[i]);

    arr[1 * 32 + 18] = 5;
    arr[3 * 32 + 7] = 345;
    tensor.setDataByCopy(arr);
    expect(at2(testData, 32, 1, 18)).toBe(5);
    expect(at2(testData, 32, 3, 7)).toBe(345);
  });

  // test_tensor_share_ctype_memory_device / test_tensor_set_data_device (require_cuda).
  if (cudaCount === 0) console.warn('[tensor.test] test_tensor_set_data_device skipped: no CUDA device (its CPU-side counterparts below run instead)');
  it.runIf(cudaCount > 0)(`test_tensor_set_data_device (CUDA)${cudaCount > 0 ? '' : ' (skipped: no CUDA device)'}`, () => {
    const tensor = new LiteTensor(new LiteLayout([2, 16], 'int8'), LiteDeviceType.LITE_CUDA);
    expect(tensor.nbytes).toBe(32);
    tensor.setDataByCopy(range(32));
    expect(A(tensor.toTypedArray())).toEqual(range(32));
    tensor.setDataByCopy(new Int8Array(32).fill(1));
    expect(A(tensor.toTypedArray())).toEqual(range(32, () => 1));
    const pinned = new LiteTensor({ layout: new LiteLayout([2, 16], 'int8'), deviceType: LiteDeviceType.LITE_CUDA, isPinnedHost: true });
    pinned.setDataByCopy(range(32));
    tensor.copyFrom(pinned);
    expect(A(tensor.toTypedArray())).toEqual(range(32));
  });
});

describe('CUDA and pinned host without a GPU', () => {
  it.runIf(cudaCount === 0)('a CUDA tensor fails with a short LITE_UNSUPPORTED error', () => {
    const e = expectCode(() => new LiteTensor(new LiteLayout([4, 8]), LiteDeviceType.LITE_CUDA), 'LITE_UNSUPPORTED');
    expect(e.message).toMatch(/no CUDA device is available/);
    expect(e.message).not.toMatch(/backtrace/);
    expect(e.message.length).toBeLessThan(200);
    expectCode(() => new LiteTensor({ shapes: [4, 16], dtype: 'float32', deviceType: LiteDeviceType.LITE_CUDA }), 'LITE_UNSUPPORTED');
  });

  it.runIf(cudaCount === 0)('pinned host memory fails with LITE_UNSUPPORTED', () => {
    const e = expectCode(() => new LiteTensor(new LiteLayout([4, 8]), LiteDeviceType.LITE_CPU, 0, true), 'LITE_UNSUPPORTED');
    expect(e.message).toMatch(/no CUDA device is available.*pinned host/);
  });

  it.runIf(cudaCount === 0)('concat onto CUDA fails cleanly and leaves the inputs usable', () => {
    const a = new LiteTensor(new LiteLayout([2], 'int32'));
    a.setDataByCopy([1, 2]);
    expectCode(() => LiteTensor.concat([a, a], 0, LiteDeviceType.LITE_CUDA), 'LITE_UNSUPPORTED');
    expect(A(a.toTypedArray())).toEqual([1, 2]);
  });

  it('accelerators the shipped runtime lacks are refused before the engine sees them', () => {
    for (const d of [LiteDeviceType.LITE_ATLAS, LiteDeviceType.LITE_NPU, LiteDeviceType.LITE_CAMBRICON]) {
      expectCode(() => new LiteTensor(new LiteLayout([2]), d), 'LITE_UNSUPPORTED');
    }
  });
});

const DTYPES: { name: DTypeName; values: number[]; ctor: new (n: number) => ArrayLike<number> }[] = [
  { name: 'float32', values: [0, -1.5, 3.25, 1e-7, 65504, -3e38], ctor: Float32Array },
  { name: 'int32', values: [0, -1, 2147483647, -2147483648, 12345, 7], ctor: Int32Array },
  { name: 'int16', values: [0, -1, 32767, -32768, 300, 7], ctor: Int16Array },
  { name: 'int8', values: [0, -1, 127, -128, 100, 7], ctor: Int8Array },
  { name: 'uint8', values: [0, 1, 255, 128, 100, 7], ctor: Uint8Array },
  { name: 'uint16', values: [0, 1, 65535, 32768, 300, 7], ctor: Uint16Array },
];

describe('every dtype the runtime supports', () => {
  for (const { name, values, ctor } of DTYPES) {
    it(`${name}: copy from numbers and TypedArray, share, getDataByShare, slice, concat`, () => {
      const t = new LiteTensor(new LiteLayout([2, 3], name));
      expect(t.layout.dtype).toBe(name);
      t.setDataByCopy(values);
      const out = t.toTypedArray();
      expect(out).toBeInstanceOf(ctor);
      expect(A(out)).toEqual(A(Object.assign(new ctor(6) as unknown as number[], values)));
      const typed = new ctor(6) as unknown as number[] & ArrayBufferView;
      values.forEach((v, i) => (typed[i] = v));
      const u = new LiteTensor(new LiteLayout([2, 3], name));
      u.setDataByCopy(typed);
      expect(A(u.toTypedArray())).toEqual(A(typed));
      u.setDataByShare(typed);
      expect(u.getDataByShare()).toBeInstanceOf(ctor);
      expect(A(u.getDataByShare())).toEqual(A(typed));
      expect(A(u.slice([0, 1], [2, 3]).toTypedArray())).toEqual([typed[1], typed[2], typed[4], typed[5]]);
      const cat = LiteTensor.concat([t, u], 0);
      expect(A(cat.toTypedArray())).toEqual([...A(typed), ...A(typed)]);
      expect(A(t.toFloat32Array())).toEqual(A(Float32Array.from(typed)));
    });
  }

  it('float16: numbers are rounded to halves; data travels as raw halves; toFloat32Array converts', () => {
    const t = new LiteTensor(new LiteLayout([5], 'float16'));
    expect(t.nbytes).toBe(10);
    t.setDataByCopy([0, 1, -2.5, 65504, 0.1]);
    const raw = t.toTypedArray();
    expect(raw).toBeInstanceOf(Uint16Array);
    expect(A(raw)).toEqual([0x0000, 0x3c00, 0xc100, 0x7bff, 0x2e66]);
    // 0.1 is not representable in half precision: nearest half is 0.0999755859375.
    expect(A(t.toFloat32Array())).toEqual([0, 1, -2.5, 65504, 0.0999755859375]);
    expect(halfToFloat(raw[4] as number)).toBe(0.0999755859375);

    const halves = float32ToHalfArray([3, -0.5, 1024, 6e-8, -0]);
    t.setDataByCopy(halves);
    expect(A(t.toFloat32Array())).toEqual([3, -0.5, 1024, 5.960464477539063e-8, -0]);
    t.setDataByShare(halves);
    halves[0] = 0x4000; // 2.0
    expect(t.toFloat32Array()[0]).toBe(2);
    const view = t.getDataByShare();
    expect(view).toBeInstanceOf(Uint16Array);
    expect(view[0]).toBe(0x4000);
  });
});

describe('zero-copy is real', () => {
  it('setDataByShare: a write to the caller array shows in the tensor with no call in between', () => {
    const data = new Float32Array(12);
    const t = new LiteTensor(new LiteLayout([3, 4], 'float32'));
    t.setDataByShare(data);
    const view = t.getDataByShare();
    // The view IS the caller's memory.
    expect(view.buffer).toBe(data.buffer);
    data[5] = 42.5;
    expect(view[5]).toBe(42.5);
    expect(t.toTypedArray()[5]).toBe(42.5);
    // And back: a write through the tensor lands in the caller array.
    t.setDataByCopy(range(12, (i) => i * 2));
    expect(data[11]).toBe(22);
    t.fillZero();
    expect(data.every((v) => v === 0)).toBe(true);
  });

  it('getDataByShare of engine memory: writes through the view reach the tensor and back', () => {
    const t = new LiteTensor(new LiteLayout([64], 'int32'));
    t.fillZero();
    const view = t.getDataByShare() as Int32Array;
    view[3] = 777;
    expect(t.toTypedArray()[3]).toBe(777);
    t.setDataByCopy(range(64, (i) => i + 1000));
    expect(view[63]).toBe(1063);
    // A second view aliases the same memory.
    const again = t.getDataByShare() as Int32Array;
    again[0] = -5;
    expect(view[0]).toBe(-5);
    // A tensor sharing memory sees it too.
    const other = new LiteTensor();
    other.shareMemoryWith(t);
    view[1] = 31337;
    expect(other.toTypedArray()[1]).toBe(31337);
  });

  it('a slice writes into its parent memory (setDataByCopy into a non-contiguous slice)', () => {
    const t = new LiteTensor(new LiteLayout([4, 8], 'int32'));
    t.setDataByCopy(range(32));
    const s = t.slice([1, 4], [3, 8]);
    s.setDataByCopy(Int32Array.from(range(8, (i) => 100 + i)));
    const expected = range(32);
    [12, 13, 14, 15, 20, 21, 22, 23].forEach((k, i) => (expected[k] = 100 + i));
    expect(A(t.toTypedArray())).toEqual(expected);
    // A number array shorter than the slice leaves the rest of the slice unchanged.
    s.setDataByCopy([-1, -2, -3]);
    [-1, -2, -3].forEach((v, i) => (expected[[12, 13, 14][i] as number] = v));
    expect(A(t.toTypedArray())).toEqual(expected);
    s.fillZero();
    [12, 13, 14, 15, 20, 21, 22, 23].forEach((k) => (expected[k] = 0));
    expect(A(t.toTypedArray())).toEqual(expected);
  });
});

const gc = (globalThis as { gc?: () => void }).gc;

describe('views stay valid (never read freed memory)', () => {
  it('after dispose: the view still holds the last data; the tensor throws LITE_DISPOSED', () => {
    const t = new LiteTensor(new LiteLayout([1024], 'float32'));
    t.setDataByCopy(Float32Array.from(range(1024, (i) => i / 2)));
    const view = t.getDataByShare() as Float32Array;
    t.dispose();
    t.dispose(); // idempotent
    expect(view[1023]).toBe(511.5);
    view[0] = 9; // writable, owned by the view's anchor
    expect(view[0]).toBe(9);
    expect(t.disposed).toBe(true);
    expectCode(() => t.toTypedArray(), 'LITE_DISPOSED');
    expectCode(() => t.layout, 'LITE_DISPOSED');
    expectCode(() => t.getDataByShare(), 'LITE_DISPOSED');
    expectCode(() => t.setDataByCopy([1]), 'LITE_DISPOSED');
    expectCode(() => t.slice([0], [1]), 'LITE_DISPOSED');
    expectCode(() => new LiteTensor().copyFrom(t), 'LITE_DISPOSED');
    expectCode(() => LiteTensor.concat([t], 0), 'LITE_DISPOSED');
    expect(String(t)).toBe('LiteTensor(disposed)');
  });

  it('after relayout to a larger size, re-share and a slice parent being disposed', () => {
    const t = new LiteTensor(new LiteLayout([16], 'int32'));
    t.setDataByCopy(range(16));
    const view = t.getDataByShare() as Int32Array;
    t.layout = [1 << 16]; // reallocates
    t.fillZero();
    expect(A(view)).toEqual(range(16)); // old storage, kept alive by the view

    const mine = new Int32Array(1 << 16).fill(3);
    t.setDataByShare(mine);
    const view2 = t.getDataByShare() as Int32Array;
    t.setDataByShare(new Int32Array(1 << 16).fill(4)); // re-share
    expect(view2[100]).toBe(3);
    expect(view2.buffer).toBe(mine.buffer);

    const parent = new LiteTensor(new LiteLayout([4, 4], 'int16'));
    parent.setDataByCopy(range(16));
    const row = parent.slice([2, 0], [3, 4]); // one full row: contiguous
    expect(row.isContinue).toBe(true);
    const rowView = row.getDataByShare();
    parent.dispose();
    expect(A(row.toTypedArray())).toEqual([8, 9, 10, 11]);
    expect(A(rowView)).toEqual([8, 9, 10, 11]);
  });

  it.runIf(gc !== undefined)('after the tensor (and the caller array reference) are garbage-collected', async () => {
    const make = (): { view: Float32Array; shared: Float32Array } => {
      const t = new LiteTensor(new LiteLayout([4096], 'float32'));
      t.setDataByCopy(Float32Array.from(range(4096, (i) => i + 0.5)));
      const view = t.getDataByShare() as Float32Array;
      const s = new LiteTensor(new LiteLayout([8], 'float32'));
      s.setDataByShare(new Float32Array(8).fill(6)); // only the tensor holds the array
      const shared = s.getDataByShare() as Float32Array;
      return { view, shared };
    };
    const { view, shared } = make();
    for (let i = 0; i < 5; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(view[4095]).toBe(4095.5);
    expect(A(shared)).toEqual(range(8, () => 6));
    // Churn: many views and tensors created and dropped; every view read stays correct.
    for (let k = 0; k < 50; k++) {
      const t = new LiteTensor(new LiteLayout([256], 'int32'));
      t.setDataByCopy(range(256, (i) => i * k));
      const v = t.getDataByShare() as Int32Array;
      if (k % 10 === 0) gc?.();
      expect(v[255]).toBe(255 * k);
    }
  });

  it('shared memory is pinned: a transfer copies it, the tensor keeps reading the same memory', () => {
    const data = new Float32Array(8).fill(1);
    const t = new LiteTensor(new LiteLayout([8], 'float32'));
    t.setDataByShare(data);
    const copy = structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(data.byteLength).toBe(32);
    expect(copy.byteLength).toBe(32);
    data[3] = 5;
    expect(A(t.toTypedArray())).toEqual([1, 1, 1, 5, 1, 1, 1, 1]);
  });

  it('shared memory detached anyway (a WebAssembly memory grew) is detected before use', () => {
    // (the Node types of this package have no DOM/WebAssembly lib: declare the one class used)
    type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number };
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;
    const memory = new wasm.Memory({ initial: 1 });
    const data = new Float32Array(memory.buffer, 0, 8).fill(1);
    const t = new LiteTensor(new LiteLayout([8], 'float32'));
    t.setDataByShare(data);
    memory.grow(1);
    expect(data.byteLength).toBe(0);
    expectCode(() => t.toTypedArray(), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.getDataByShare(), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.fillZero(), 'LITE_INVALID_ARGUMENT');
    expectCode(() => t.setDataByCopy(new Float32Array(8)), 'LITE_INVALID_ARGUMENT');
    // Sharing new memory makes it usable again.
    t.setDataByShare(new Float32Array(8).fill(2));
    expect(A(t.toTypedArray())).toEqual(range(8, () => 2));
  });
});

// The 1.13 runtime segfaults filling a tensor with a zero-size dimension, calls it
// non-contiguous and refuses to reshape it; the binding keeps such tensors on its own paths.
describe('zero-size dimensions behave like any other layout', () => {
  it.each([[[0]], [[0, 64]], [[3, 0]], [[2, 0, 5]]])('%j: fill, read, share and contiguity', (shape) => {
    const t = new LiteTensor(shape as number[]);
    expect(t.isContinue).toBe(true);
    expect(t.nbytes).toBe(0);
    t.fillZero();
    expect(t.toTypedArray()).toHaveLength(0);
    expect(t.getDataByShare()).toHaveLength(0);
    t.setDataByCopy(new Float32Array(0));
    t.setDataByShare(new Float32Array(0));
    expect(t.layout.shapes).toEqual(shape);
  });

  it('grows, copies both ways, reshapes and slices', () => {
    const t = new LiteTensor([0, 64]);
    t.reshape([0, 8, 8]);
    expect(t.layout.shapes).toEqual([0, 8, 8]);
    t.reshape([-1]);
    expect(t.layout.shapes).toEqual([0]);
    expectCode(() => t.reshape([2, 2]), 'LITE_INVALID_ARGUMENT');

    const full = new LiteTensor([2, 2]);
    full.setDataByCopy(new Float32Array([1, 2, 3, 4]));
    t.copyFrom(full);
    expect(t.layout.shapes).toEqual([2, 2]);
    expect(A(t.toTypedArray())).toEqual([1, 2, 3, 4]);

    full.copyFrom(new LiteTensor([0, 3]));
    expect(full.layout.shapes).toEqual([0, 3]);
    expect(full.isContinue).toBe(true);

    const g = new LiteTensor([0]);
    g.layout = new LiteLayout([4], 'float32');
    g.setDataByCopy(new Float32Array([5, 6, 7, 8]));
    expect(A(g.toTypedArray())).toEqual([5, 6, 7, 8]);
    g.layout = new LiteLayout([0, 2], 'float32');
    g.fillZero();
    expect(g.isContinue).toBe(true);

    const s = new LiteTensor([3, 0]).slice([0], [2]);
    s.fillZero();
    expect(s.isContinue).toBe(true);
    expect(s.toTypedArray()).toHaveLength(0);
  });
});
