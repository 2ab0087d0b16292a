// ModelParallelRunner: N concurrent requests give the same results as sequential ones (and as Python).
import { describe, expect, it } from 'vitest';
import { Context, LiteError, Model, ModelParallelRunner, ModelType } from '../src/index.js';
import { codeOf, codeOfAsync, expectReference, lenet, path, runFor, runInputs } from './helpers.js';

function runnerContext(workers: number): Context {
  const c = new Context();
  c.cpu.threadNum = 1;
  c.parallel.workersNum = workers;
  return c;
}

describe('ModelParallelRunner', () => {
  it('N concurrent predicts = sequential Model predicts = the Python references', async () => {
    const runner = new ModelParallelRunner();
    runner.buildFromFile(path(lenet.file), runnerContext(2));
    expect(runner.getInputs().map((t) => [t.name, t.shape])).toEqual([['x', [-1, 1, 28, 28]]]);
    expect(runner.getOutputs().map((t) => t.name)).toEqual(['logits', 'probs']);

    const batches = [1, 4, 2, 2, 4, 1, 4, 1, 2, 4, 1, 2];
    const concurrent = await Promise.all(batches.map((b) => runner.predict(runInputs(runFor(lenet, b)))));

    const model = new Model();
    const c = new Context();
    c.cpu.threadNum = 1;
    model.buildFromFile(path(lenet.file), ModelType.MINDIR, c);
    batches.forEach((b, i) => {
      const run = runFor(lenet, b);
      const sequential = model.predict(runInputs(run));
      expectReference(sequential, run);
      expectReference(concurrent[i] ?? [], run);
    });
    runner.dispose();
    model.dispose();
  });

  it('bad input and wrong use → clear errors; the runner keeps serving', async () => {
    expect(codeOf(() => new ModelParallelRunner().buildFromFile(path('nope.mindir')))).toBe('LITE_FILE_NOT_FOUND');
    expect(codeOf(() => new ModelParallelRunner().getInputs())).toBe('LITE_INVALID_ARGUMENT');
    const runner = new ModelParallelRunner();
    runner.buildFromFile(path(lenet.file), runnerContext(2));
    expect(await codeOfAsync(runner.predict([]))).toBe('LITE_INVALID_ARGUMENT');
    const run = runFor(lenet, 1);
    expectReference(await runner.predict(runInputs(run)), run);
    runner.dispose();
    expect(await codeOfAsync(runner.predict(runInputs(run)))).toBe('LITE_DISPOSED');
    expect(() => runner.getInputs()).toThrow(LiteError);
  });
});
