// worker_threads: the binding and the runtime (loaded once per process) serve models built in
// workers and on the main thread at the same time, each with its own results.
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { Model, ModelType } from '../src/index.js';
import { context, expectReference, lenet, path, runFor, runInputs } from './helpers.js';

const dist = new URL('../dist/index.js', import.meta.url).href;

it('two workers and the main thread predict concurrently, each equal to the references', async () => {
  const code = `
    import { parentPort, workerData } from 'node:worker_threads';
    import { readFileSync } from 'node:fs';
    const { Context, Model, ModelType, Tensor } = await import(workerData.dist);
    const c = new Context(); c.cpu.threadNum = 1;
    const m = new Model();
    await m.buildFromFileAsync(workerData.model, ModelType.MINDIR, c);
    const b = readFileSync(workerData.input);
    const x = new Float32Array(b.buffer.slice(b.byteOffset + 10 + b.readUInt16LE(8), b.byteOffset + b.byteLength));
    const outs = [];
    for (let i = 0; i < 20; i++) outs.push((await m.predictAsync([new Tensor(x, { shape: [workerData.batch, 1, 28, 28] })]))[0].getData());
    m.dispose();
    parentPort.postMessage(outs.map((o) => Buffer.from(o.buffer).toString('hex')));
  `;
  const inWorker = (batch: number) =>
    new Promise<string[]>((resolve, reject) => {
      const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
        workerData: { dist, model: path(lenet.file), input: path(`lenet_input_b${batch}.npy`), batch },
      });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const workers = [inWorker(4), inWorker(2)];
  const m = new Model();
  m.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
  for (let i = 0; i < 20; i++) expectReference(await m.predictAsync(runInputs(runFor(lenet, 1))), runFor(lenet, 1));
  const [four, two] = await Promise.all(workers);
  const want = (batch: number) => {
    const ref = new Model();
    ref.buildFromFile(path(lenet.file), ModelType.MINDIR, context());
    const out = ref.predict(runInputs(runFor(lenet, batch)))[0]?.getData() as Float32Array;
    expectReference(ref.getOutputs(), runFor(lenet, batch));
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('hex');
  };
  expect(new Set(four)).toEqual(new Set([want(4)]));
  expect(new Set(two)).toEqual(new Set([want(2)]));
  expect(four).toHaveLength(20);
});
