// Dynamic batching of a ModelParallelRunner: concurrent requests stacked along dim 0 and run as
// one engine call. Each caller gets exactly its own rows; abort, dispose and bad feeds keep
// predict's guarantees.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Context, LiteError, Model, ModelParallelRunner, ModelType, Tensor } from '../src/index.js';
import { expectReference, lenet, path, runFor, runInputs } from './helpers.js';

const LENET = path(lenet.file);
const DEMO_MODELS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'apps', 'demo', 'models');
const open: { dispose(): void }[] = [];

afterEach(() => {
  for (const o of open.splice(0)) o.dispose();
});

function context(workers: number): Context {
  const c = new Context();
  c.cpu.threadNum = 1;
  c.parallel.workersNum = workers;
  return c;
}

async function batchingRunner(workers: number, maxBatch: number, maxDelayMs: number): Promise<ModelParallelRunner> {
  const r = await ModelParallelRunner.create(LENET, { context: context(workers), batching: { maxBatch, maxDelayMs } });
  open.push(r);
  return r;
}

function plainModel(): Model {
  const m = new Model();
  const c = new Context();
  c.cpu.threadNum = 1;
  m.buildFromFile(LENET, ModelType.MINDIR, c);
  open.push(m);
  return m;
}

/** Deterministic pseudo-random images (xorshift), `rows` of 1x28x28. */
function images(rows: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return new Float32Array(rows * 784).map(() => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 0x1_0000_0000) * 2 - 1;
  });
}

const input = (x: Float32Array, rows: number): Tensor[] => [new Tensor(x, { shape: [rows, 1, 28, 28] })];

