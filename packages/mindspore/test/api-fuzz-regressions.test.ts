// Regressions of the API fuzzer (packages/reliability/harness/api-fuzz-mindspore.mjs): inputs that
// made @lite/mindspore throw foreign exceptions (TypeError, RangeError, napi conversion errors) or
// reject with plain Errors. Each is now one LiteError with a stable code, and changes nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Context, Converter, DataType, Format, LiteError, Model, ModelParallelRunner, ModelType, Tensor, type NdArrayLike, type TensorData } from '../src/index.js';
import { nativeAsync, show, toLiteError } from '../src/errors.js';
import { context, expectReference, failure, lenet, npy, path, runFor, runInputs, twoIo } from './helpers.js';

/** The LiteError an async API rejects with: it must return a Promise (not throw) that rejects. */
async function rejection(start: () => Promise<unknown>): Promise<LiteError> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = start();
  }).not.toThrow();
  const outcome = await (promise as Promise<unknown>).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome, String(outcome)).toBeInstanceOf(LiteError);
  return outcome as LiteError;
}

/** Asserts a LiteError's code and message (one line). */
function expectError(e: LiteError, code: string, message: RegExp): void {
  expect({ code: e.code, oneLine: !/[\r\n]/.test(e.message) }).toEqual({ code, oneLine: true });
  expect(e.message).toMatch(message);
}

/** `a` with its ArrayBuffer transferred away (detached); `a.length` is now 0. */
function detached<T extends TensorData>(a: T): T {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  expect(a.byteLength).toBe(0);
  return a;
}

function lenetModel(): Model {
  const m = new Model();
  m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
  return m;
}

/** The model still gives the reference result. */
function works(m: Model): void {
  const run = runFor(lenet, 1);
  expectReference(m.predict(runInputs(run)), run);
}

/** Objects that pass `instanceof Tensor` without being tensors (no private state). */
const forgeries = (): [string, Tensor][] => [
  ['Object.create(Tensor.prototype)', Object.create(Tensor.prototype) as Tensor],
  ['a Proxy of a Tensor', new Proxy(new Tensor(npy(runFor(lenet, 1).inputs[0]?.npy as string), { shape: [1, 1, 28, 28], name: 'x' }), {})],
];
const FORGED = /must be a Tensor, got an object that passes instanceof Tensor without being one/;

