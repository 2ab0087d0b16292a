// The names onnxruntime-node users know, shared with @lite/core (issue 22): Model.create,
// inputNames / outputNames, feeds and outputs by name, an AbortSignal on every async predict.
// Values against the mindspore_lite Python references (tolerance 0, see expectReference).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LiteError, Model, ModelParallelRunner, Tensor } from '../src/index.js';
import { context, expectReference, failure, lenet, npy, path, runFor, twoIo } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** A run's inputs by name, as flat TypedArrays (a dynamic dim comes from the length). */
function feedsOf(run: ReturnType<typeof runFor>): Record<string, Float32Array> {
  return Object.fromEntries(run.inputs.map((i) => [i.name, npy(i.npy)]));
}

describe('Model.create', () => {
  it('builds from a path or bytes off the JS thread; inputNames / outputNames', async () => {
    for (const model of [path(lenet.file), readFileSync(path(lenet.file))]) {
      const m = await Model.create(model, { context: context() });
      expect(m.inputNames).toEqual(m.getInputs().map((t) => t.name));
      expect(m.outputNames).toEqual(m.getOutputs().map((t) => t.name));
      const run = runFor(lenet, 2);
      expectReference(m.predict(run.inputs.map((i) => new Tensor(npy(i.npy), { shape: i.shape }))), run);
      m.dispose();
    }
  });

  it('a missing file rejects with LITE_FILE_NOT_FOUND', async () => {
    const e = await rejection(Model.create(path('missing.mindir')));
    expect(e).toBeInstanceOf(LiteError);
    expect((e as LiteError).code).toBe('LITE_FILE_NOT_FOUND');
  });
});

describe('feeds and outputs by name', () => {
  it('predict and predictAsync take a record by input name and return one by output name', async () => {
    const m = await Model.create(path(twoIo.file), { context: context() });
    const run = runFor(twoIo, 2);
    const sync = m.predict(feedsOf(run));
    expect(Object.keys(sync)).toEqual(m.outputNames);
    expectReference(m.outputNames.map((n) => sync[n] as Tensor), run);
    const async = await m.predictAsync(feedsOf(run));
    expectReference(m.outputNames.map((n) => async[n] as Tensor), run);
    m.dispose();
  });

  it('a flat TypedArray fixes the dynamic batch from its length; a Tensor is taken as it is', async () => {
    const m = await Model.create(path(lenet.file), { context: context() });
    for (const batch of [1, 4]) {
      const run = runFor(lenet, batch);
      const [input] = run.inputs;
      const byData = await m.predictAsync({ [input!.name]: npy(input!.npy) });
      const byTensor = m.predict({ [input!.name]: new Tensor(npy(input!.npy), { shape: input!.shape }) });
      expectReference(m.outputNames.map((n) => byData[n] as Tensor), run);
      expectReference(m.outputNames.map((n) => byTensor[n] as Tensor), run);
    }
    m.dispose();
  });

  it('missing and unknown names are both named; nothing runs', async () => {
    const m = await Model.create(path(twoIo.file), { context: context() });
    const e = failure(() => m.predict({ a: new Float32Array(6), c: new Float32Array(6) }));
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('predict: feeds by name must give every input exactly (missing "b"; unknown "c"); the model\'s inputs are "a", "b"');
    m.dispose();
  });
});

describe('{ signal } on async predicts', () => {
  it('Model.predictAsync: aborted before → its reason; aborted while queued → its reason at once; others unaffected', async () => {
    const m = await Model.create(path(lenet.file), { context: context() });
    const run = runFor(lenet, 4);
    expect(await rejection(m.predictAsync(feedsOf(run), { signal: AbortSignal.abort('early') }))).toBe('early');
    const ac = new AbortController();
    const before = Array.from({ length: 8 }, () => m.predictAsync(feedsOf(run)));
    const aborted = m.predictAsync(feedsOf(run), { signal: ac.signal });
    ac.abort('stop');
    expect(await rejection(aborted)).toBe('stop');
    for (const out of await Promise.all(before)) expectReference(m.outputNames.map((n) => out[n] as Tensor), run);
    const e = await rejection(m.predictAsync(feedsOf(run), { signal: 1 as unknown as AbortSignal }));
    expect((e as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    m.dispose();
  });

  it('ModelParallelRunner.predict: the same, with feeds by name', async () => {
    const runner = new ModelParallelRunner();
    await runner.buildFromFileAsync(path(lenet.file), context());
    const run = runFor(lenet, 2);
    expect(await rejection(runner.predict(feedsOf(run), { signal: AbortSignal.abort('early') }))).toBe('early');
    const out = await runner.predict(feedsOf(run));
    expectReference(Object.values(out), run);
    runner.dispose();
  });
});
