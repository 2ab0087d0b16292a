// Tensor: construction, dtype/size/shape checks, copies, ndarray views.
import { describe, expect, it } from 'vitest';
import { DataType, Format, Tensor } from '../src/index.js';
import { codeOf } from './helpers.js';

describe('Tensor', () => {
  it('infers dtype and shape from the data; reports elementNum and dataSize', () => {
    const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect([t.dtype, t.shape, t.elementNum, t.dataSize, t.format, t.name]).toEqual([DataType.FLOAT32, [2, 3], 6, 24, Format.NCHW, '']);
    expect(new Tensor(new BigInt64Array(3)).dtype).toBe(DataType.INT64);
    expect(new Tensor(new Float64Array(3)).dataSize).toBe(24);
    expect(new Tensor(null, { shape: [2, 2], dtype: DataType.INT16 }).getData()).toEqual(new Int16Array(4));
    expect(new Tensor(new Uint16Array(2), { dtype: DataType.FLOAT16 }).dataSize).toBe(4);
    expect(new Tensor(new Uint8Array([0, 1]), { dtype: DataType.BOOL }).dtype).toBe(DataType.BOOL);
  });

  it('setData copies and getData returns copies', () => {
    const src = new Float32Array([1, 2, 3]);
    const t = new Tensor(src);
    src[0] = 9;
    const out = t.getData() as Float32Array;
    expect(out[0]).toBe(1);
    out[1] = 9;
    expect((t.getData() as Float32Array)[1]).toBe(2);
  });

  it('checks dtype, size and shape', () => {
    const t = new Tensor(new Float32Array(6), { shape: [2, 3] });
    expect(codeOf(() => t.setData(new Float64Array(6)))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => t.setData(new Float32Array(5)))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor(new Float32Array(6), { shape: [4, 2] }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor(new Float32Array(2), { dtype: DataType.INT32 }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor(null, { shape: [-1, 2] }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor(null, { shape: [1.5] }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor([1, 2] as unknown as Float32Array))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => new Tensor(null, { dtype: 12 as DataType }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => (t.format = 14 as Format))).toBe('LITE_INVALID_ARGUMENT');
    expect(t.shape).toEqual([2, 3]);
  });

  it('shape set keeps data of the same size, zeroes it otherwise', () => {
    const t = new Tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    t.shape = [3, 2];
    expect(t.getData()).toEqual(new Int32Array([1, 2, 3, 4, 5, 6]));
    t.shape = [4];
    expect(t.getData()).toEqual(new Int32Array(4));
  });

  it('takes an ndarray (shape and strides): a transposed view is gathered row-major', () => {
    // 2x3 data [[0,1,2],[3,4,5]] viewed transposed as 3x2.
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const t = new Tensor({ data, shape: [3, 2], stride: [1, 3], offset: 0 });
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.getData() as Float32Array)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(codeOf(() => new Tensor({ data, shape: [3, 3] }))).toBe('LITE_INVALID_ARGUMENT');
  });
});
