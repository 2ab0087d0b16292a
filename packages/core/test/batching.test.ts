// LiteNetworkPool dynamic batching: concurrent requests stacked along dim 0 and run as one
// forward, each caller getting exactly its rows. Every result is compared with the same request
// run alone on an unbatched network, and the pool's counters prove that batches ran (so these
// tests fail with batching off).
//
// Tolerance: not bit-exact. The engine picks its conv/matmul kernels by batch size (measured on
// this machine with one image repeated n times: batch 1 vs batch 2..16 differ by up to 1e-7 on
// dynamic_batch.mge and 1e-10 on mnist.mge, with the same rows), so a row's sums are accumulated
// in another order inside a batch. The outputs are softmax probabilities in [0, 1]; the largest
// difference seen is 2.4e-7 (2 ulp at 1.0). TOLERANCE = 1e-6 (8 ulp at 1.0) leaves a 4x margin and
// is still far below any difference that could change a result. Outputs that are not bounded by
// 1 (mlp.mge's logits) get the same tolerance relative to their largest magnitude (float32 error
// scales with the values: 1.3e-6 was seen on logits of a few units). Element-wise models
// (dtypes.mge) have no accumulation and are asserted bit for bit.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture, liteReference, maxAbsDiff, readNpy } from '@lite/testing';
import { LiteError, LiteNetwork, LiteNetworkPool, type LiteTensor } from '../src/index.js';
import { poolInternals } from '../src/internal.js';

const TOLERANCE = 1e-6;
const MNIST = join(FIXTURES, '../apps/demo/models/mnist.mge');
const DYNAMIC = fixture('dynamic_batch.mge');
const images = readFileSync(join(FIXTURES, '../apps/demo/models/heldout_images.u8'));
const b1 = readNpy(fixture('dynamic_batch_input_b1.npy')).data as Float32Array;
const b4 = readNpy(fixture('dynamic_batch_input_b4.npy')).data as Float32Array;
const b1Out = readNpy(liteReference('dynamic_batch_lite_output_b1.npy')).data as Float32Array;
const b4Out = readNpy(liteReference('dynamic_batch_lite_output_b4.npy')).data as Float32Array;
const mlp = fixture('mlp.mge');
const mlpInput = readNpy(fixture('mlp_input.npy')).data as Float32Array;

/** Max abs difference relative to the larger of 1 and the expected values' largest magnitude. */
function scaledDiff(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  return maxAbsDiff(got, expected) / scale;
}

type Shaped = { data: Float32Array; shape: number[] };

