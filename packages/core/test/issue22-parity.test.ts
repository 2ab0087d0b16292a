// Issue 22, @lite/core: megenginelite parity of setDataByCopy with an ndarray that brings another
// layout, predict feeds checked against the declared input before the engine, and DataViews over
// detached buffers refused as LiteErrors at every entry point.
import { describe, expect, it } from 'vitest';
import { LiteDataType, LiteLayout, LiteTensor, type NdArrayLike, dataTypeOfArray, registerDataConverter } from '../src/index.js';
import { expectCode } from './helpers.js';

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
