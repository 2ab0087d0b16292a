// Issue 22, resize parity with mindspore_lite 2.0.0: any shape the engine accepts may be given,
// fixed dims and rank included. Expected values were recorded from the Python package (Python
// 3.7.16, mindspore_lite 2.0.0, Context target ['cpu'], thread_num 1, the same runtime libraries)
// on the inputs made by `ramp` below; same runtime and same inputs, so the tolerance is 0: the
// outputs must be equal bit for bit.
//
// The one resize hazard of the 2.0.0 engine: it accepts resizes that its graph cannot run (LeNet
// resized to 3 channels, to [1, 784], to [1, 1, 4, 4], to rank 5); the predict then fails, and the
// next predict of that model crashes the process (SIGSEGV in Python and, before the guard, here).
// After a failed predict the model therefore refuses predicts with LITE_UNSUPPORTED.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Model, ModelType, Tensor } from '../src/index.js';
import { context, expectReference, failure, lenet, path, runFor, runInputs, twoIo } from './helpers.js';

/** Python's test data: np.arange(n, dtype=float32).reshape(shape) * 0.25 + (k - 1.5), for input k. */
function ramp(shape: number[], k: number): Float32Array {
  const n = shape.reduce((a, d) => a * d, 1);
  return Float32Array.from({ length: n }, (_, i) => i * 0.25 + k - 1.5);
}

function twoModel(): Model {
  const m = new Model();
  m.buildFromFile(path(twoIo.file), ModelType.MINDIR, context());
  return m;
}

/** name, shape and data of each output. */
function outputs(list: Tensor[]): [string, number[], number[]][] {
  return list.map((o) => [o.name, o.shape, Array.from(o.getData() as Float32Array)]);
}

/** Bit-exact equality: every value compared with Object.is (so -0 and 0 differ, as in the references). */
function expectOutputs(list: Tensor[], want: [string, number[], number[]][]): void {
  const got = outputs(list);
  expect(got).toEqual(want);
  got.forEach(([, , data], i) => data.forEach((v, j) => expect(Object.is(v, want[i]?.[2][j]), `output ${i}[${j}]`).toBe(true)));
}

// Python: m.resize(inputs, [[4, 3], [4, 3]]) → ok; set_data_from_numpy(ramp); predict.
const PY_4x3: [string, number[], number[]][] = [
  ['sum', [4, 3], [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]],
  ['prod', [4, 3], [0.75, 0.3125, -0.0, -0.1875, -0.25, -0.1875, 0.0, 0.3125, 0.75, 1.3125, 2.0, 2.8125]],
];
// Python: m.resize(inputs, [[2, 1], [2, 3]]) → ok (a broadcasts over b's columns).
const PY_2x1_2x3: [string, number[], number[]][] = [
  ['sum', [2, 3], [-2.0, -1.75, -1.5, -1.0, -0.75, -0.5]],
  ['prod', [2, 3], [0.75, 0.375, -0.0, -0.3125, -0.625, -0.9375]],
];
// Python: m.resize(inputs, [[6], [6]]) → ok (rank 1).
const PY_6: [string, number[], number[]][] = [
  ['sum', [6], [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5]],
  ['prod', [6], [0.75, 0.3125, -0.0, -0.1875, -0.25, -0.1875]],
];
// Python: m.resize(inputs, [[4, 3], [2, 3]]) → RuntimeError "resize failed! Error is Common error
// code."; the inputs stay [2, 3] and a predict with ramp data at [2, 3] gives:
const PY_2x3: [string, number[], number[]][] = [
  ['sum', [2, 3], [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5]],
  ['prod', [2, 3], [0.75, 0.3125, -0.0, -0.1875, -0.25, -0.1875]],
];

describe('resize of dims the model declares fixed (two_io: a [2, 3], b [2, 3])', () => {
  it('[2, 3] → [4, 3], Python style (resize, then the model\'s own inputs): Python\'s outputs', () => {
    const m = twoModel();
    const inputs = m.getInputs();
    m.resize(inputs, [[4, 3], [4, 3]]);
    expect(inputs.map((t) => t.shape)).toEqual([[4, 3], [4, 3]]);
    expect(m.getInputs().map((t) => t.shape)).toEqual([[4, 3], [4, 3]]);
    inputs.forEach((t, k) => t.setData(ramp([4, 3], k)));
    expectOutputs(m.predict(inputs), PY_4x3);
    // And again (a second predict at the new shape), then back to the declared shape.
    expectOutputs(m.predict(inputs), PY_4x3);
    const run = runFor(twoIo, 2);
    expectReference(m.predict(runInputs(run)), run);
  });

  it('[2, 3] → [4, 3] by predict\'s own resize (tensors of the new shape), sync and async', async () => {
    const m = twoModel();
    const feed = () => [new Tensor(ramp([4, 3], 0), { shape: [4, 3] }), new Tensor(ramp([4, 3], 1), { shape: [4, 3] })];
    expectOutputs(m.predict(feed()), PY_4x3);
    const run = runFor(twoIo, 2);
    expectReference(await m.predictAsync(runInputs(run)), run);
    expectOutputs(await m.predictAsync(feed()), PY_4x3);
  });

  it('a [2, 1], b [2, 3] (broadcast): Python\'s outputs', () => {
    const m = twoModel();
    const inputs = m.getInputs();
    m.resize(inputs, [[2, 1], [2, 3]]);
    inputs.forEach((t, k) => t.setData(ramp(t.shape, k)));
    expectOutputs(m.predict(inputs), PY_2x1_2x3);
  });

  it('a rank change by resize ([6], [6]): Python\'s outputs; predict alone refuses another rank before the engine', () => {
    const m = twoModel();
    const flat = [new Tensor(ramp([6], 0)), new Tensor(ramp([6], 1))];
    const e = failure(() => m.predict(flat));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('predict: input a: shape [6] has 1 dims, the model\'s input is [2, 3] (call resize first to change the rank)');
    const inputs = m.getInputs();
    m.resize(inputs, [[6], [6]]);
    inputs.forEach((t, k) => t.setData(ramp([6], k)));
    expectOutputs(m.predict(inputs), PY_6);
    expectOutputs(m.predict(flat), PY_6);
  });

  it('a resize the engine refuses (a [4, 3] + b [2, 3]): LITE_ERROR, shapes kept, the model keeps working as Python\'s', () => {
    const m = twoModel();
    const inputs = m.getInputs();
    const e = failure(() => m.resize(inputs, [[4, 3], [2, 3]]));
    expect(e.code).toBe('LITE_ERROR');
    expect(e.message).toMatch(/^resizing the inputs failed: .*InferShape failed, type: MulFusion/);
    expect(inputs.map((t) => t.shape)).toEqual([[2, 3], [2, 3]]);
    expect(m.getInputs().map((t) => t.shape)).toEqual([[2, 3], [2, 3]]);
    inputs.forEach((t, k) => t.setData(ramp([2, 3], k)));
    expectOutputs(m.predict(inputs), PY_2x3);
    // The same mistake through predict's own resize: refused the same way, nothing changes.
    expect(failure(() => m.predict([new Tensor(ramp([4, 3], 0), { shape: [4, 3] }), inputs[1] as Tensor])).code).toBe('LITE_ERROR');
    m.resize(inputs, [[4, 3], [4, 3]]);
    inputs.forEach((t, k) => t.setData(ramp([4, 3], k)));
    expectOutputs(m.predict(inputs), PY_4x3);
  });
});

