// predict()'s guarantees (issue: serving): every input given, inputs copied during the call, exact
// element counts, the model's declared layout unless the feed carries a shape, LITE_BUSY for sync
// calls from the moment a predict is queued. Outputs are compared bit for bit with the lite
// references of the fixtures (same runtime, same default config: the tolerance is 0).
import { describe, expect, it } from 'vitest';
import { fixture, liteReference, manifest, readNpy } from '@lite/testing';
import { LiteError, LiteLayout, LiteNetwork, LiteTensor } from '../src/index.js';
import { expectCode } from './helpers.js';

const models = manifest().models;
const f32 = (npy: string): Float32Array => readNpy(fixture(npy)).data as Float32Array;
// megenginelite's output on this machine (see liteReference).
const ref = (npy: string): Float32Array => readNpy(liteReference(npy)).data as Float32Array;

const mlp = models.mlp!;
const mlpInput = f32(mlp.inputs[0]!.npy!);
const mlpOut = ref(mlp.outputs[0]!.lite_npy!);

const dyn = models.dynamic_batch!;
const dynCases = dyn.cases as { tag: string; inputs: { npy: string; shape: number[] }[]; outputs: { lite_npy: string }[] }[];
const b1 = dynCases.find((c) => c.tag === 'b1')!;
const b4 = dynCases.find((c) => c.tag === 'b4')!;

const two = models.two_io!;

function load(model: { file: string }): LiteNetwork {
  const net = new LiteNetwork();
  net.load(fixture(model.file));
  return net;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<LiteError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(LiteError);
  expect((e as LiteError).code).toBe(code);
  if (pattern) expect((e as LiteError).message).toMatch(pattern);
  return e as LiteError;
}

describe('predict: every input, exactly', () => {
  it('a number array shorter than the input is rejected, and does not reuse the previous request', async () => {
    const net = load(mlp);
    const first = await net.predict<'logits'>({ data: mlpInput });
    expect(first.logits.toTypedArray()).toEqual(mlpOut);
    await rejectsWith(net.predict({ data: [1, 2, 3] }), 'LITE_INVALID_ARGUMENT', /got 3 numbers, \[1, 64\] float32 holds 64/);
    // Exactly 64 numbers: same result as the Float32Array of the same values.
    const again = await net.predict<'logits'>({ data: Array.from(mlpInput) });
    expect(again.logits.toTypedArray()).toEqual(mlpOut);
  });

  it('predict({}) rejects naming the missing input instead of running on the previous one', async () => {
    const net = load(mlp);
    await net.predict({ data: mlpInput });
    await rejectsWith(net.predict({}), 'LITE_INVALID_ARGUMENT', /missing input "data"/);
  });

  it('missing and unknown names are both named; the network stays usable', async () => {
    const net = load(two);
    const a = f32(two.inputs.find((i) => i.name === 'a')!.npy!);
    const b = f32(two.inputs.find((i) => i.name === 'b')!.npy!);
    const e = await rejectsWith(net.predict({ a, bee: b }), 'LITE_INVALID_ARGUMENT');
    expect(e.message).toMatch(/missing input "b"/);
    expect(e.message).toMatch(/unknown input "bee"/);
    const out = await net.predict<'sum_out' | 'prod_out'>({ a, b });
    for (const o of two.outputs) expect(out[o.name as 'sum_out' | 'prod_out'].toTypedArray()).toEqual(ref(o.lite_npy!));
  });

  it('a TypedArray of another element type is rejected naming both; raw bytes are accepted', async () => {
    const net = load(mlp);
    await rejectsWith(net.predict({ data: new Float64Array(32) }), 'LITE_INVALID_ARGUMENT', /Float64Array cannot feed a float32 input/);
    await rejectsWith(net.predict({ data: new Int32Array(64) }), 'LITE_INVALID_ARGUMENT', /Int32Array cannot feed a float32 input/);
    const raw = new Uint8Array(mlpInput.buffer.slice(0));
    const { logits } = await net.predict<'logits'>({ data: raw });
    expect(logits.toTypedArray()).toEqual(mlpOut);
  });

  it('a TypedArray of the wrong length is rejected with both sizes', async () => {
    const net = load(mlp);
    await rejectsWith(net.predict({ data: new Float32Array(63) }), 'LITE_INVALID_ARGUMENT', /got 63 values, \[1, 64\] float32 holds 64 values/);
  });

  it('a bad feed leaves the network fully usable (no state change)', async () => {
    const net = load(mlp);
    await rejectsWith(net.predict({ data: 'nope' as unknown as Float32Array }), 'LITE_INVALID_ARGUMENT');
    await rejectsWith(net.predict(null as unknown as Record<string, Float32Array>), 'LITE_INVALID_ARGUMENT');
    const { logits } = await net.predict<'logits'>({ data: mlpInput });
    expect(logits.toTypedArray()).toEqual(mlpOut);
    net.forward();
    net.wait();
  });
});

