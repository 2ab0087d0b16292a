// Bad input gives one clear LiteError with a stable code, changes nothing, and the model keeps working.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Context, DataType, LiteError, Model, ModelType, Tensor, type Target } from '../src/index.js';
import { codeOf, codeOfAsync, context, expectReference, lenet, npy, path, runFor, runInputs, twoIo } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lite-ms-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = readFileSync(path(lenet.file));
const garbage = join(dir, 'garbage.mindir');
const truncated = join(dir, 'truncated.mindir');
const empty = join(dir, 'empty.mindir');
writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
writeFileSync(truncated, model.subarray(0, Math.floor(model.length / 2)));
writeFileSync(empty, '');

function built(): Model {
  const m = new Model();
  m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
  return m;
}

/** The model still gives the reference result. */
function works(m: Model): void {
  const run = runFor(lenet, 1);
  expectReference(m.predict(runInputs(run)), run);
}

describe('bad models', () => {
  const cases: [string, () => string | Uint8Array, string][] = [
    // The same codes as @lite/core for the same mistakes; MindIR files are checked before the
    // engine sees them (it corrupts its heap on some structurally broken files).
    ['a missing file', () => join(dir, 'nope.mindir'), 'LITE_FILE_NOT_FOUND'],
    ['a directory', () => dir, 'LITE_FILE_NOT_FOUND'],
    ['an empty file', () => empty, 'LITE_INVALID_MODEL'],
    ['garbage (file)', () => garbage, 'LITE_INVALID_MODEL'],
    ['a truncated MindIR (file)', () => truncated, 'LITE_INVALID_MODEL'],
    ['empty bytes', () => new Uint8Array(0), 'LITE_INVALID_ARGUMENT'],
    ['garbage (bytes)', () => readFileSync(garbage), 'LITE_INVALID_MODEL'],
    ['a truncated MindIR (bytes)', () => readFileSync(truncated), 'LITE_INVALID_MODEL'],
  ];
  for (const [what, src, code] of cases) {
    it(`${what} → ${code}, sync and async; a new model still builds`, async () => {
      const build = (m: Model) => {
        const s = src();
        return typeof s === 'string' ? m.buildFromFile(s, ModelType.MINDIR, context()) : m.buildFromBuffer(s, ModelType.MINDIR, context());
      };
      const buildAsync = (m: Model) => {
        const s = src();
        return typeof s === 'string' ? m.buildFromFileAsync(s, ModelType.MINDIR, context()) : m.buildFromBufferAsync(s, ModelType.MINDIR, context());
      };
      const m = new Model();
      expect(codeOf(() => build(m))).toBe(code);
      expect(m.built).toBe(false);
      expect(await codeOfAsync(buildAsync(new Model()))).toBe(code);
      works(built());
    });
  }

  it('garbage: the message says why, on one line, not only "Common error code."', () => {
    try {
      new Model().buildFromFile(garbage, ModelType.MINDIR, context());
      expect.unreachable();
    } catch (e) {
      expect((e as LiteError).message).toMatch(/garbage\.mindir: not a valid MindIR model: /);
      expect((e as LiteError).message).not.toMatch(/\n/);
    }
  });

  it('a structurally corrupt MindIR (a bias declaring more elements than it stores) is refused before the engine, which would corrupt its heap in predict', async () => {
    const bytes = readFileSync(path(lenet.file));
    bytes[2522] = 12; // conv1's bias dims [6] -> [12]
    const m = new Model();
    let err: unknown;
    try {
      m.buildFromBuffer(bytes, ModelType.MINDIR, context());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LiteError);
    expect((err as LiteError).code).toBe('LITE_INVALID_MODEL');
    expect((err as LiteError).message).toMatch(/^not a valid MindIR model: tensor "[^"]+" declares dims \[12\] \(float32, 48 bytes\) but stores 24 bytes/);
    expect(m.built).toBe(false);
    expect(await codeOfAsync(new Model().buildFromBufferAsync(bytes, ModelType.MINDIR, context()))).toBe('LITE_INVALID_MODEL');
    works(built());
  });

  it('an async failure carries its code as a property and the same text as the sync one', async () => {
    // MINDIR_LITE files are not checked before the engine: this is the engine's own failure.
    let syncMessage = '';
    try {
      new Model().buildFromFile(garbage, ModelType.MINDIR_LITE, context());
    } catch (e) {
      syncMessage = (e as LiteError).message;
    }
    const err = await new Model().buildFromFileAsync(garbage, ModelType.MINDIR_LITE, context()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LiteError);
    expect((err as LiteError).code).toBe('LITE_ERROR');
    expect((err as LiteError).message).toBe(syncMessage);
    expect((err as LiteError).message).not.toContain('\u0001');
  });

  it('wrong argument types and model types', () => {
    const m = new Model();
    expect(codeOf(() => m.buildFromFile('', ModelType.MINDIR))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.buildFromFile(42 as unknown as string, ModelType.MINDIR))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.buildFromFile(path(lenet.file), 3 as ModelType))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.buildFromBuffer('abc' as unknown as Uint8Array, ModelType.MINDIR))).toBe('LITE_INVALID_ARGUMENT');
    m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
    expect(codeOf(() => m.buildFromFile(path(lenet.file), ModelType.MINDIR))).toBe('LITE_INVALID_ARGUMENT');
    works(m);
  });
});

