// Issue 22: the CLI creates the output folder, a clear message for data given to a tensor whose
// dim is still dynamic, `target = []` and 0 thread/worker counts as in Python, raw bytes (a Node
// Buffer) as the data of any dtype as in @lite/core.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { buildOptions } from '../src/context.js';
import { Context, DataType, LiteError, Model, ModelParallelRunner, ModelType, Tensor } from '../src/index.js';
import { context, expectReference, failure, lenet, npy, path, runFor, runInputs } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'lite-ms-issue22-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lenetModel(c: Context = context()): Model {
  const m = new Model();
  m.buildFromFile(path(lenet.file), ModelType.MINDIR, c);
  return m;
}

describe('1. lite-convert creates the missing folders of --output', () => {
  it('converts into out/a/b/lenet when out/a/b does not exist', () => {
    const output = join(work, 'out', 'a', 'b', 'lenet');
    expect(existsSync(join(work, 'out'))).toBe(false);
    expect(main(['--fmk', 'onnx', '--model', path('lenet.onnx'), '--output', output, '--optimize', 'none', '--save-type', 'MINDIR'])).toBe(0);
    expect(readdirSync(join(work, 'out', 'a', 'b'))).toEqual(['lenet.mindir']);
    const converted = new Model();
    converted.buildFromFile(`${output}.mindir`, ModelType.MINDIR, context());
    const run = runFor(lenet, 1);
    expectReference(converted.predict(runInputs(run)), run);
    converted.dispose();
  });

  it('a failed conversion removes the folders it created (and keeps folders that existed)', () => {
    expect(main(['--fmk', 'onnx', '--model', join(work, 'missing.onnx'), '--output', join(work, 'fresh', 'x', 'y')])).toBe(1);
    expect(existsSync(join(work, 'fresh'))).toBe(false);
    expect(main(['--fmk', 'onnx', '--model', join(work, 'missing.onnx'), '--output', join(work, 'out', 'a', 'new', 'y')])).toBe(1);
    expect(existsSync(join(work, 'out', 'a', 'new'))).toBe(false);
    expect(existsSync(join(work, 'out', 'a', 'b', 'lenet.mindir'))).toBe(true);
  });

  it('an --output under a file: exit 2 (LITE_INVALID_ARGUMENT), nothing created', () => {
    const file = join(work, 'out', 'a', 'b', 'lenet.mindir');
    expect(main(['--fmk', 'onnx', '--model', path('lenet.onnx'), '--output', join(file, 'sub', 'x')])).toBe(2);
    expect(readdirSync(join(work, 'out', 'a', 'b'))).toEqual(['lenet.mindir']);
  });
});

describe('3. setData on an input whose dim is still dynamic', () => {
  it('says the input has a dynamic dim and how to give it a size; changes nothing', () => {
    const m = lenetModel();
    const input = m.getInputs()[0] as Tensor;
    expect(input.shape).toEqual([-1, 1, 28, 28]);
    for (const length of [0, 100]) {
      const e = failure(() => input.setData(new Float32Array(length)));
      expect(e.code).toBe('LITE_INVALID_ARGUMENT');
      expect(e.message).toBe(
        `setData: the tensor ${JSON.stringify(input.name)} [-1, 1, 28, 28] has a dynamic dim (-1), so its size is not known yet: ` +
          `pass a non-empty multiple of 784 float32 elements (the dynamic dim follows from the length), ` +
          `set a shape first (tensor.shape = [...] or model.resize), or pass an ndarray that carries its shape; got ${length} float32 elements`,
      );
      expect(e.message).not.toMatch(/needs 0/);
      expect(input.shape).toEqual([-1, 1, 28, 28]);
      expect(input.getData().length).toBe(0);
    }
    input.setData(new Float32Array(2 * 784));
    expect(input.shape).toEqual([2, 1, 28, 28]);
    m.dispose();
  });

  it('counts are singular/plural correct ("1 float32 element")', () => {
    const t = new Tensor(new Float32Array(1));
    expect(failure(() => t.setData(new Float32Array(2))).message).toBe('setData: the tensor "" [1] needs 1 float32 element, got 2');
    const u = new Tensor(new Float32Array(3));
    expect(failure(() => u.setData(new Float32Array(1))).message).toBe('setData: the tensor "" [3] needs 3 float32 elements, got 1');
    expect(failure(() => t.setData(Buffer.alloc(1))).message).toBe('setData: 1 byte of raw data are not a whole number of float32 elements (4 bytes each)');
  });
});

