// Bad input table: each row is an input, the LiteError code it must raise, and afterwards the
// tensor's layout and data must be exactly as before (nothing half-applied, no crash).
import { describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';
import { LiteDeviceType, LiteError, LiteGlobal, LiteLayout, LiteNetwork, LiteTensor, type LiteErrorCode } from '../src/index.js';

/** Elements as plain numbers (tensor data here is never int64). */
const A = (x: unknown): number[] => Array.from(x as ArrayLike<number>);

const cudaCount = LiteGlobal.getDeviceCount(LiteDeviceType.LITE_CUDA);

function detachedBuffer(bytes: number): ArrayBuffer {
  const b = new ArrayBuffer(bytes);
  structuredClone(b, { transfer: [b] });
  return b;
}

function detachedArray(n: number): Int32Array {
  const a = new Int32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

interface Row {
  name: string;
  code: LiteErrorCode;
  /** Runs the bad call against `t`, an int32 [2, 3] tensor holding 0..5. */
  run: (t: LiteTensor) => unknown;
  /** Only where the runtime state allows the row (e.g. no CUDA device). */
  when?: boolean;
}

// Loosely typed on purpose: these rows pass what TypeScript callers could not.
const loose = <T>(v: unknown): T => v as T;

const ROWS: Row[] = [
  { name: 'setDataByCopy: detached ArrayBuffer', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(detachedBuffer(24)) },
  { name: 'setDataByCopy: TypedArray over a detached buffer', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(detachedArray(6)) },
  { name: 'setDataByShare: detached ArrayBuffer', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(detachedBuffer(24)) },
  { name: 'setDataByShare: TypedArray over a detached buffer', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(detachedArray(6)) },
  { name: 'setDataByCopy: too few elements (Int32Array(5))', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Int32Array(5)) },
  { name: 'setDataByCopy: too many elements (Int32Array(7))', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Int32Array(7)) },
  { name: 'setDataByCopy: raw bytes of the wrong size', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Uint8Array(23)) },
  { name: 'setDataByShare: raw bytes of the wrong size', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(new ArrayBuffer(20)) },
  { name: 'setDataByCopy: options.layout not matching the data size', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Int32Array(6), { layout: [7] }) },
  { name: 'setDataByCopy: Float32Array into int32 (same byte size)', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Float32Array(6)) },
  { name: 'setDataByCopy: Uint32Array into int32', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Uint32Array(6)) },
  { name: 'setDataByShare: Int16Array into int32 (same byte size)', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(new Int16Array(12)) },
  { name: 'setDataByShare: Int16Array of another size into int32', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(new Int16Array(10)) },
  { name: 'setDataByShare: memory not aligned to 4-byte elements', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(new Uint8Array(new ArrayBuffer(28), 1, 24)) },
  { name: 'setDataByShare: resizable ArrayBuffer', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(24, { maxByteLength: 48 })) },
  { name: 'setDataByShare: a number array', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByShare(loose([0, 1, 2, 3, 4, 5])) },
  { name: 'setDataByCopy: a string', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(loose('012345')) },
  { name: 'setDataByCopy: null', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(loose(null)) },
  { name: 'setDataByCopy: number array too long (7 > 6)', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy([1, 2, 3, 4, 5, 6, 7]) },
  { name: 'setDataByCopy: number array with a non-number', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(loose([1, 'x', 3])) },
  { name: 'setDataByCopy: options.layout of rank 7', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.setDataByCopy(new Int32Array(6), { layout: [1, 1, 1, 1, 1, 1, 6] }) },
  { name: 'layout = rank 7', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [1, 1, 1, 1, 1, 2, 3]) },
  { name: 'layout = negative dim', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [2, -3]) },
  { name: 'layout = non-integer dim', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [2, 1.5]) },
  { name: 'layout = NaN dim', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [Number.NaN]) },
  { name: 'layout = Infinity dim', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [Number.POSITIVE_INFINITY]) },
  { name: 'layout = dim above 2^32', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = [2 ** 33]) },
  { name: 'layout = a string', code: 'LITE_INVALID_ARGUMENT', run: (t) => (t.layout = loose('2,3')) },
  { name: 'layout = int64 (unsupported by the 1.13 runtime)', code: 'LITE_UNSUPPORTED', run: (t) => (t.layout = new LiteLayout([6], 'int64')) },
  { name: 'slice: start out of range', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([2, 0], [3, 3]) },
  { name: 'slice: end past the dimension', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 0], [2, 4]) },
  { name: 'slice: empty range (start == end)', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([1, 0], [1, 3]) },
  { name: 'slice: negative start', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([-1, 0], [2, 3]) },
  { name: 'slice: non-integer end', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 0], [2, 2.5]) },
  { name: 'slice: step 0', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 0], [2, 3], [1, 0]) },
  { name: 'slice: negative step', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 0], [2, 3], [1, -1]) },
  { name: 'slice: start of the wrong length', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0], [2, 3]) },
  { name: 'reshape: two -1', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([-1, -1]) },
  { name: 'reshape: element count differs', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([4, 2]) },
  { name: 'reshape: -1 that does not divide', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([4, -1]) },
  { name: 'reshape: -2', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([-2, -3]) },
  { name: 'reshape: NaN', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([Number.NaN, 6]) },
  { name: 'reshape: rank 7', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.reshape([1, 1, 1, 1, 1, 2, 3]) },
  { name: 'reshape: a non-contiguous slice', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 1], [2, 3]).reshape([4]) },
  { name: 'getDataByShare: a non-contiguous slice', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.slice([0, 1], [2, 3]).getDataByShare() },
  { name: 'copyFrom: not a tensor', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.copyFrom(loose({})) },
  { name: 'shareMemoryWith: null', code: 'LITE_INVALID_ARGUMENT', run: (t) => t.shareMemoryWith(loose(null)) },
  { name: 'copyFrom: a disposed tensor', code: 'LITE_DISPOSED', run: (t) => { const d = new LiteTensor([2]); d.dispose(); t.copyFrom(d); } },
  { name: 'concat: dtype mismatch', code: 'LITE_INVALID_ARGUMENT', run: (t) => LiteTensor.concat([t, new LiteTensor(new LiteLayout([2, 3], 'int16'))], 0) },
  { name: 'concat: shape mismatch off the axis', code: 'LITE_INVALID_ARGUMENT', run: (t) => LiteTensor.concat([t, new LiteTensor(new LiteLayout([2, 4], 'int32'))], 0) },
  { name: 'concat: dim out of range', code: 'LITE_INVALID_ARGUMENT', run: (t) => LiteTensor.concat([t, t], 2) },
  { name: 'concat: empty list', code: 'LITE_INVALID_ARGUMENT', run: () => LiteTensor.concat([], 0) },
  { name: 'concat onto CUDA without a GPU', code: 'LITE_UNSUPPORTED', run: (t) => LiteTensor.concat([t, t], 0, LiteDeviceType.LITE_CUDA), when: cudaCount === 0 },
  { name: 'new LiteTensor: rank 7', code: 'LITE_INVALID_ARGUMENT', run: () => new LiteTensor([1, 1, 1, 1, 1, 1, 1]) },
  { name: 'new LiteTensor: negative dim', code: 'LITE_INVALID_ARGUMENT', run: () => new LiteTensor(new LiteLayout([2, -1])) },
  { name: 'new LiteTensor: unknown dtype', code: 'LITE_INVALID_ARGUMENT', run: () => new LiteTensor({ shapes: [2], dtype: loose('float64') }) },
  { name: 'new LiteTensor: unknown device type', code: 'LITE_INVALID_ARGUMENT', run: () => new LiteTensor([2], loose(2)) },
  { name: 'new LiteTensor: negative device id', code: 'LITE_INVALID_ARGUMENT', run: () => new LiteTensor([2], LiteDeviceType.LITE_CPU, -1) },
  { name: 'new LiteTensor: LITE_CUDA without a GPU', code: 'LITE_UNSUPPORTED', run: () => new LiteTensor([2, 3], LiteDeviceType.LITE_CUDA), when: cudaCount === 0 },
  { name: 'new LiteTensor: pinned host without a GPU', code: 'LITE_UNSUPPORTED', run: () => new LiteTensor({ shapes: [2, 3], isPinnedHost: true }), when: cudaCount === 0 },
  { name: 'new LiteTensor: LITE_ATLAS (would abort the process at exit)', code: 'LITE_UNSUPPORTED', run: () => new LiteTensor([2], LiteDeviceType.LITE_ATLAS) },
  { name: 'new LiteTensor: int64 (unsupported by the 1.13 runtime)', code: 'LITE_UNSUPPORTED', run: () => new LiteTensor(new LiteLayout([2], 'int64')) },
];