describe('contexts', () => {
  it('unknown target → LITE_INVALID_ARGUMENT; gpu/ascend → LITE_UNSUPPORTED naming what is missing', () => {
    const c = new Context();
    expect(codeOf(() => (c.target = ['tpu' as Target]))).toBe('LITE_INVALID_ARGUMENT'); // when set
    c.target.push('tpu' as Target); // past the setter: the build checks again
    expect(codeOf(() => new Model().buildFromFile(path(lenet.file), ModelType.MINDIR, c))).toBe('LITE_INVALID_ARGUMENT');
    for (const t of ['gpu', 'ascend'] as const) {
      c.target = [t, 'cpu'];
      try {
        new Model().buildFromFile(path(lenet.file), ModelType.MINDIR, c);
        expect.unreachable();
      } catch (e) {
        expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
        expect((e as LiteError).message).toMatch(t === 'gpu' ? /GPU/ : /Ascend/);
      }
    }
  });

  it('bad cpu settings → LITE_INVALID_ARGUMENT', () => {
    const bad: ((c: Context) => void)[] = [
      (c) => (c.cpu.threadNum = -1),
      (c) => (c.cpu.threadNum = 1.5),
      (c) => (c.cpu.threadAffinityMode = 3),
      (c) => (c.cpu.threadAffinityCoreList = [-1]),
      (c) => (c.cpu.precisionMode = 'fp8' as 'enforce_fp32'),
    ];
    for (const set of bad) {
      const c = new Context();
      expect(codeOf(() => set(c))).toBe('LITE_INVALID_ARGUMENT'); // when set, as in Python
      expect(c.toJSON().cpu).toEqual({});
    }
    // A core list changed after it was set: the build checks again.
    const c = new Context();
    c.cpu.threadAffinityCoreList = [0];
    c.cpu.threadAffinityCoreList.push(-1);
    expect(codeOf(() => new Model().buildFromFile(path(lenet.file), ModelType.MINDIR, c))).toBe('LITE_INVALID_ARGUMENT');
  });

  it('configDict is handed to the engine: a malformed one is refused before it', () => {
    const m = new Model();
    expect(codeOf(() => m.buildFromFile(path(lenet.file), ModelType.MINDIR, context(), undefined, { s: 'x' } as never))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.buildFromFile(path(lenet.file), ModelType.MINDIR, context(), undefined, { s: { k: 1 } } as never))).toBe('LITE_INVALID_ARGUMENT');
    m.buildFromFile(path(lenet.file), ModelType.MINDIR, context(), undefined, { common: { note: 'kept' } });
    works(m);
  });
});