describe('resize of a dynamic model\'s fixed dims (lenet: x [-1, 1, 28, 28])', () => {
  it('model tensors take other dims of the same rank; another rank needs resize', () => {
    const m = new Model();
    m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
    const x = m.getInputs()[0] as Tensor;
    x.shape = [1, 3, 28, 28];
    expect(x.elementNum).toBe(3 * 784);
    const e = failure(() => {
      x.shape = [1, 784];
    });
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('shape: [1, 784] has 2 dims, the model input "x" is declared as [-1, 1, 28, 28] (call model.resize first to change the rank)');
    expect(x.shape).toEqual([1, 3, 28, 28]);
    m.resize([x], [[1, 784]]);
    expect(m.getInputs()[0]?.shape).toEqual([1, 784]);
    m.dispose();
  });
});

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('the guarded crash: a predict after a predict that failed in the engine', () => {
  // Python, for each resize below on lenet.mindir (thread_num 1): resize ok, first predict
  // RuntimeError "predict failed!", second predict: the process dies with SIGSEGV (exit 139).
  // Without the guard this binding died the same way (exit 139) at the second predict.
  it('each unrunnable resize: LITE_ERROR, then LITE_UNSUPPORTED for every later predict (sync, async, after resizing back); no crash, nothing on stderr', () => {
    const script = `
import { Context, Model, ModelType, Tensor } from ${JSON.stringify(dist)};
const ctx = new Context(); ctx.target = ['cpu']; ctx.cpu.threadNum = 1;
const messages = [];
const code = async (f) => { try { await f(); return 'none'; } catch (e) { messages.push(e.message); return e.code + (e.message.includes('\\n') ? ' (multi-line)' : ''); } };
const feed = (shape) => [new Tensor(new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(0.5), { shape })];
const result = {};
for (const shape of [[1, 3, 28, 28], [1, 784], [1, 1, 4, 4], [1, 1, 28, 28, 1], [1, 1, 32, 32]]) {
  const m = new Model();
  m.buildFromFile(${JSON.stringify(path(lenet.file))}, ModelType.MINDIR, ctx);
  const inputs = m.getInputs();
  const steps = [await code(() => m.resize(inputs, [shape]))];
  inputs[0].setData(new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(0.5));
  steps.push(await code(() => m.predict(inputs)));
  steps.push(await code(() => m.predict(inputs)));
  steps.push(await code(() => m.predictAsync(inputs)));
  steps.push(await code(() => m.resize(m.getInputs(), [[1, 1, 28, 28]])));
  steps.push(await code(() => m.predict(feed([1, 1, 28, 28]))));
  steps.push(JSON.stringify(m.getInputs()[0].shape));
  m.dispose();
  result[JSON.stringify(shape)] = steps;
}
console.log(JSON.stringify({ result, messages: messages.slice(0, 2) }));
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, GLOG_v: undefined },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const after = ['LITE_ERROR', 'LITE_UNSUPPORTED', 'LITE_UNSUPPORTED', 'none', 'LITE_UNSUPPORTED', '[1,1,28,28]'];
    const { result, messages } = JSON.parse(r.stdout) as { result: unknown; messages: string[] };
    expect(result).toEqual({
      '[1,3,28,28]': ['none', ...after],
      '[1,784]': ['none', ...after],
      '[1,1,4,4]': ['none', ...after],
      '[1,1,28,28,1]': ['none', ...after],
      // A spatial size the convs take but the flatten does not: the predict fails in a Reshape;
      // Python's next predicts fail without crashing, and they fail here as well.
      '[1,1,32,32]': ['none', ...after],
    });
    // The first failure is the engine's; the refusal names it and what to do, on one line.
    const [first, refusal] = messages;
    expect(first).toMatch(/^predict failed: MindrtRun failed/);
    expect(refusal).toBe(
      `predict: an earlier predict of this model failed in the engine (${first}) and MindSpore Lite 2.0.0 crashes on any later predict of such a model; build a new Model`,
    );
  });
});
