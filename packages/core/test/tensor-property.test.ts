// Property-style tests: random shapes (rank 1-4), dtypes and slices (start/end/step), checked
// against a plain-JS model of row-major tensors. Seeded, so a failure names a reproducible case.
import { describe, expect, it } from 'vitest';
import { LiteLayout, LiteTensor, type DTypeName } from '../src/index.js';

/** Elements as plain numbers (tensor data here is never int64). */
const A = (x: unknown): number[] => Array.from(x as ArrayLike<number>);

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Ctor = Float32ArrayConstructor | Int32ArrayConstructor | Int16ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor;
const DTYPES: [DTypeName, Ctor][] = [
  ['float32', Float32Array],
  ['int32', Int32Array],
  ['int16', Int16Array],
  ['int8', Int8Array],
  ['uint8', Uint8Array],
  ['uint16', Uint16Array],
  ['float16', Uint16Array], // raw halves; bit patterns round-trip exactly
];

/** The model: elements of `data` (row-major, `shape`) picked by a numpy-style slice. */
function modelSlice(data: ArrayLike<number>, shape: number[], start: number[], end: number[], step: number[]): { shape: number[]; values: number[] } {
  const outShape = shape.map((_, i) => Math.ceil(((end[i] as number) - (start[i] as number)) / (step[i] as number)));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const values: number[] = [];
  const idx = outShape.map(() => 0);
  const total = outShape.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += ((start[d] as number) + (idx[d] as number) * (step[d] as number)) * (strides[d] as number);
    values.push(data[off] as number);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (outShape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return { shape: outShape, values };
}

function modelOffsets(shape: number[], start: number[], end: number[], step: number[]): number[] {
  const count = shape.reduce((a, b) => a * b, 1);
  return modelSlice(Array.from({ length: count }, (_, i) => i), shape, start, end, step).values;
}

function randomValues(rand: () => number, Ctor: Ctor, n: number): InstanceType<Ctor> {
  const a = new Ctor(n) as InstanceType<Ctor>;
  for (let i = 0; i < n; i++) a[i] = Ctor === Float32Array ? Math.fround((rand() - 0.5) * 1e4) : Math.floor(rand() * 65536) - 32768;
  return a;
}

describe('random shapes, dtypes and slices against a plain-JS model', () => {
  const CASES = 200;
  it(`${CASES} seeded cases: copy, share, view, slice read/write, reshape`, () => {
    const rand = prng(20240611);
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    for (let c = 0; c < CASES; c++) {
      const rank = int(1, 4);
      const shape = Array.from({ length: rank }, () => int(1, 6));
      const [dtype, Ctor] = DTYPES[int(0, DTYPES.length - 1)] as [DTypeName, Ctor];
      const count = shape.reduce((a, b) => a * b, 1);
      const data = randomValues(rand, Ctor, count);
      const where = `case ${c}: ${dtype} [${shape.join(', ')}]`;

      const t = new LiteTensor(new LiteLayout(shape, dtype));
      expect(t.nbytes, where).toBe(data.byteLength);
      if (rand() < 0.5) t.setDataByCopy(data);
      else t.setDataByShare(data);
      expect(A(t.toTypedArray()), where).toEqual(A(data));
      expect(A(t.getDataByShare()), where).toEqual(A(data));

      const start = shape.map((d) => int(0, d - 1));
      const end = shape.map((d, i) => int((start[i] as number) + 1, d));
      const step = shape.map(() => int(1, 3));
      const useStep = rand() < 0.7;
      const sl = useStep ? t.slice(start, end, step) : t.slice(start, end);
      const st = useStep ? step : shape.map(() => 1);
      const expected = modelSlice(data, shape, start, end, st);
      const what = `${where} slice ${JSON.stringify({ start, end, st })}`;
      expect(sl.layout.shapes, what).toEqual(expected.shape);
      expect(sl.layout.dtype, what).toBe(dtype);
      expect(A(sl.toTypedArray()), what).toEqual(expected.values);

      // Write through the slice and compare the whole parent with the model.
      const n = expected.values.length;
      const patch = randomValues(rand, Ctor, n);
      const model = A(data) as number[];
      modelOffsets(shape, start, end, st).forEach((off, i) => (model[off] = patch[i] as number));
      if (rand() < 0.5) sl.setDataByCopy(patch);
      else sl.setDataByCopy(A(patch) as number[]);
      if (dtype === 'float16') {
        // A number array into float16 means values, not bits: compare via the typed path only.
        sl.setDataByCopy(patch);
      }
      expect(A(t.toTypedArray()), `${what} after write`).toEqual(model);
      expect(A(sl.toTypedArray()), `${what} slice after write`).toEqual(A(patch));

      // Reshape to a random factorisation with one -1 keeps the data.
      if (t.isContinue) {
        const first = shape[0] as number;
        t.reshape([first, -1]);
        expect(t.layout.shapes, where).toEqual([first, count / first]);
        expect(A(t.toTypedArray()), where).toEqual(model);
      }
      sl.dispose();
      t.dispose();
    }
  });

  it('toFloat32Array matches the model for every dtype', () => {
    const rand = prng(7);
    for (const [dtype, Ctor] of DTYPES) {
      if (dtype === 'float16') continue; // covered with exact halves in tensor.test.ts
      const data = randomValues(rand, Ctor, 50);
      const t = new LiteTensor(new LiteLayout([5, 10], dtype));
      t.setDataByCopy(data);
      expect(A(t.toFloat32Array())).toEqual(A(Float32Array.from(data)));
    }
  });
});