describe('1. detached ArrayBuffers → LITE_INVALID_ARGUMENT "... detached ..."', () => {
  const bytes = readFileSync(path(lenet.file));

  it('buildFromBuffer and buildFromBufferAsync; the model still builds afterwards', async () => {
    const m = new Model();
    expectError(
      failure(() => m.buildFromBuffer(detached(new Uint8Array(bytes)), ModelType.MINDIR, context())),
      'LITE_INVALID_ARGUMENT',
      /^the model bytes: the Uint8Array's ArrayBuffer is detached/,
    );
    expectError(await rejection(() => m.buildFromBufferAsync(detached(new Uint8Array(bytes)), ModelType.MINDIR, context())), 'LITE_INVALID_ARGUMENT', /detached/);
    // A DataView over a detached buffer too (any ArrayBufferView is accepted as model bytes).
    const view = new DataView(new Uint8Array(bytes).buffer);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    expectError(failure(() => m.buildFromBuffer(view as unknown as Uint8Array, ModelType.MINDIR, context())), 'LITE_INVALID_ARGUMENT', /DataView's ArrayBuffer is detached/);
    expect(m.built).toBe(false);
    m.buildFromBuffer(bytes, ModelType.MINDIR, context());
    works(m);
  });

  it('Tensor data (flat, with a shape, in an ndarray) and setData; the tensor keeps its data', () => {
    expectError(failure(() => new Tensor(detached(new Float32Array(4)))), 'LITE_INVALID_ARGUMENT', /^Tensor: the Float32Array's ArrayBuffer is detached/);
    expectError(failure(() => new Tensor(detached(new Float32Array(4)), { shape: [2, 2] })), 'LITE_INVALID_ARGUMENT', /detached/);
    expectError(failure(() => new Tensor({ data: detached(new BigInt64Array(4)), shape: [4] })), 'LITE_INVALID_ARGUMENT', /BigInt64Array's ArrayBuffer is detached/);
    const t = new Tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expectError(failure(() => t.setData(detached(new Float32Array(4)))), 'LITE_INVALID_ARGUMENT', /^setData: the Float32Array's ArrayBuffer is detached/);
    expectError(failure(() => t.setData({ data: detached(new Float32Array(4)), shape: [2, 2] })), 'LITE_INVALID_ARGUMENT', /^setData: .*detached/);
    expect([t.shape, Array.from(t.getData() as Float32Array)]).toEqual([[2, 2], [1, 2, 3, 4]]);
  });

  it('predict inputs: a Tensor holds a copy, so detaching the source array afterwards changes nothing', async () => {
    const m = lenetModel();
    const run = runFor(lenet, 2);
    const source = new Float32Array(npy(run.inputs[0]?.npy as string));
    const x = new Tensor(source, { shape: [2, 1, 28, 28] });
    detached(source);
    expectReference(m.predict([x]), run);
    expectReference(await m.predictAsync([x]), run);
  });
});

describe('2. forged tensors (pass instanceof, no tensor state) → LITE_INVALID_ARGUMENT', () => {
  it('predict, predictAsync and resize (brand check); the model keeps working', async () => {
    const m = lenetModel();
    for (const [, forged] of forgeries()) {
      expectError(failure(() => m.predict([forged])), 'LITE_INVALID_ARGUMENT', new RegExp(`^predict: input 0 ${FORGED.source}`));
      expectError(await rejection(() => m.predictAsync([forged])), 'LITE_INVALID_ARGUMENT', FORGED);
      expectError(failure(() => m.resize([forged], [[2, 1, 28, 28]])), 'LITE_INVALID_ARGUMENT', new RegExp(`^resize: inputs\\[0\\] ${FORGED.source}`));
    }
    expect(m.getInputs()[0]?.shape).toEqual([-1, 1, 28, 28]);
    works(m);
  });

  it('holes in the inputs array are missing tensors (forEach skipped them)', async () => {
    const m = lenetModel();
    expectError(failure(() => m.predict(new Array<Tensor>(1))), 'LITE_INVALID_ARGUMENT', /^predict: input 0 must be a Tensor, got undefined$/);
    expectError(await rejection(() => m.predictAsync(new Array<Tensor>(1))), 'LITE_INVALID_ARGUMENT', /input 0 must be a Tensor, got undefined/);
    expectError(failure(() => m.resize(new Array<Tensor>(1), [[2, 1, 28, 28]])), 'LITE_INVALID_ARGUMENT', /^resize: inputs\[0\] must be a Tensor, got undefined$/);
    works(m);
  });

  it('a subclass instance is a real Tensor and is accepted', () => {
    class MyTensor extends Tensor {}
    const m = lenetModel();
    const run = runFor(lenet, 1);
    expectReference(m.predict([new MyTensor(npy(run.inputs[0]?.npy as string), { shape: [1, 1, 28, 28] })]), run);
  });

  it('runner.predict', async () => {
    const c = context();
    c.parallel.workersNum = 1;
    const runner = new ModelParallelRunner();
    runner.buildFromFile(path(lenet.file), c);
    for (const [, forged] of forgeries()) {
      expectError(await rejection(() => runner.predict([forged])), 'LITE_INVALID_ARGUMENT', FORGED);
    }
    const run = runFor(lenet, 1);
    expectReference(await runner.predict(runInputs(run)), run);
    runner.dispose();
  });
});

describe('3. every async path rejects with a LiteError', () => {
  it('runner requests queued when it is disposed reject with LiteError LITE_DISPOSED; a running one finishes', async () => {
    const c = context();
    c.parallel.workersNum = 1;
    const runner = new ModelParallelRunner();
    runner.buildFromFile(path(lenet.file), c);
    const run = runFor(lenet, 1);
    // Inputs made first, then eight batch-256 requests queued in one go: each takes milliseconds,
    // far longer than the microseconds between the last submission and dispose.
    const inputs = Array.from({ length: 8 }, () => [new Tensor(new Float32Array(256 * 784), { shape: [256, 1, 28, 28] })]);
    const requests = inputs.map((x) => runner.predict(x));
    runner.dispose();
    const settled = await Promise.allSettled(requests);
    // One lane runs them in order: those it had taken when dispose ran finish (a prefix), the
    // rest were still queued.
    const done = settled.findIndex((s) => s.status === 'rejected');
    expect(done).toBeGreaterThanOrEqual(0);
    expect(settled.slice(done).every((s) => s.status === 'rejected')).toBe(true);
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        expect(s.value.map((t) => t.shape)).toEqual([
          [256, 10],
          [256, 10],
        ]);
        continue;
      }
      expect(s.reason).toBeInstanceOf(LiteError);
      expectError(s.reason as LiteError, 'LITE_DISPOSED', /^the ModelParallelRunner was disposed while the request waited for a worker$/);
    }
    expectError(await rejection(() => runner.predict(runInputs(run))), 'LITE_DISPOSED', /^the ModelParallelRunner was disposed$/);
  });

  it('nativeAsync converts an error the native call throws before returning its promise', async () => {
    const nativeError = Object.assign(new Error('the model was disposed'), { code: 'LITE_DISPOSED' });
    const e = await rejection(() =>
      nativeAsync(() => {
        throw nativeError;
      }),
    );
    expectError(e, 'LITE_DISPOSED', /^the model was disposed$/);
    // ... and a rejection, as before.
    expectError(await rejection(() => nativeAsync(() => Promise.reject(nativeError))), 'LITE_DISPOSED', /^the model was disposed$/);
  });

  it('a value the binding cannot convert (napi-rs status code) becomes LITE_INVALID_ARGUMENT', () => {
    const napi = Object.assign(new Error('Failed to convert napi value Undefined into rust type `i32`'), { code: 'NumberExpected' });
    const e = toLiteError(napi);
    expect(e).toBeInstanceOf(LiteError);
    expectError(e as LiteError, 'LITE_INVALID_ARGUMENT', /^the native binding could not take an argument: Failed to convert napi value Undefined/);
    // Errors that are not the binding's pass through unchanged.
    const other = new Error('something else');
    expect(toLiteError(other)).toBe(other);
  });
});

describe('4. context integers: holes and values beyond int32 → LITE_INVALID_ARGUMENT (they wrapped in native code)', () => {
  const build = (set: (c: Context) => void) => () => {
    const c = context();
    set(c);
    new Model().buildFromFile(path(twoIo.file), ModelType.MINDIR, c);
  };
  const cases: [string, (c: Context) => void, RegExp][] = [
    ['a hole in threadAffinityCoreList', (c) => (c.cpu.threadAffinityCoreList = [0, , 1] as number[]), /^context\.cpu\.threadAffinityCoreList must be an array of core ids in 0\.\.2147483647, got \[0, , 1\]$/],
    ['an unset core list entry (new Array)', (c) => (c.cpu.threadAffinityCoreList = new Array<number>(2)), /threadAffinityCoreList must be an array of core ids/],
    ['a core id of 2^31', (c) => (c.cpu.threadAffinityCoreList = [2 ** 31]), /threadAffinityCoreList must be an array of core ids in 0\.\.2147483647, got \[2147483648\]/],
    ['threadNum 2^32+2 (built with 2 threads)', (c) => (c.cpu.threadNum = 2 ** 32 + 2), /^context\.cpu\.threadNum must be an integer in 0\.\.2147483647, got 4294967298$/],
    ['threadNum 2^31', (c) => (c.cpu.threadNum = 2 ** 31), /threadNum must be an integer in 0\.\.2147483647, got 2147483648/],
    ['interOpParallelNum 2^32+1', (c) => (c.cpu.interOpParallelNum = 2 ** 32 + 1), /interOpParallelNum must be an integer in 0\.\.2147483647, got 4294967297/],
    ['threadAffinityMode 2^32+1', (c) => (c.cpu.threadAffinityMode = 2 ** 32 + 1), /threadAffinityMode must be an integer in 0\.\.2, got 4294967297/],
    ['a cpu group that is not an object', (c) => (c.cpu = 'x' as never), /^context\.cpu must be an object of settings, got "x"$/],
    ['a parallel group that is not an object', (c) => (c.parallel = 5 as never), /^context\.parallel must be an object of settings, got 5$/],
  ];
  for (const [what, set, message] of cases) {
    it(what, () => {
      expectError(failure(build(set)), 'LITE_INVALID_ARGUMENT', message);
    });
  }

  it('workersNum 2^32+2 (built with 2 workers) for a runner', () => {
    const c = context();
    const runner = new ModelParallelRunner();
    expectError(
      failure(() => {
        c.parallel.workersNum = 2 ** 32 + 2; // refused when set (issue 22), before any build
        runner.buildFromFile(path(twoIo.file), c);
      }),
      'LITE_INVALID_ARGUMENT',
      /^context\.parallel\.workersNum must be an integer in 0\.\.2147483647, got 4294967298$/,
    );
    expect(c.parallel.workersNum).toBeUndefined();
    expectError(failure(() => runner.getInputs()), 'LITE_INVALID_ARGUMENT', /not built yet/);
  });

  it('valid settings still build (null groups mean defaults)', () => {
    const c = context();
    c.cpu.threadAffinityCoreList = [0];
    c.cpu.threadAffinityMode = 0;
    c.parallel = null as never;
    const m = new Model();
    m.buildFromFile(path(twoIo.file), ModelType.MINDIR, c);
    expect(m.built).toBe(true);
  });

  it('Converter.inputShape: a hole is refused when set (the binding failed converting it at convert time)', () => {
    const conv = new Converter();
    expectError(
      failure(() => (conv.inputShape = { x: [1, , 28, 28] as number[] })),
      'LITE_INVALID_ARGUMENT',
      /^inputShape\.x must be an array of integers >= -1, got \[1, , 28, 28\]$/,
    );
    expect(conv.inputShape).toEqual({});
    conv.inputShape = { x: [-1, 1, 28, 28] };
    expect(conv.inputShape).toEqual({ x: [-1, 1, 28, 28] });
  });
});

describe('5./6. huge shapes → LITE_INVALID_ARGUMENT before anything is allocated or resized; nothing changes', () => {
  const TOO_BIG = /a tensor may hold at most 2147483647 bytes$/;

  it('new Tensor with a huge shape, or one just over 2^31-1 bytes', () => {
    expectError(failure(() => new Tensor(null, { shape: [2 ** 33] })), 'LITE_INVALID_ARGUMENT', /^Tensor: \[8589934592\] is 8589934592 float32 elements \(34359738368 bytes\); a tensor may hold/);
    expectError(failure(() => new Tensor(null, { shape: [2 ** 29] })), 'LITE_INVALID_ARGUMENT', /\(2147483648 bytes\); a tensor may hold at most 2147483647 bytes$/);
    expectError(failure(() => new Tensor(null, { shape: [2 ** 16, 2 ** 15], dtype: DataType.UINT8 })), 'LITE_INVALID_ARGUMENT', TOO_BIG);
    expectError(failure(() => new Tensor(null, { shape: [2 ** 53 - 1, 2 ** 53 - 1] })), 'LITE_INVALID_ARGUMENT', TOO_BIG);
  });

  it('the shape setter: refused before anything is assigned (it used to keep the huge shape and old data)', () => {
    const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expectError(failure(() => (t.shape = [2 ** 33, 3])), 'LITE_INVALID_ARGUMENT', /^shape: \[8589934592, 3\] is 25769803776 float32 elements/);
    expect([t.shape, t.elementNum, t.dataSize, Array.from(t.getData() as Float32Array)]).toEqual([[2, 3], 6, 24, [1, 2, 3, 4, 5, 6]]);
    t.shape = [3, 2];
    expect([t.shape, Array.from(t.getData() as Float32Array)]).toEqual([[3, 2], [1, 2, 3, 4, 5, 6]]);
  });

  it('an ndarray broadcasting one element to a huge shape (stride 0)', () => {
    const nd = { data: new Float32Array(1), shape: [2 ** 33], stride: [0] };
    expectError(failure(() => new Tensor(nd)), 'LITE_INVALID_ARGUMENT', /^Tensor: \[8589934592\] is 8589934592 float32 elements/);
    const t = new Tensor(new Float32Array([1, 2]));
    expectError(failure(() => t.setData(nd)), 'LITE_INVALID_ARGUMENT', /^setData: .*a tensor may hold at most/);
    expect([t.shape, Array.from(t.getData() as Float32Array)]).toEqual([[2], [1, 2]]);
  });

  it('resize to a batch of 2^31-1: refused before the engine (which accepted it while JS then failed); engine and tensors keep their shapes', () => {
    const m = lenetModel();
    const inputs = m.getInputs();
    expectError(
      failure(() => m.resize(inputs, [[2 ** 31 - 1, 1, 28, 28]])),
      'LITE_INVALID_ARGUMENT',
      /^resize: dims\[0\]: \[2147483647, 1, 28, 28\] is 1683627179248 float32 elements \(6734508716992 bytes\); a tensor may hold at most 2147483647 bytes$/,
    );
    expect([inputs[0]?.shape, m.getInputs()[0]?.shape]).toEqual([
      [-1, 1, 28, 28],
      [-1, 1, 28, 28],
    ]);
    m.resize(inputs, [[3, 1, 28, 28]]);
    expect([inputs[0]?.shape, inputs[0]?.getData().length, m.getInputs()[0]?.shape]).toEqual([[3, 1, 28, 28], 3 * 784, [3, 1, 28, 28]]);
    expectError(failure(() => m.resize(inputs, [[2 ** 33, 1, 28, 28]])), 'LITE_INVALID_ARGUMENT', TOO_BIG);
    expect([inputs[0]?.shape, m.getInputs()[0]?.shape]).toEqual([
      [3, 1, 28, 28],
      [3, 1, 28, 28],
    ]);
    works(m);
  });

  it('resize checks every argument before the engine: the same input twice is refused', () => {
    const m = lenetModel();
    const [a] = m.getInputs();
    const [b] = m.getInputs();
    expectError(failure(() => m.resize([a as Tensor, b as Tensor], [[2, 1, 28, 28], [4, 1, 28, 28]])), 'LITE_INVALID_ARGUMENT', /^resize: inputs\[1\] \("x"\) is given twice$/);
    expect([a?.shape, b?.shape, m.getInputs()[0]?.shape]).toEqual([
      [-1, 1, 28, 28],
      [-1, 1, 28, 28],
      [-1, 1, 28, 28],
    ]);
  });
});

describe('7. tensor names are strings; messages never throw', () => {
  it('a BigInt, Symbol, object or number name → LITE_INVALID_ARGUMENT', () => {
    const cases: [unknown, RegExp][] = [
      [10n, /^Tensor: name must be a string, got 10n$/],
      [Symbol('n'), /^Tensor: name must be a string, got Symbol\(n\)$/],
      [{}, /^Tensor: name must be a string, got an object$/],
      [7, /^Tensor: name must be a string, got 7$/],
    ];
    for (const [name, message] of cases) {
      expectError(failure(() => new Tensor(new Float32Array(3), { name: name as string })), 'LITE_INVALID_ARGUMENT', message);
    }
    expect([new Tensor(new Float32Array(1), { name: null as unknown as string }).name, new Tensor(new Float32Array(1), { name: 'x' }).name]).toEqual(['', 'x']);
  });

  it('messages naming a tensor stay one short line (the name is shortened)', () => {
    const t = new Tensor(new Float32Array(6), { shape: [2, 3], name: `${'n'.repeat(1000)}\nx` });
    const e = failure(() => t.setData(new Float32Array(5)));
    expectError(e, 'LITE_INVALID_ARGUMENT', /^setData: the tensor "n{40}\.\.\." \[2, 3\] needs 6 float32 elements, got 5$/);
  });

  it('show() is total (it formats every value in messages)', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    const toStringTrap = { toString: () => { throw new Error('trap'); } };
    expect([show(10n), show(Symbol('s')), show(hostile), show(toStringTrap), show(Object.create(null)), show([1, , 2]), show('x'.repeat(50))]).toEqual([
      '10n',
      'Symbol(s)',
      'an unprintable value',
      'an object',
      'an object',
      '[1, , 2]',
      `"${'x'.repeat(40)}..."`,
    ]);
  });
});

describe('8. ndarray stride and offset are checked', () => {
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const cases: [string, unknown, RegExp][] = [
    ['stride not an array', { data, shape: [2, 3], stride: 5 }, /^Tensor: the ndarray's stride must be an array of 2 integers \(one per dim of \[2, 3\]\), got 5$/],
    ['stride of another rank', { data, shape: [2, 3], stride: [1] }, /stride must be an array of 2 integers .*got \[1\]$/],
    ['a stride entry that is an object', { data, shape: [2, 3], stride: [Object.create(null), 1] }, /^Tensor: the ndarray's stride must hold integers, got an array of length 2$/],
    ['fractional strides', { data, shape: [2, 3], stride: [1.5, 0.5] }, /stride must hold integers, got \[1\.5, 0\.5\]$/],
    ['NaN stride (BigInt64Array data)', { data: new BigInt64Array(6), shape: [2, 3], stride: [NaN, 1] }, /stride must hold integers, got \[NaN, 1\]$/],
    ['a Symbol offset', { data, shape: [2, 3], offset: Symbol('o') }, /^Tensor: the ndarray's offset must be an integer >= 0, got Symbol\(o\)$/],
    ['a fractional offset', { data, shape: [2, 3], offset: 0.5 }, /offset must be an integer >= 0, got 0\.5$/],
    ['a negative offset', { data, shape: [3], offset: -1 }, /offset must be an integer >= 0, got -1$/],
    ['a string offset', { data, shape: [3], offset: '1' }, /offset must be an integer >= 0, got "1"$/],
    ['a view reaching past the data', { data, shape: [2, 3], stride: [3, 1], offset: 1 }, /^Tensor: the ndarray view \(shape \[2, 3\], stride \[3, 1\], offset 1\) reaches elements 1\.\.6, outside its data of 6 elements$/],
    ['a view reaching before the data', { data, shape: [2, 3], stride: [-3, 1] }, /reaches elements -3\.\.2, outside its data of 6 elements$/],
  ];
  for (const [what, nd, message] of cases) {
    it(`${what} → LITE_INVALID_ARGUMENT (Tensor and setData; setData changes nothing)`, () => {
      expectError(failure(() => new Tensor(nd as NdArrayLike)), 'LITE_INVALID_ARGUMENT', message);
      const Kind = (nd as NdArrayLike).data.constructor as new (n: number) => TensorData;
      const t = new Tensor(new Kind(6), { shape: [2, 3] });
      const before = t.getData();
      expect(failure(() => t.setData(nd as NdArrayLike)).code).toBe('LITE_INVALID_ARGUMENT');
      expect([t.shape, t.getData()]).toEqual([[2, 3], before]);
    });
  }

  it('valid views: negative strides with an offset (flipped), stride 0 (broadcast), explicit row-major with an offset', () => {
    const flipped = new Tensor({ data, shape: [2, 3], stride: [-3, 1], offset: 3 });
    const broadcast = new Tensor({ data, shape: [2, 3], stride: [0, 1], offset: 3 });
    const tail = new Tensor({ data, shape: [2, 2], stride: [2, 1], offset: 2 });
    expect([flipped, broadcast, tail].map((t) => [t.shape, Array.from(t.getData() as Float32Array)])).toEqual([
      [[2, 3], [3, 4, 5, 0, 1, 2]],
      [[2, 3], [3, 4, 5, 3, 4, 5]],
      [[2, 2], [2, 3, 4, 5]],
    ]);
  });
});

describe('9. format: the constructor checks it like the setter', () => {
  it('values outside Format → LITE_INVALID_ARGUMENT in both', () => {
    const t = new Tensor(new Float32Array(3));
    for (const format of [1e9, 14, 1.5, -2, '0', NaN, 10n]) {
      expectError(failure(() => new Tensor(new Float32Array(3), { format: format as Format })), 'LITE_INVALID_ARGUMENT', /^Tensor: format must be a Format \(e\.g\. Format\.NCHW, Format\.NHWC\), got /);
      expectError(failure(() => (t.format = format as Format)), 'LITE_INVALID_ARGUMENT', /^format must be a Format \(e\.g\. Format\.NCHW, Format\.NHWC\), got /);
    }
    expectError(failure(() => (t.format = null as unknown as Format)), 'LITE_INVALID_ARGUMENT', /^format must be a Format .*got null$/);
    expect(t.format).toBe(Format.NCHW);
  });

  it('Format values are accepted by both', () => {
    const t = new Tensor(new Float32Array(3), { format: Format.DEFAULT });
    expect(t.format).toBe(Format.DEFAULT);
    t.format = Format.NC8HW8;
    expect([t.format, new Tensor(new Float32Array(3), { format: Format.NHWC }).format]).toEqual([Format.NC8HW8, Format.NHWC]);
  });
});

describe('forged contexts (the fuzzer, after Context got validating accessors)', () => {
  it('a Context forged with Object.create passes instanceof but is refused with LITE_INVALID_ARGUMENT by builds and the runner', async () => {
    const forged = Object.create(Context.prototype) as Context;
    for (const attempt of [
      () => new Model().buildFromFile(path('lenet.mindir'), ModelType.MINDIR, forged),
      () => new ModelParallelRunner().buildFromFile(path('lenet.mindir'), forged),
    ]) {
      expect(attempt).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT', message: expect.stringMatching(/^context must be a Context made with new Context\(\)/) }));
    }
    await expect(new Model().buildFromFileAsync(path('lenet.mindir'), ModelType.MINDIR, forged)).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
  });
});
