// Every fixture through @lite/mindspore equals mindspore_lite Python's output bit for bit.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model, ModelType } from '../src/index.js';
import { context, expectReference, lenet, manifest, path, runFor, runInputs, twoIo } from './helpers.js';

describe('fixtures', () => {
  it('match the sha256 recorded by tools/models/make_mindspore_fixtures.py', () => {
    for (const [file, sha] of Object.entries(manifest.sha256)) {
      expect(createHash('sha256').update(readFileSync(path(file))).digest('hex'), file).toBe(sha);
    }
  });
});

describe('lenet (dynamic batch) equals mindspore_lite Python', () => {
  // Batch order goes up and down so every predict after the first resizes the model.
  const order = [1, 4, 2, 1, 4];

  it('sync predict, resized by the inputs\' shapes', () => {
    const model = new Model();
    model.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
    expect(model.getInputs()[0]?.shape).toEqual([-1, 1, 28, 28]);
    for (const batch of order) {
      const run = runFor(lenet, batch);
      expectReference(model.predict(runInputs(run)), run);
      expect(model.getInputs()[0]?.shape).toEqual([batch, 1, 28, 28]);
    }
    model.dispose();
  });

  it('async predict (built async from bytes), resized by the inputs\' shapes', async () => {
    const model = new Model();
    await model.buildFromBufferAsync(readFileSync(path(lenet.file)), ModelType.MINDIR, context());
    for (const batch of order) {
      const run = runFor(lenet, batch);
      expectReference(await model.predictAsync(runInputs(run)), run);
    }
    model.dispose();
  });

  it('explicit resize, then the model\'s own input tensors (Python style)', () => {
    const model = new Model();
    model.buildFromBuffer(readFileSync(path(lenet.file)), ModelType.MINDIR, context());
    for (const batch of [2, 4, 1]) {
      const run = runFor(lenet, batch);
      const inputs = model.getInputs();
      model.resize(inputs, [[batch, 1, 28, 28]]);
      expect(inputs[0]?.shape).toEqual([batch, 1, 28, 28]);
      expect(model.getInputs()[0]?.shape).toEqual([batch, 1, 28, 28]);
      inputs[0]?.setData(runInputs(run)[0]?.getData() as Float32Array);
      expectReference(model.predict(inputs), run);
      // getOutputs holds the same last results.
      expectReference(model.getOutputs(), run);
    }
    model.dispose();
  });
});

describe('two_io (two inputs, two outputs, by name)', () => {
  it('sync and async equal the references; tensors are found by name', async () => {
    const run = runFor(twoIo, 2);
    const model = new Model();
    await model.buildFromFileAsync(path(twoIo.file), ModelType.MINDIR, context());
    expect(model.getInputs().map((t) => t.name)).toEqual(['a', 'b']);
    const a = model.getInputByTensorName('a');
    const b = model.getInputByTensorName('b');
    expect(a.shape).toEqual([2, 3]);
    const [ra, rb] = runInputs(run);
    a.setData(ra?.getData() as Float32Array);
    b.setData(rb?.getData() as Float32Array);
    expectReference(model.predict([a, b]), run);
    expectReference(await model.predictAsync([a, b]), run);
    expect(model.getOutputByTensorName('prod').getData()).toEqual(
      (ra?.getData() as Float32Array).map((v, i) => v * ((rb?.getData() as Float32Array)[i] as number)),
    );
    model.dispose();
  });
});