function fresh(shared: boolean): { t: LiteTensor; backing: Int32Array } {
  const t = new LiteTensor(new LiteLayout([2, 3], 'int32'));
  const backing = Int32Array.from([0, 1, 2, 3, 4, 5]);
  if (shared) t.setDataByShare(backing);
  else t.setDataByCopy(backing);
  return { t, backing };
}

describe('bad input → LiteError code, tensor unchanged', () => {
  for (const shared of [false, true]) {
    for (const row of ROWS) {
      it.runIf(row.when ?? true)(`${shared ? '[shared] ' : ''}${row.name} → ${row.code}`, () => {
        const { t, backing } = fresh(shared);
        let caught: unknown;
        try {
          row.run(t);
        } catch (e) {
          caught = e;
        }
        expect(caught, 'must throw').toBeInstanceOf(LiteError);
        expect((caught as LiteError).code).toBe(row.code);
        expect((caught as LiteError).message.length).toBeGreaterThan(0);
        expect(t.layout.toString()).toBe('LiteLayout([2, 3], int32)');
        expect(A(t.toTypedArray())).toEqual([0, 1, 2, 3, 4, 5]);
        expect(t.isContinue).toBe(true);
        if (shared) {
          // Still zero-copy with the same caller memory.
          backing[0] = 42;
          expect(t.toTypedArray()[0]).toBe(42);
        }
        t.dispose();
      });
    }
  }
});

describe('number-array messages', () => {
  it('count the numbers in words that fit (1 number, 3 numbers)', async () => {
    const net = new LiteNetwork();
    net.load(fixture('mlp.mge'));
    await expect(net.predict({ data: [1] })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT', message: expect.stringMatching(/got 1 number, \[1, 64\] float32 holds 64$/) });
    await expect(net.predict({ data: [1, 2, 3] })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT', message: expect.stringMatching(/got 3 numbers, /) });
    net.dispose();
  });
});