describe('predict: layouts per call', () => {
  it('a batch-4 feed with a shape does not stick: a later plain TypedArray runs in the declared batch 1', async () => {
    const net = load(dyn);
    const in1 = f32(b1.inputs[0]!.npy);
    const in4 = f32(b4.inputs[0]!.npy);
    const r4 = await net.predict<'prob'>({ data: { data: in4, shape: b4.inputs[0]!.shape } });
    expect(r4.prob.layout.shapes).toEqual([4, 10]);
    expect(r4.prob.toTypedArray()).toEqual(ref(b4.outputs[0]!.lite_npy));
    const r1 = await net.predict<'prob'>({ data: in1 });
    expect(r1.prob.layout.shapes).toEqual([1, 10]);
    expect(r1.prob.toTypedArray()).toEqual(ref(b1.outputs[0]!.lite_npy));
    // A LiteTensor feed carries its own shape too.
    const t4 = new LiteTensor(new LiteLayout(b4.inputs[0]!.shape, 'float32'));
    t4.setDataByCopy(in4);
    const r4t = await net.predict<'prob'>({ data: t4 });
    expect(r4t.prob.toTypedArray()).toEqual(ref(b4.outputs[0]!.lite_npy));
    const r1n = await net.predict<'prob'>({ data: Array.from(in1) });
    expect(r1n.prob.toTypedArray()).toEqual(ref(b1.outputs[0]!.lite_npy));
  });

  it('{ data, shape } checks the data against that shape', async () => {
    const net = load(dyn);
    await rejectsWith(net.predict({ data: { data: new Float32Array(784), shape: [4, 1, 28, 28] } }), 'LITE_INVALID_ARGUMENT', /\[4, 1, 28, 28\] float32 holds 3136/);
  });

  it('a LiteTensor of another dtype is rejected', async () => {
    const net = load(mlp);
    const t = new LiteTensor(new LiteLayout([1, 64], 'int32'));
    await rejectsWith(net.predict({ data: t }), 'LITE_INVALID_ARGUMENT', /int32, the model's input is float32/);
  });
});

describe('predict: inputs are copied during the call', () => {
  it('reusing the buffer right after predict() returns does not change that request', async () => {
    const net = load(mlp);
    const buf = Float32Array.from(mlpInput);
    const p = net.predict<'logits'>({ data: buf });
    buf.fill(0);
    const { logits } = await p;
    expect(logits.toTypedArray()).toEqual(mlpOut);
  });

  it('queued behind other requests, each request gets the output of its own data', async () => {
    const net = load(mlp);
    const zeros = new Float32Array(64);
    const zerosOut = (await net.predict<'logits'>({ data: zeros })).logits.toTypedArray();
    expect(zerosOut).not.toEqual(mlpOut);
    // One buffer, reused for every request as a server handler might.
    const buf = new Float32Array(64);
    const pending: Promise<{ logits: LiteTensor }>[] = [];
    const expected: Float32Array[] = [];
    for (let i = 0; i < 8; i++) {
      buf.set(i % 2 === 0 ? mlpInput : zeros);
      pending.push(net.predict<'logits'>({ data: buf }));
      expected.push(i % 2 === 0 ? mlpOut : (zerosOut as Float32Array));
    }
    buf.fill(123);
    const results = await Promise.all(pending);
    results.forEach((r, i) => expect(r.logits.toTypedArray(), `request ${i}`).toEqual(expected[i]));
  });
});

describe('predict: LITE_BUSY from the moment it is queued', () => {
  it('forward() in the same tick as predict() throws LITE_BUSY synchronously, and predict still resolves', async () => {
    const net = load(mlp);
    // One mlp run takes microseconds: 50 queued ones keep the network busy while the sync calls
    // below are tried (the executor frees the network as soon as its queue is empty).
    const calls = Array.from({ length: 50 }, () => net.predict<'logits'>({ data: mlpInput }));
    expectCode(() => net.forward(), 'LITE_BUSY');
    expectCode(() => net.getIoTensor('data'), 'LITE_BUSY');
    expectCode(() => net.getAllInputName(), 'LITE_BUSY');
    for (const { logits } of await Promise.all(calls)) expect(logits.toTypedArray()).toEqual(mlpOut);
    // Idle again: sync calls work.
    net.getIoTensor('data').setDataByCopy(mlpInput);
    net.forward();
    net.wait();
    expect(net.getIoTensor('logits').toTypedArray()).toEqual(mlpOut);
  });

  it('IO tensors taken before refuse sync calls while a predict is queued or running, in later ticks too', async () => {
    // A batch-8 ShuffleNet run takes tens of ms, so the call is still running a tick later.
    const shuffle = models.shufflenet!;
    const net = load(shuffle);
    const input = net.getIoTensor('data');
    const image = f32(shuffle.inputs[0]!.npy!);
    const batch = new Float32Array(8 * image.length);
    for (let i = 0; i < 8; i++) batch.set(image, i * image.length);
    const p = net.predict<'prob'>({ data: { data: batch, shape: [8, 3, 224, 224] } });
    expectCode(() => input.setDataByCopy(image), 'LITE_BUSY');
    await new Promise((r) => setImmediate(r));
    expectCode(() => input.toTypedArray(), 'LITE_BUSY');
    expectCode(() => net.forward(), 'LITE_BUSY');
    const { prob } = await p;
    const want = ref(shuffle.outputs[0]!.lite_npy!);
    expect(prob.layout.shapes).toEqual([8, 1000]);
    // Every image of the batch gives the batch-1 reference (max abs diff stated by the fixture:
    // batched kernels may differ in the last bits from batch 1).
    const all = prob.toTypedArray() as Float32Array;
    for (let i = 0; i < 8; i++) {
      const row = all.subarray(i * 1000, (i + 1) * 1000);
      let d = 0;
      for (let k = 0; k < 1000; k++) d = Math.max(d, Math.abs((row[k] as number) - (want[k] as number)));
      expect(d).toBeLessThanOrEqual(1e-5);
    }
    input.setDataByCopy(image);
    expect(input.toTypedArray()).toEqual(image);
  });

  it('forwardAsync() queued: sync calls throw LITE_BUSY until it settles', async () => {
    const net = load(mlp);
    net.getIoTensor('data').setDataByCopy(mlpInput);
    const p = net.forwardAsync();
    expectCode(() => net.wait(), 'LITE_BUSY');
    await p;
    expect(net.getIoTensor('logits').toTypedArray()).toEqual(mlpOut);
  });
});

describe('dispose while calls are pending (the same rule as @lite/mindspore Model.dispose)', () => {
  it('the calls already made finish with their own results; later calls are LITE_DISPOSED', async () => {
    const net = load(mlp);
    const calls = Array.from({ length: 6 }, () => net.predict<'logits'>({ data: mlpInput }));
    const fwd = net.forwardAsync();
    net.dispose();
    for (const out of await Promise.all(calls)) expect(out.logits.toTypedArray()).toEqual(mlpOut);
    await fwd;
    expectCode(() => net.forward(), 'LITE_DISPOSED');
    await expect(net.predict({ data: mlpInput })).rejects.toMatchObject({ code: 'LITE_DISPOSED' });
    net.dispose();
  });

  it('a sync forward() not yet waited for: dispose waits for it (as wait() would), then releases', () => {
    const net = load(mlp);
    net.getIoTensor('data').setDataByCopy(mlpInput);
    const out = net.getIoTensor('logits');
    net.forward();
    net.dispose();
    expectCode(() => net.wait(), 'LITE_DISPOSED');
    // The tensor taken before keeps the engine's network alive, with the run's outputs.
    expect(out.toTypedArray()).toEqual(mlpOut);
  });
});