describe('4. target = [] means ["cpu"] (Python: `target = ["cpu"] if not target`)', () => {
  it('builds on the CPU and predicts the references', () => {
    const c = context();
    c.target = [];
    expect(buildOptions(c).threadNum).toBe(1);
    const m = lenetModel(c);
    const run = runFor(lenet, 1);
    expectReference(m.predict(runInputs(run)), run);
    m.dispose();
  });

  it('reads back as ["cpu"], as in Python; an unknown target is still refused', () => {
    const c = new Context();
    c.target = [];
    expect(c.target).toEqual(['cpu']);
    expect(failure(() => (c.target = ['tpu' as 'cpu'])).code).toBe('LITE_INVALID_ARGUMENT');
    expect(c.target).toEqual(['cpu']);
  });
});

describe('5. threadNum, interOpParallelNum and workersNum accept 0 (the engine default), as in Python', () => {
  it('0 is accepted and handed to the binding as unset', () => {
    const c = new Context();
    c.cpu.threadNum = 0;
    c.cpu.interOpParallelNum = 0;
    c.parallel.workersNum = 0;
    const opts = buildOptions(c);
    expect([opts.threadNum, opts.interOpParallelNum, opts.workersNum]).toEqual([undefined, undefined, undefined]);
    c.cpu.threadNum = 2;
    c.cpu.interOpParallelNum = 1;
    c.parallel.workersNum = 3;
    const set = buildOptions(c);
    expect([set.threadNum, set.interOpParallelNum, set.workersNum]).toEqual([2, 1, 3]);
  });

  it('a Model built with threadNum 0 and interOpParallelNum 0 predicts the references', () => {
    const c = new Context();
    c.cpu.threadNum = 0;
    c.cpu.interOpParallelNum = 0;
    const m = lenetModel(c);
    for (const batch of [1, 4]) {
      const run = runFor(lenet, batch);
      expectReference(m.predict(runInputs(run)), run);
    }
    m.dispose();
  });

  it('a ModelParallelRunner built with workersNum 0 predicts the references', async () => {
    const c = context();
    c.parallel.workersNum = 0;
    const runner = new ModelParallelRunner();
    runner.buildFromFile(path(lenet.file), c);
    const run = runFor(lenet, 1);
    expectReference(await runner.predict(runInputs(run)), run);
    runner.dispose();
  });

  it('negative counts are still refused', () => {
    for (const set of [(c: Context) => (c.cpu.threadNum = -1), (c: Context) => (c.cpu.interOpParallelNum = -1), (c: Context) => (c.parallel.workersNum = -1)]) {
      const e = failure(() => set(new Context()));
      expect(e.code).toBe('LITE_INVALID_ARGUMENT');
      expect(e.message).toMatch(/must be an integer in 0\.\.2147483647, got -1$/);
    }
  });
});