function bytes(t: Tensor): Buffer {
  const d = t.getData();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/** `got` equals `want` bit for bit: names, shapes and every byte. */
function expectSame(got: Tensor[], want: Tensor[]): void {
  expect(got.map((t) => [t.name, t.shape])).toEqual(want.map((t) => [t.name, t.shape]));
  got.forEach((t, i) => expect(bytes(t).equals(bytes(want[i] as Tensor)), `output ${t.name} differs`).toBe(true));
}

function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ModelParallelRunner batching', () => {
  it('64 concurrent requests of 1..4 rows: each result equals the same request run alone, bit for bit, in fewer engine calls', async () => {
    // Measured: max abs difference 0 over 1,200 random requests (1 or 2 threads per worker,
    // batches up to 1,024 rows): LeNet's CPU kernels compute each row the same way whatever the
    // batch size, so the claim is byte equality.
    const runner = await batchingRunner(2, 64, 5);
    const model = plainModel();
    const requests = Array.from({ length: 64 }, (_, i) => ({ rows: 1 + (i % 4), x: images(1 + (i % 4), i + 1) }));
    const batched = await Promise.all(requests.map((q) => runner.predict(input(q.x, q.rows))));
    requests.forEach((q, i) => expectSame(batched[i] ?? [], model.predict(input(q.x, q.rows))));
    const stats = runner.batchStats;
    expect(stats?.requests).toBe(64);
    // Unbatched, every request is its own engine call (64); batching stacked them.
    expect(stats?.runs).toBeGreaterThanOrEqual(3); // 160 rows, at most 64 per call
    expect(stats?.runs).toBeLessThan(32);
    // The fixtures' own references still hold through a batch (Python's outputs, bit for bit).
    const refs = await Promise.all([1, 2, 4].map((b) => runner.predict(runInputs(runFor(lenet, b)))));
    [1, 2, 4].forEach((b, i) => expectReference(refs[i] ?? [], runFor(lenet, b)));
  });

  it('a runner without batching reports no stats and runs requests one by one', async () => {
    const runner = await ModelParallelRunner.create(LENET, { context: context(2) });
    open.push(runner);
    expect(runner.batchStats).toBeNull();
    const x = images(2, 7);
    expectSame(await runner.predict(input(x, 2)), plainModel().predict(input(x, 2)));
  });

  it('mixed shapes under concurrency: joinable rows stack, a request over maxBatch runs alone, a bad feed rejects alone', async () => {
    const runner = await batchingRunner(2, 16, 2);
    const model = plainModel();
    const rows = [1, 3, 40, 2, 4, 1, 17, 2, 3, 1, 4, 16, 2, 1];
    const good = rows.map((n, i) => ({ rows: n, x: images(n, 100 + i) }));
    const calls = good.map((q) => runner.predict(input(q.x, q.rows)));
    // Other dims than the batch, or bytes that do not match the shape: refused at the call.
    const wrongDims = rejectionOf(runner.predict([new Tensor(new Float32Array(27 * 28), { shape: [1, 1, 27, 28] })]));
    const results = await Promise.all(calls);
    const bad = await wrongDims;
    expect(bad).toBeInstanceOf(LiteError);
    expect((bad as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    good.forEach((q, i) => expectSame(results[i] ?? [], model.predict(input(q.x, q.rows))));
    const stats = runner.batchStats;
    expect(stats?.requests).toBe(rows.length);
    // 40 and 17 rows exceed maxBatch (16) and 16 fills one: those three run alone; the other
    // 11 requests (24 rows) need at least 2 calls. Stacking leaves fewer calls than requests.
    expect(stats?.runs).toBeGreaterThanOrEqual(5);
    expect(stats?.runs).toBeLessThan(rows.length);
  });

  it('abort of a queued request: it rejects at once with the reason and leaves the queue (never runs)', async () => {
    const runner = await batchingRunner(1, 4, 0);
    const model = plainModel();
    // 256 rows exceed maxBatch (4): the blocker runs alone and keeps the only lane busy while
    // three 1-row requests queue behind it; one of them is aborted before the lane is free.
    const blocker = runner.predict(input(images(256, 1), 256));
    const xs = [2, 3, 4].map((s) => images(1, s));
    const ac = new AbortController();
    const kept1 = runner.predict(input(xs[0] as Float32Array, 1));
    const aborted = runner.predict(input(xs[1] as Float32Array, 1), { signal: ac.signal });
    const kept2 = runner.predict(input(xs[2] as Float32Array, 1));
    const reason = new Error('stop');
    ac.abort(reason);
    expect(await rejectionOf(aborted)).toBe(reason);
    expect((await blocker)[0]?.shape).toEqual([256, 10]);
    expectSame(await kept1, model.predict(input(xs[0] as Float32Array, 1)));
    expectSame(await kept2, model.predict(input(xs[2] as Float32Array, 1)));
    // Blocker alone, then the two kept requests in one call: the aborted one was never run.
    expect(runner.batchStats).toEqual({ runs: 2, requests: 3 });
  });

  it('abort inside a batch: the request rejects at once, its rows are discarded, the others get theirs', async () => {
    const runner = await batchingRunner(1, 64, 1000);
    const model = plainModel();
    const ac = new AbortController();
    const reason = new Error('gone');
    const xa = images(2, 11);
    const a = runner.predict(input(xa, 2), { signal: ac.signal });
    await sleep(50); // the lane has taken it and waits (up to 1 s) for others to join
    const xb = images(3, 12);
    const b = runner.predict(input(xb, 3));
    const t0 = performance.now();
    ac.abort(reason);
    expect(await rejectionOf(a)).toBe(reason);
    expect(performance.now() - t0).toBeLessThan(200); // at once, not when the batch runs
    expectSame(await b, model.predict(input(xb, 3)));
    expect(runner.batchStats).toEqual({ runs: 1, requests: 2 });
  });

  it('dispose with a batch collected and a request queued: the batch runs and resolves, the queued one rejects LITE_DISPOSED', async () => {
    const runner = new ModelParallelRunner();
    open.push(runner);
    runner.buildFromFile(LENET, context(1), { batching: { maxBatch: 1024, maxDelayMs: 1000 } });
    const model = plainModel();
    const xs = [256, 256, 512, 256].map((n, i) => ({ rows: n, x: images(n, 20 + i) }));
    const [qa, qb, qc, qd] = xs as [(typeof xs)[0], (typeof xs)[0], (typeof xs)[0], (typeof xs)[0]];
    const a = runner.predict(input(qa.x, qa.rows));
    const b = runner.predict(input(qb.x, qb.rows));
    await sleep(50); // the lane holds a + b (512 of 1024 rows) and waits for more
    const d = runner.predict(input(qd.x, qd.rows)); // joins the batch
    await sleep(30); // the lane has swept d into its batch and waits on
    // 512 rows cannot join: c stays queued (the only lane stops waiting and runs a + b + d, 768
    // rows, for tens of milliseconds, so c is still queued when dispose runs in the same tick).
    const c = rejectionOf(runner.predict(input(qc.x, qc.rows)));
    runner.dispose();
    const [ra, rb, rd] = await Promise.all([a, b, d]);
    expectSame(ra, model.predict(input(qa.x, qa.rows)));
    expectSame(rb, model.predict(input(qb.x, qb.rows)));
    expectSame(rd, model.predict(input(qd.x, qd.rows)));
    const e = await c;
    expect(e).toBeInstanceOf(LiteError);
    expect((e as LiteError).code).toBe('LITE_DISPOSED');
    expect((await rejectionOf(runner.predict(input(qa.x, qa.rows))) as LiteError).code).toBe('LITE_DISPOSED');
  });

  it('inputs are copied at the call: changing them while the request waits in a batch changes nothing', async () => {
    const runner = await batchingRunner(1, 64, 100);
    const x = images(3, 30);
    const want = plainModel().predict(input(x, 3));
    const p = runner.predict(input(x, 3));
    x.fill(0);
    expectSame(await p, want);
  });

  it('options are checked: one-line LITE_INVALID_ARGUMENT errors', async () => {
    const bad: unknown[] = [
      null,
      [],
      4,
      {},
      { maxBatch: 8 },
      { maxDelayMs: 1 },
      { maxBatch: 0, maxDelayMs: 1 },
      { maxBatch: 1.5, maxDelayMs: 1 },
      { maxBatch: '8', maxDelayMs: 1 },
      { maxBatch: 65537, maxDelayMs: 1 },
      { maxBatch: 8, maxDelayMs: -1 },
      { maxBatch: 8, maxDelayMs: Number.NaN },
      { maxBatch: 8, maxDelayMs: Number.POSITIVE_INFINITY },
      { maxBatch: 8, maxDelayMs: 60001 },
      { maxBatch: 8, maxDelayMs: 1, maxBatchSize: 4 },
    ];
    for (const batching of bad) {
      let thrown: unknown;
      try {
        new ModelParallelRunner().buildFromFile(LENET, context(1), { batching } as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, JSON.stringify(batching)).toBeInstanceOf(LiteError);
      expect((thrown as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
      expect((thrown as LiteError).message).toMatch(/^buildFromFile: batching/);
      expect((thrown as LiteError).message).not.toMatch(/[\r\n]/);
      const e = await rejectionOf(ModelParallelRunner.create(LENET, { batching } as never));
      expect((e as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    }
    expect((await rejectionOf(ModelParallelRunner.create(LENET, null as never)) as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    // maxBatch 1 and maxDelayMs 0 are valid (batching that never stacks).
    const one = await batchingRunner(1, 1, 0);
    await Promise.all([1, 2, 3].map((s) => one.predict(input(images(1, s), 1))));
    expect(one.batchStats).toEqual({ runs: 3, requests: 3 });
  });

  it('a model without a dynamic batch dim is refused with LITE_UNSUPPORTED; the runner can build another', async () => {
    for (const file of ['two_io.mindir', 'shufflenet.mindir']) {
      const e = await rejectionOf(ModelParallelRunner.create(path(file), { batching: { maxBatch: 8, maxDelayMs: 1 } }));
      expect(e, file).toBeInstanceOf(LiteError);
      expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
      expect((e as LiteError).message).toMatch(/^batching needs a model whose inputs have a dynamic batch dim .*: input \w+ is \[/);
      expect((e as LiteError).message).not.toMatch(/[\r\n]/);
    }
    const runner = new ModelParallelRunner();
    open.push(runner);
    const sync = (() => {
      try {
        runner.buildFromFile(path('two_io.mindir'), context(1), { batching: { maxBatch: 8, maxDelayMs: 1 } });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect((sync as LiteError).code).toBe('LITE_UNSUPPORTED');
    runner.buildFromFile(LENET, context(1), { batching: { maxBatch: 8, maxDelayMs: 1 } });
    const x = images(1, 5);
    expectSame(await runner.predict(input(x, 1)), plainModel().predict(input(x, 1)));
  });

  it("the demo's digit network: the batch-dynamic export batches bit-exactly, the fixed-batch one is refused", async () => {
    const digits = readFileSync(join(DEMO_MODELS, 'heldout_images.u8'));
    const sample = (i: number, rows: number): Float32Array => Float32Array.from(digits.subarray(i * 784, (i + rows) * 784), (v) => v / 255);
    const runner = await ModelParallelRunner.create(join(DEMO_MODELS, 'mnist_dynamic.mindir'), { context: context(2), batching: { maxBatch: 16, maxDelayMs: 2 } });
    open.push(runner);
    const model = new Model();
    const c = new Context();
    c.cpu.threadNum = 1;
    model.buildFromFile(join(DEMO_MODELS, 'mnist_dynamic.mindir'), ModelType.MINDIR, c);
    open.push(model);
    const requests = Array.from({ length: 40 }, (_, i) => ({ rows: 1 + (i % 3), x: sample(i * 3, 1 + (i % 3)) }));
    const got = await Promise.all(requests.map((q) => runner.predict(input(q.x, q.rows))));
    requests.forEach((q, i) => expectSame(got[i] ?? [], model.predict(input(q.x, q.rows))));
    expect(runner.batchStats?.requests).toBe(40);
    expect(runner.batchStats?.runs).toBeLessThan(40);
    const e = await rejectionOf(ModelParallelRunner.create(join(DEMO_MODELS, 'mnist.mindir'), { batching: { maxBatch: 16, maxDelayMs: 1 } }));
    expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
    expect((e as LiteError).message).toMatch(/: input data is \[1, 1, 28, 28\]$/);
  });
});