describe('wrong inputs', () => {
  it('wrong dtype, size and shape are refused; the model keeps working', () => {
    const m = built();
    const x = npy(runFor(lenet, 1).inputs[0]?.npy as string);
    const input = m.getInputs()[0] as Tensor;
    expect(codeOf(() => input.setData(new Int32Array(784)))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => input.setData(new Float32Array(100)))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => input.setData({ data: x, shape: [1, 784] }))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.predict([new Tensor(new Int32Array(784), { shape: [1, 1, 28, 28] })]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.predict([new Tensor(x, { shape: [1, 784] })]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.predict([input]))).toBe('LITE_INVALID_ARGUMENT'); // no data yet
    expect(codeOf(() => m.predict([]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.predict('x' as unknown as Tensor[]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.predict([{} as Tensor]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.resize(m.getInputs(), [[0, 1, 28, 28]]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.getInputByTensorName('nope'))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.getOutputByTensorName('nope'))).toBe('LITE_INVALID_ARGUMENT');
    works(m);
  });

  it('explicit resize: dims >= 1 are checked before the engine; a resize the engine refuses changes nothing and the model keeps working', () => {
    const m = built();
    const inputs = m.getInputs();
    expect(codeOf(() => m.resize(inputs, [[0, 1, 28, 28]]))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.resize(inputs, [[-1, 1, 28, 28]]))).toBe('LITE_INVALID_ARGUMENT');
    expect(inputs[0]?.shape).toEqual([-1, 1, 28, 28]);
    expect(m.getInputs()[0]?.shape).toEqual([-1, 1, 28, 28]);
    works(m);
    const two = new Model();
    two.buildFromFile(path(twoIo.file), ModelType.MINDIR, context());
    const twoInputs = two.getInputs();
    // a [4, 3] and b [2, 3] cannot be added: the engine refuses the resize (so does Python's).
    expect(codeOf(() => two.resize(twoInputs, [[4, 3], [2, 3]]))).toBe('LITE_ERROR');
    expect(twoInputs.map((t) => t.shape)).toEqual([[2, 3], [2, 3]]);
    expect(two.getInputs().map((t) => t.shape)).toEqual([[2, 3], [2, 3]]);
    const run = runFor(twoIo, 2);
    expectReference(two.predict(runInputs(run)), run);
  });

  it('predict refuses a feed of another rank before the engine; another batch of a fixed-shape model runs', () => {
    const m = new Model();
    m.buildFromFile(path(twoIo.file), ModelType.MINDIR, context());
    const flat = new Tensor(new Float32Array(6), { shape: [6] });
    expect(codeOf(() => m.predict([flat, flat]))).toBe('LITE_INVALID_ARGUMENT');
    const a = new Tensor(new Float32Array(9).fill(2), { shape: [3, 3] });
    const b = new Tensor(new Float32Array(9).fill(3), { shape: [3, 3] });
    const [sum, prod] = m.predict([a, b]);
    expect(sum?.shape).toEqual([3, 3]);
    expect(sum?.getData()).toEqual(new Float32Array(9).fill(5));
    expect(prod?.getData()).toEqual(new Float32Array(9).fill(6));
    const run = runFor(twoIo, 2);
    expectReference(m.predict(runInputs(run)), run);
  });
});

describe('wrong use', () => {
  it('predict, inputs, resize before build → LITE_INVALID_ARGUMENT', async () => {
    const m = new Model();
    const x = runInputs(runFor(lenet, 1));
    expect(codeOf(() => m.predict(x))).toBe('LITE_INVALID_ARGUMENT');
    expect(await codeOfAsync(m.predictAsync(x))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.getInputs())).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.getOutputs())).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => m.resize([], []))).toBe('LITE_INVALID_ARGUMENT');
  });

  it('use after dispose → LITE_DISPOSED; dispose is idempotent', async () => {
    const m = built();
    m.dispose();
    m.dispose();
    const x = runInputs(runFor(lenet, 1));
    expect(codeOf(() => m.predict(x))).toBe('LITE_DISPOSED');
    expect(await codeOfAsync(m.predictAsync(x))).toBe('LITE_DISPOSED');
    expect(codeOf(() => m.getInputs())).toBe('LITE_DISPOSED');
    expect(codeOf(() => m.buildFromFile(path(lenet.file), ModelType.MINDIR))).toBe('LITE_DISPOSED');
    expect(m.built).toBe(false);
    {
      using scoped = built();
      works(scoped);
    }
  });

  it('updateWeights and getModelInfo → LITE_UNSUPPORTED saying what would provide them', () => {
    const m = built();
    try {
      m.updateWeights([[new Tensor(new Float32Array(1))]]);
      expect.unreachable();
    } catch (e) {
      expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
      expect((e as LiteError).message).toMatch(/Ascend/);
    }
    try {
      m.getModelInfo('current_pid');
      expect.unreachable();
    } catch (e) {
      expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
      expect((e as LiteError).message).toMatch(/2\.0\.0/);
    }
    works(m);
  });
});

describe('concurrent async calls', () => {
  it('queue in call order, each sees only its own inputs (copied at the call); sync calls meanwhile → LITE_BUSY', async () => {
    const m = built();
    const batches = [4, 1, 2, 4, 2, 1, 1, 4];
    const tensors = batches.map((b) => runInputs(runFor(lenet, b)));
    const pending = tensors.map((t) => m.predictAsync(t));
    // Changing the inputs after the call changes nothing: they were copied.
    for (const t of tensors) t[0]?.setData(new Float32Array(t[0].elementNum).fill(7));
    expect(codeOf(() => m.predict(tensors[0] as Tensor[]))).toBe('LITE_BUSY');
    expect(codeOf(() => m.getInputs())).toBe('LITE_BUSY');
    const results = await Promise.all(pending);
    results.forEach((outs, i) => expectReference(outs, runFor(lenet, batches[i] as number)));
    works(m);
  });

  it('dispose while calls are pending: they finish, then the model is released', async () => {
    const m = built();
    const run = runFor(lenet, 2);
    const p = m.predictAsync(runInputs(run));
    m.dispose();
    expectReference(await p, run);
    expect(await codeOfAsync(m.predictAsync(runInputs(run)))).toBe('LITE_DISPOSED');
  });

  it('a failing async call does not stop the ones queued behind it', async () => {
    const m = built();
    const run = runFor(lenet, 1);
    const bad = m.predictAsync([new Tensor(new Float32Array(784), { shape: [1, 784] })]);
    const good = m.predictAsync(runInputs(run));
    expect(await codeOfAsync(bad)).toBe('LITE_INVALID_ARGUMENT');
    expectReference(await good, run);
  });
});

describe('dtypes', () => {
  it('DataType values are the runtime\'s', () => {
    expect(built().getInputs()[0]?.dtype).toBe(DataType.FLOAT32);
    expect(DataType.FLOAT32).toBe(43);
  });
});