describe('6. a Buffer (raw bytes) as the data of a float32 tensor, as in @lite/core', () => {
  const x = npy(runFor(lenet, 1).inputs[0]?.npy as string);

  it('Buffer.from(float32Array.buffer) predicts the same as the Float32Array', () => {
    const m = lenetModel();
    const run = runFor(lenet, 1);
    const fromArray = m.getInputs()[0] as Tensor;
    fromArray.setData(x);
    const expected = m.predict([fromArray]);
    expectReference(expected, run);

    const fromBuffer = m.getInputs()[0] as Tensor;
    fromBuffer.setData(Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    expect(fromBuffer.shape).toEqual([1, 1, 28, 28]);
    expect(fromBuffer.getData()).toBeInstanceOf(Float32Array);
    expect(fromBuffer.getData()).toEqual(x);
    const got = m.predict([fromBuffer]);
    expect(got.map((o) => o.getData())).toEqual(expected.map((o) => o.getData()));
    expectReference(got, run);
    m.dispose();
  });

  it('new Tensor(buffer, { dtype, shape }) and a plain Uint8Array (core takes any Uint8Array as raw bytes)', () => {
    const t = new Tensor(Buffer.from(x.buffer, x.byteOffset, x.byteLength), { dtype: DataType.FLOAT32, shape: [1, 1, 28, 28] });
    expect(t.dtype).toBe(DataType.FLOAT32);
    expect(t.getData()).toEqual(x);
    const u = new Tensor(null, { dtype: DataType.INT32, shape: [2] });
    u.setData(new Uint8Array(new Int32Array([7, -3]).buffer));
    expect(Array.from(u.getData() as Int32Array)).toEqual([7, -3]);
    const b = new Tensor(Buffer.from([1, 2, 3]));
    expect(b.dtype).toBe(DataType.UINT8);
    expect(b.getData().constructor).toBe(Uint8Array);
    expect(Array.from(b.getData() as Uint8Array)).toEqual([1, 2, 3]);
  });

  it('a byte length that is not a whole number of elements is refused; the tensor keeps its data', () => {
    const t = new Tensor(new Float32Array([1, 2]));
    const e = failure(() => t.setData(Buffer.alloc(7)));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('setData: 7 bytes of raw data are not a whole number of float32 elements (4 bytes each)');
    expect(Array.from(t.getData() as Float32Array)).toEqual([1, 2]);
    expect(failure(() => new Tensor(Buffer.alloc(6), { dtype: DataType.FLOAT32 })).code).toBe('LITE_INVALID_ARGUMENT');
    // Other TypedArray kinds of another dtype stay refused (they would be reinterpreted).
    expect(failure(() => t.setData(new Int32Array(2))).code).toBe('LITE_INVALID_ARGUMENT');
  });
});

describe('7. Context settings are checked when set (as Python\'s setters), and again at build', () => {
  const cases: [string, (c: Context) => void, RegExp][] = [
    ['target not an array', (c) => (c.target = 'cpu' as never), /^context\.target must be an array of "cpu" \| "gpu" \| "ascend", got "cpu"$/],
    ['a target that is not a string', (c) => (c.target = [1] as never), /^unknown target 1 \(expected "cpu", "gpu" or "ascend"\)$/],
    ['an unknown target', (c) => (c.target = ['tpu'] as never), /^unknown target "tpu"/],
    ['threadNum not an integer', (c) => (c.cpu.threadNum = 1.5), /^context\.cpu\.threadNum must be an integer in 0\.\.2147483647, got 1\.5$/],
    ['threadNum < 0', (c) => (c.cpu.threadNum = -1), /^context\.cpu\.threadNum must be an integer in 0\.\.2147483647, got -1$/],
    ['interOpParallelNum not a number', (c) => (c.cpu.interOpParallelNum = '2' as never), /^context\.cpu\.interOpParallelNum must be an integer in 0\.\.2147483647, got "2"$/],
    ['interOpParallelNum < 0', (c) => (c.cpu.interOpParallelNum = -2), /^context\.cpu\.interOpParallelNum must be an integer in 0\.\.2147483647, got -2$/],
    ['threadAffinityMode not an integer', (c) => (c.cpu.threadAffinityMode = 0.5), /^context\.cpu\.threadAffinityMode must be an integer in 0\.\.2, got 0\.5$/],
    ['threadAffinityMode out of 0..2', (c) => (c.cpu.threadAffinityMode = 3), /^context\.cpu\.threadAffinityMode must be an integer in 0\.\.2, got 3$/],
    ['threadAffinityCoreList not an array', (c) => (c.cpu.threadAffinityCoreList = 0 as never), /^context\.cpu\.threadAffinityCoreList must be an array of core ids in 0\.\.2147483647, got 0$/],
    ['threadAffinityCoreList with a non-integer', (c) => (c.cpu.threadAffinityCoreList = [0, 'a'] as never), /^context\.cpu\.threadAffinityCoreList must be an array of core ids/],
    ['precisionMode not a string', (c) => (c.cpu.precisionMode = 16 as never), /^context\.cpu\.precisionMode must be "enforce_fp32" or "preferred_fp16", got 16$/],
    ['precisionMode unknown', (c) => (c.cpu.precisionMode = 'fp8' as never), /^context\.cpu\.precisionMode must be "enforce_fp32" or "preferred_fp16", got "fp8"$/],
    ['workersNum not an integer', (c) => (c.parallel.workersNum = 2.5), /^context\.parallel\.workersNum must be an integer in 0\.\.2147483647, got 2\.5$/],
    ['workersNum < 0', (c) => (c.parallel.workersNum = -1), /^context\.parallel\.workersNum must be an integer in 0\.\.2147483647, got -1$/],
    ['configInfo not { section: { key: value } }', (c) => (c.parallel.configInfo = { s: { k: 1 } } as never), /^context\.parallel\.configInfo\.s\.k must be a string, got 1$/],
    ['configPath not a string', (c) => (c.parallel.configPath = 5 as never), /^context\.parallel\.configPath must be a non-empty string, got 5$/],
    ['a cpu group with a bad field', (c) => (c.cpu = { threadNum: 1, threadAffinityMode: 7 }), /^context\.cpu\.threadAffinityMode must be an integer in 0\.\.2, got 7$/],
    ['a parallel group that is not an object', (c) => (c.parallel = 5 as never), /^context\.parallel must be an object of settings, got 5$/],
  ];
  for (const [what, set, message] of cases) {
    it(`${what}: LITE_INVALID_ARGUMENT at the assignment, nothing changed`, () => {
      const c = context();
      c.cpu.threadAffinityMode = 1;
      c.parallel.workersNum = 2;
      const before = JSON.stringify(c);
      const e = failure(() => set(c));
      expect(e.code).toBe('LITE_INVALID_ARGUMENT');
      expect(e.message).toMatch(message);
      expect(JSON.stringify(c)).toBe(before);
      expect(c.toJSON()).toEqual({ target: ['cpu'], cpu: { threadNum: 1, threadAffinityMode: 1 }, gpu: {}, ascend: {}, parallel: { workersNum: 2 } });
    });
  }

  it('good values are kept as set; a whole group is copied; null/undefined groups are the defaults', () => {
    const c = new Context();
    c.cpu = { threadNum: 2, interOpParallelNum: 1, threadAffinityMode: 2, threadAffinityCoreList: [0, 1], precisionMode: 'preferred_fp16' };
    c.parallel = { workersNum: 3, configInfo: { s: { k: 'v' } }, configPath: '/x.cfg' };
    expect(c.toJSON()).toEqual({
      target: ['cpu'],
      cpu: { threadNum: 2, interOpParallelNum: 1, threadAffinityMode: 2, threadAffinityCoreList: [0, 1], precisionMode: 'preferred_fp16' },
      gpu: {},
      ascend: {},
      parallel: { workersNum: 3, configInfo: { s: { k: 'v' } }, configPath: '/x.cfg' },
    });
    expect([c.cpu.threadNum, c.parallel.workersNum, c.parallel.configPath]).toEqual([2, 3, '/x.cfg']);
    c.cpu.threadNum = undefined;
    expect(c.cpu.threadNum).toBeUndefined();
    c.cpu = null as never;
    c.parallel = undefined as never;
    expect(c.toJSON()).toEqual({ target: ['cpu'], cpu: {}, gpu: {}, ascend: {}, parallel: {} });
  });

  it('the build still checks (a value changed past the setters) and builds with checked values', () => {
    const c = context();
    c.cpu.threadAffinityCoreList = [0];
    c.cpu.threadAffinityCoreList.push(2 ** 31);
    const e = failure(() => lenetModel(c));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/^context\.cpu\.threadAffinityCoreList must be an array of core ids/);
    c.cpu.threadAffinityCoreList = [0];
    const m = lenetModel(c);
    const run = runFor(lenet, 1);
    expectReference(m.predict(runInputs(run)), run);
    m.dispose();
  });
});