/** `rows` held-out MNIST digits starting at digit `first`, as pixel/255. */
function digits(first: number, rows: number): Shaped {
  const px = images.subarray(first * 784, (first + rows) * 784);
  return { data: Float32Array.from(px, (v) => v / 255), shape: [rows, 1, 28, 28] };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** The same requests run one at a time on an unbatched network. */
async function alone(model: string, feeds: readonly Record<string, unknown>[], out: string): Promise<Float32Array[]> {
  const net = new LiteNetwork();
  net.load(model);
  const results: Float32Array[] = [];
  for (const f of feeds) {
    const r = await net.predict(f as Record<string, Shaped>);
    results.push((r[out] as LiteTensor).toFloat32Array());
  }
  net.dispose();
  return results;
}

/** Blocks the JS thread (the pool's queue runs in native code) until `ready()` or 5 s. */
function spinUntil(ready: () => boolean): void {
  const until = Date.now() + 5000;
  while (!ready() && Date.now() < until) {
    // busy wait: nothing on the JS thread can help the native queue
  }
  expect(ready()).toBe(true);
}

describe('LiteNetworkPool batching', () => {
  for (const [label, model] of [
    ['mnist.mge (the digit model)', MNIST],
    ['dynamic_batch.mge', DYNAMIC],
  ] as const) {
    it(`${label}: 64 requests in flight (1..4 rows each) each get exactly their rows, equal to the request run alone`, async () => {
      await using pool = await LiteNetworkPool.create(model, { size: 2, batching: { maxBatch: 16, maxDelayMs: 5 } });
      const feeds = Array.from({ length: 64 }, (_, i) => ({ data: digits(i * 4, 1 + (i % 4)) }));
      if (model === DYNAMIC) feeds[5] = { data: { data: b4, shape: [4, 1, 28, 28] } };
      const results = await Promise.all(feeds.map((f) => pool.predict<'prob'>(f)));
      const stats = poolInternals.stats(pool);
      // Batching happened: fewer forwards than requests, most requests inside a batch.
      expect(stats.batches).toBeGreaterThan(0);
      expect(stats.runs).toBeLessThan(64);
      expect(stats.batchedRequests).toBeGreaterThan(32);
      const expected = await alone(model, feeds, 'prob');
      let worst = 0;
      results.forEach(({ prob }, i) => {
        expect(prob.layout.shapes, `request ${i}`).toEqual([feeds[i]!.data.shape[0], 10]);
        const got = prob.toFloat32Array();
        const d = maxAbsDiff(got, expected[i]!);
        worst = Math.max(worst, d);
        expect(d, `request ${i}`).toBeLessThanOrEqual(TOLERANCE);
      });
      if (model === DYNAMIC) expect(maxAbsDiff(results[5]!.prob.toFloat32Array(), b4Out)).toBeLessThanOrEqual(TOLERANCE);
      // The differences are real but tiny (see the tolerance at the top); a wrong row would be ~0.1..1.
      expect(worst).toBeLessThan(TOLERANCE);
    });
  }

  it('an unbatched pool runs one forward per request (the counters the tests above rely on)', async () => {
    await using pool = await LiteNetworkPool.create(DYNAMIC, { size: 2 });
    await Promise.all(Array.from({ length: 16 }, (_, i) => pool.predict({ data: digits(i, 1) })));
    expect(poolInternals.stats(pool)).toEqual({ runs: 16, batches: 0, batchedRequests: 0 });
  });

  it('a batch short of maxBatch rows waits for more until maxDelayMs; the fixture rows come back in place', async () => {
    // maxDelayMs is long: the batch runs only when its 8 rows are there (no timing involved).
    await using pool = await LiteNetworkPool.create(DYNAMIC, { size: 1, batching: { maxBatch: 8, maxDelayMs: 60_000 } });
    const first = pool.predict<'prob'>({ data: { data: b4, shape: [4, 1, 28, 28] } });
    const second = pool.predict<'prob'>({ data: b1 });
    const third = pool.predict<'prob'>({ data: { data: b4.subarray(784), shape: [3, 1, 28, 28] } });
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(poolInternals.stats(pool)).toEqual({ runs: 1, batches: 1, batchedRequests: 3 });
    expect(maxAbsDiff(r1.prob.toFloat32Array(), b4Out)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(r2.prob.toFloat32Array(), b1Out)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(r3.prob.toFloat32Array(), b4Out.subarray(10))).toBeLessThanOrEqual(TOLERANCE);
    expect(r3.prob.layout.shapes).toEqual([3, 10]);
  });

  it('inputs are copied at call time: reusing the caller buffer after predict changes nothing', async () => {
    await using pool = await LiteNetworkPool.create(DYNAMIC, { size: 1, batching: { maxBatch: 2, maxDelayMs: 60_000 } });
    const buf = Float32Array.from(b1);
    const p1 = pool.predict<'prob'>({ data: buf });
    buf.fill(0.5);
    const p2 = pool.predict<'prob'>({ data: buf });
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(maxAbsDiff(r1.prob.toFloat32Array(), b1Out)).toBeLessThanOrEqual(TOLERANCE);
    const [half] = await alone(DYNAMIC, [{ data: new Float32Array(784).fill(0.5) }], 'prob');
    expect(maxAbsDiff(r2.prob.toFloat32Array(), half!)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(half!, b1Out)).toBeGreaterThan(1e-3);
  });

  it('a bad feed rejects alone, before the queue: the good requests around it batch together', async () => {
    // Two rows make the batch: had the bad request been queued, it would have taken a place.
    await using pool = await LiteNetworkPool.create(DYNAMIC, { size: 1, batching: { maxBatch: 2, maxDelayMs: 60_000 } });
    const good1 = pool.predict<'prob'>({ data: b1 });
    const bad = pool.predict({ data: new Float64Array(784) });
    const good2 = pool.predict<'prob'>({ data: b1 });
    expect(await rejection(bad)).toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    const [r1, r2] = await Promise.all([good1, good2]);
    expect(poolInternals.stats(pool)).toEqual({ runs: 1, batches: 1, batchedRequests: 2 });
    for (const r of [r1, r2]) expect(maxAbsDiff(r.prob.toFloat32Array(), b1Out)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('an aborted queued request leaves the queue and adds no rows to the batch', async () => {
    // 8 rows run only when 8 one-row requests are queued: had the aborted one stayed, the batch
    // would hold it and the eighth request behind would wait.
    await using pool = await LiteNetworkPool.create(DYNAMIC, { size: 1, batching: { maxBatch: 8, maxDelayMs: 60_000 } });
    const ac = new AbortController();
    const early = [pool.predict<'prob'>({ data: digits(0, 1) }), pool.predict<'prob'>({ data: digits(1, 1) })];
    const aborted = pool.predict({ data: digits(2, 1) }, { signal: ac.signal });
    const reason = new Error('client went away');
    ac.abort(reason);
    expect(await rejection(aborted)).toBe(reason);
    expect(pool.pending).toBe(2);
    const late = Array.from({ length: 6 }, (_, i) => pool.predict<'prob'>({ data: digits(3 + i, 1) }));
    const results = await Promise.all([...early, ...late]);
    expect(poolInternals.stats(pool)).toEqual({ runs: 1, batches: 1, batchedRequests: 8 });
    const expected = await alone(DYNAMIC, [0, 1, 3, 4, 5, 6, 7, 8].map((k) => ({ data: digits(k, 1) })), 'prob');
    results.forEach((r, i) => expect(maxAbsDiff(r.prob.toFloat32Array(), expected[i]!), `request ${i}`).toBeLessThanOrEqual(TOLERANCE));
    expect(pool.pending).toBe(0);
  });

  it('a request aborted inside a running batch rejects at once; the others get their rows', async () => {
    await using pool = await LiteNetworkPool.create(MNIST, { size: 1, batching: { maxBatch: 4, maxDelayMs: 60_000 } });
    const ac = new AbortController();
    const feeds = [0, 1, 2, 3].map((k) => digits(k * 100, 1));
    const all = feeds.map((data, i) => pool.predict<'prob'>({ data }, i === 2 ? { signal: ac.signal } : {}));
    // The network took the batch (the JS thread is blocked meanwhile, so nothing has settled).
    spinUntil(() => poolInternals.stats(pool).batches === 1);
    const reason = new Error('deadline');
    ac.abort(reason);
    expect(await rejection(all[2]!)).toBe(reason);
    const expected = await alone(MNIST, feeds.map((data) => ({ data })), 'prob');
    for (const i of [0, 1, 3]) {
      const { prob } = await all[i]!;
      expect(maxAbsDiff(prob.toFloat32Array(), expected[i]!), `request ${i}`).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(poolInternals.stats(pool)).toEqual({ runs: 1, batches: 1, batchedRequests: 4 });
    expect(pool.pending).toBe(0);
  });

  it('dispose rejects queued requests with LITE_DISPOSED and lets the running batch finish', async () => {
    const pool = await LiteNetworkPool.create(MNIST, { size: 1, batching: { maxBatch: 4, maxDelayMs: 60_000 } });
    const feeds = [0, 1, 2, 3].map((k) => digits(k, 1));
    const running = feeds.map((data) => pool.predict<'prob'>({ data }));
    spinUntil(() => poolInternals.stats(pool).batches === 1);
    // Short of rows, with a minute to wait: these stay queued until dispose.
    const queued = [pool.predict({ data: digits(10, 1) }), pool.predict({ data: digits(11, 2) })];
    const disposed = pool.dispose();
    for (const q of queued) expect(await rejection(q)).toMatchObject({ code: 'LITE_DISPOSED' });
    const expected = await alone(MNIST, feeds.map((data) => ({ data })), 'prob');
    const results = await Promise.all(running);
    results.forEach((r, i) => expect(maxAbsDiff(r.prob.toFloat32Array(), expected[i]!)).toBeLessThanOrEqual(TOLERANCE));
    await disposed;
    expect(poolInternals.stats(pool)).toEqual({ runs: 1, batches: 1, batchedRequests: 4 });
    expect(await rejection(pool.predict({ data: digits(0, 1) }))).toMatchObject({ code: 'LITE_DISPOSED' });
  });

  it('mixed shapes under concurrency: requests batch only with their own shape, odd ones run alone, all bit-exact', async () => {
    // dtypes.mge is element-wise (u8, i8, i16, f16 -> f32): any shape runs, and without sums the
    // batched outputs must equal the lone runs bit for bit.
    const model = fixture('dtypes.mge');
    await using pool = await LiteNetworkPool.create(model, { size: 2, batching: { maxBatch: 6, maxDelayMs: 2 } });
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const shapes = [
      [1, 3, 4],
      [2, 3, 4],
      [1, 5, 2],
      [3, 5, 2],
      [9, 3, 4], // more rows than maxBatch: alone
      [2, 7, 1],
    ];
    const feeds = Array.from({ length: 48 }, (_, i) => {
      const shape = shapes[i % shapes.length]!;
      const n = shape.reduce((a, b) => a * b, 1);
      return {
        u8: { data: Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256)), shape },
        i8: { data: Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128), shape },
        i16: { data: Int16Array.from({ length: n }, () => Math.floor(rnd() * 65536) - 32768), shape },
        f16: { data: Uint16Array.from({ length: n }, () => Math.floor(rnd() * 0x3c00)), shape },
      };
    });
    const results = await Promise.all(feeds.map((f) => pool.predict<'out'>(f)));
    const stats = poolInternals.stats(pool);
    expect(stats.batches).toBeGreaterThan(0);
    expect(stats.runs).toBeLessThan(48);
    const expected = await alone(model, feeds, 'out');
    results.forEach((r, i) => {
      expect(r.out.layout.shapes, `request ${i}`).toEqual(feeds[i]!.u8.shape);
      expect(Buffer.from(r.out.toFloat32Array().buffer).equals(Buffer.from(expected[i]!.buffer)), `request ${i}`).toBe(true);
    });
  });

  it('an odd-shaped request is not starved: it runs before the same-shaped requests queued after it', async () => {
    await using pool = await LiteNetworkPool.create(fixture('dtypes.mge'), { size: 1, batching: { maxBatch: 4, maxDelayMs: 0 } });
    const feed = (shape: number[]): Record<string, { data: Uint8Array; shape: number[] }> => {
      const n = shape.reduce((a, b) => a * b, 1);
      return { u8: { data: new Uint8Array(n), shape }, i8: { data: new Uint8Array(n), shape }, i16: { data: new Uint8Array(2 * n), shape }, f16: { data: new Uint8Array(2 * n), shape } };
    };
    const order: string[] = [];
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) all.push(pool.predict(feed([1, 3, 4])).then(() => order.push(`n${i}`)));
    all.push(pool.predict(feed([1, 5, 5])).then(() => order.push('odd')));
    for (let i = 8; i < 24; i++) all.push(pool.predict(feed([1, 3, 4])).then(() => order.push(`n${i}`)));
    await Promise.all(all);
    expect(order.length).toBe(25);
    // The odd request becomes the head once the 8 before it are taken, and runs next.
    expect(order.indexOf('odd')).toBeLessThan(order.indexOf('n23'));
    expect(order.indexOf('odd')).toBeLessThanOrEqual(12);
  });

  it('a failing batched forward reruns each request alone: each rejects with its own structured error', async () => {
    // mlp declares [1, 64]; 65 features fail in the engine, batched or not.
    await using pool = await LiteNetworkPool.create(mlp, { size: 1, batching: { maxBatch: 3, maxDelayMs: 60_000 } });
    const bad = [1, 2].map((rows) => pool.predict({ data: { data: new Float32Array(rows * 65), shape: [rows, 65] } }));
    const errors = (await Promise.all(bad.map(rejection))) as LiteError[];
    expect(poolInternals.stats(pool).batches).toBe(1);
    // Exactly the error the same request gets on an unbatched network: code, message, engine text.
    const net = new LiteNetwork();
    net.load(mlp);
    for (const [i, e] of errors.entries()) {
      const rows = i + 1;
      const lone = (await rejection(net.predict({ data: { data: new Float32Array(rows * 65), shape: [rows, 65] } }))) as LiteError;
      expect(e).toBeInstanceOf(LiteError);
      expect(e.code).toBe('LITE_ERROR');
      expect(e.message).toContain(`input "data" was given [${rows}, 65], the model declares [1, 64]`);
      expect({ code: e.code, message: e.message, engineMessage: e.engineMessage }).toEqual({ code: lone.code, message: lone.message, engineMessage: lone.engineMessage });
    }
    net.dispose();
    // The network's inputs are back to their declared layout: good requests batch and answer.
    const good = await Promise.all([1, 2, 3].map(() => pool.predict<'logits'>({ data: mlpInput })));
    const [expected] = await alone(mlp, [{ data: mlpInput }], 'logits');
    for (const { logits } of good) expect(scaledDiff(logits.toFloat32Array(), expected!)).toBeLessThanOrEqual(TOLERANCE);
    expect(poolInternals.stats(pool).batches).toBe(2);
  });

  it('process.exit() while a network waits for a batch deadline exits at once, quietly (child process, dist build)', () => {
    const script = `
      import { LiteNetworkPool } from '@lite/core';
      const pool = await LiteNetworkPool.create(${JSON.stringify(DYNAMIC)}, { size: 2, batching: { maxBatch: 8, maxDelayMs: 600000 } });
      pool.predict({ data: new Float32Array(784) }).catch(() => {});
      setTimeout(() => { console.log('exit'); process.exit(0); }, 50);
    `;
    const started = Date.now();
    const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('exit\n');
    expect(r.status).toBe(0);
    // The waiting network's thread is woken and joined at exit, not after its 10-minute deadline.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('create refuses a model whose outputs do not follow the batch, naming the output', async () => {
    // two_io: prod_out = sum over dim 0 of a * b, shape [3, 4] whatever the batch.
    const e = (await rejection(LiteNetworkPool.create(fixture('two_io.mge'), { size: 1, batching: { maxBatch: 4, maxDelayMs: 1 } }))) as LiteError;
    expect(e).toBeInstanceOf(LiteError);
    expect(e.code).toBe('LITE_UNSUPPORTED');
    expect(e.message).toMatch(/output "prod_out" has shape \[3, 4\] for 1 row/);
    expect(e.message).not.toContain('\n');
    // The same model serves unbatched.
    await using pool = await LiteNetworkPool.create(fixture('two_io.mge'), { size: 1 });
    expect(pool.size).toBe(1);
  });

  it('create rejects bad batching options with one-line LITE_INVALID_ARGUMENT errors', async () => {
    const bad: unknown[] = [
      null,
      5,
      {},
      { maxBatch: 0, maxDelayMs: 1 },
      { maxBatch: 1.5, maxDelayMs: 1 },
      { maxBatch: '4', maxDelayMs: 1 },
      { maxBatch: Number.NaN, maxDelayMs: 1 },
      { maxBatch: 65537, maxDelayMs: 1 },
      { maxBatch: 4, maxDelayMs: -1 },
      { maxBatch: 4, maxDelayMs: Number.POSITIVE_INFINITY },
      { maxBatch: 4, maxDelayMs: Number.NaN },
      { maxBatch: 4, maxDelayMs: 2 ** 31 },
      { maxBatch: 4, maxDelayMs: 1e300 },
      { maxBatch: 4, maxDelayMs: '2' },
      { maxBatch: 4 },
    ];
    for (const batching of bad) {
      const e = (await rejection(LiteNetworkPool.create(mlp, { size: 1, batching: batching as { maxBatch: number; maxDelayMs: number } }))) as LiteError;
      expect(e, JSON.stringify(batching)).toBeInstanceOf(LiteError);
      expect(e.code).toBe('LITE_INVALID_ARGUMENT');
      expect(e.message).toMatch(/^LiteNetworkPool\.create: batching/);
      expect(e.message).not.toContain('\n');
    }
    // Valid edge values.
    await using pool = await LiteNetworkPool.create(mlp, { size: 1, batching: { maxBatch: 1, maxDelayMs: 0 } });
    const { logits } = await pool.predict<'logits'>({ data: mlpInput });
    const [expected] = await alone(mlp, [{ data: mlpInput }], 'logits');
    expect(logits.toFloat32Array()).toEqual(expected);
  });
});
