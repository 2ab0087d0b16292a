// LiteNetworkPool: weight sharing, FIFO queueing, abort, dispose with work in flight, bad feeds
// that poison nothing. Outputs are compared bit for bit with megenginelite on this machine
// (liteReference): the pool's CPU inplace mode gives the same outputs as the default mode.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, liteReference, manifest, readNpy } from '@lite/testing';
import { LiteConfig, LiteError, LiteNetwork, LiteNetworkPool } from '../src/index.js';

const models = manifest().models;
const shuffle = models.shufflenet!;
const image = readNpy(fixture(shuffle.inputs[0]!.npy!)).data as Float32Array;
const imageOut = readNpy(liteReference(shuffle.outputs[0]!.lite_npy!)).data as Float32Array;
const mlp = models.mlp!;
const mlpInput = readNpy(fixture(mlp.inputs[0]!.npy!)).data as Float32Array;
const mlpOut = readNpy(liteReference(mlp.outputs[0]!.lite_npy!)).data as Float32Array;

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function batchOf(n: number): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(n * image.length);
  for (let i = 0; i < n; i++) data.set(image, i * image.length);
  return { data, shape: [n, 3, 224, 224] };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('LiteNetworkPool', () => {
  it('size defaults to the available parallelism; outputs equal megenginelite bit for bit', async () => {
    const { availableParallelism } = await import('node:os');
    await using pool = await LiteNetworkPool.create(fixture(shuffle.file));
    expect(pool.size).toBe(availableParallelism());
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.predict<'prob'>({ data: image })));
    for (const { prob } of results) expect(bytes(prob.toTypedArray()).equals(bytes(imageOut))).toBe(true);
  });

  it('loads from bytes too; every network answers correctly under concurrent mixed requests', async () => {
    await using pool = await LiteNetworkPool.create(new Uint8Array(readFileSync(fixture(mlp.file))), { size: 3 });
    const zeros = new Float32Array(64);
    const solo = new LiteNetwork();
    solo.load(fixture(mlp.file));
    const zerosOut = (await solo.predict<'logits'>({ data: zeros })).logits.toTypedArray();
    const feeds = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? zeros : mlpInput));
    const results = await Promise.all(feeds.map((data) => pool.predict<'logits'>({ data })));
    results.forEach((r, i) => expect(r.logits.toTypedArray(), `request ${i}`).toEqual(feeds[i] === zeros ? zerosOut : mlpOut));
  });

  it('queues FIFO: with one network, requests finish in the order they were made', async () => {
    await using pool = await LiteNetworkPool.create(fixture(mlp.file), { size: 1 });
    const order: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) => pool.predict({ data: mlpInput }).then(() => order.push(i)));
    expect(pool.pending).toBe(5);
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(pool.pending).toBe(0);
  });

  it('an aborted queued request rejects with the abort reason and leaves the rest of the queue intact', async () => {
    await using pool = await LiteNetworkPool.create(fixture(shuffle.file), { size: 1 });
    const big = batchOf(8);
    const running = pool.predict<'prob'>({ data: big });
    const ac = new AbortController();
    const aborted = pool.predict({ data: image }, { signal: ac.signal });
    const after = pool.predict<'prob'>({ data: image });
    expect(pool.pending).toBe(3);
    const reason = new Error('client went away');
    ac.abort(reason);
    expect(await rejection(aborted)).toBe(reason);
    expect(pool.pending).toBe(2);
    const [r1, r2] = await Promise.all([running, after]);
    expect(r1.prob.layout.shapes).toEqual([8, 1000]);
    expect(bytes(r2.prob.toTypedArray()).equals(bytes(imageOut))).toBe(true);
    // An already-aborted signal rejects without queueing.
    const timeout = AbortSignal.abort(new Error('already'));
    expect(((await rejection(pool.predict({ data: image }, { signal: timeout }))) as Error).message).toBe('already');
    expect(pool.pending).toBe(0);
  });

  it('dispose rejects queued work with LITE_DISPOSED, waits for running work, then refuses new work', async () => {
    const pool = await LiteNetworkPool.create(fixture(shuffle.file), { size: 1 });
    // Batch 32: a run of about 100 ms, far longer than the wait below.
    const running = pool.predict<'prob'>({ data: batchOf(32) });
    // Let the network take the first request (its thread wakes within microseconds; 20 ms is the
    // margin for a loaded machine); dispose must then cancel only the two still queued.
    await new Promise((res) => setTimeout(res, 20));
    const queued = [pool.predict({ data: image }), pool.predict({ data: image })];
    const disposed = pool.dispose();
    for (const q of queued) expect(await rejection(q)).toMatchObject({ code: 'LITE_DISPOSED' });
    const { prob } = await running;
    expect(prob.layout.shapes).toEqual([32, 1000]);
    await disposed;
    expect(pool.disposed).toBe(true);
    expect(await rejection(pool.predict({ data: image }))).toMatchObject({ code: 'LITE_DISPOSED' });
    await pool.dispose(); // idempotent
  });

  it('a wrong feed rejects at once with a clear error and does not poison later calls', async () => {
    await using pool = await LiteNetworkPool.create(fixture(mlp.file), { size: 2 });
    const bad = await rejection(pool.predict({ data: new Float64Array(32) }));
    expect(bad).toBeInstanceOf(LiteError);
    expect((bad as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    expect(await rejection(pool.predict({ nope: mlpInput }))).toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    expect(await rejection(pool.predict({ data: mlpInput }, { signal: 'x' as unknown as AbortSignal }))).toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    expect(pool.pending).toBe(0);
    const { logits } = await pool.predict<'logits'>({ data: mlpInput });
    expect(logits.toTypedArray()).toEqual(mlpOut);
  });

  it('an engine failure in one request (incompatible shape) rejects only that request', async () => {
    await using pool = await LiteNetworkPool.create(fixture(mlp.file), { size: 1 });
    const good1 = pool.predict<'logits'>({ data: mlpInput });
    const bad = pool.predict({ data: { data: new Float32Array(65), shape: [1, 65] } });
    const good2 = pool.predict<'logits'>({ data: mlpInput });
    const err = (await rejection(bad)) as LiteError;
    expect(err.code).toBe('LITE_ERROR');
    expect(err.message).toMatch(/input "data" was given \[1, 65\], the model declares \[1, 64\]/);
    expect((await good1).logits.toTypedArray()).toEqual(mlpOut);
    expect((await good2).logits.toTypedArray()).toEqual(mlpOut);
  });

  it('create rejects clearly for bad options and unloadable models', async () => {
    await expect(LiteNetworkPool.create(fixture(mlp.file), { size: 0 })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(LiteNetworkPool.create(fixture(mlp.file), { threadsNumber: 1.5 })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(LiteNetworkPool.create(fixture(mlp.file), { warmup: { nope: mlpInput } })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(LiteNetworkPool.create(fixture('manifest.json'), { size: 2 })).rejects.toBeInstanceOf(LiteError);
  });

  it('the caller can fix the config: default (non-inplace) mode, 2 threads, warm-up with a real sample', async () => {
    await using pool = await LiteNetworkPool.create(fixture(shuffle.file), { size: 2, cpuInplaceMode: false, threadsNumber: 2, config: new LiteConfig(), warmup: { data: image } });
    const { prob } = await pool.predict<'prob'>({ data: image });
    expect(bytes(prob.toTypedArray()).equals(bytes(imageOut))).toBe(true);
  });

  it('size networks run at once: with 2 networks, 3 requests leave 1 queued', async () => {
    // Throughput itself is measured by the benchmark (pnpm bench), not asserted in a timed test.
    await using pool = await LiteNetworkPool.create(fixture(shuffle.file), { size: 2 });
    // The queue is served in native code: the two running requests are batches of 16 (tens of
    // ms each), so neither network is free again while the next lines run.
    const all = [pool.predict({ data: batchOf(16) }), pool.predict({ data: batchOf(16) }), pool.predict({ data: image })];
    expect(pool.pending).toBe(3);
    expect(pool.queued).toBe(1);
    await Promise.all(all);
    expect(pool.queued).toBe(0);
  });

  it('the queue lives in native code: networks take queued requests while the JS thread is blocked', async () => {
    await using pool = await LiteNetworkPool.create(fixture(mlp.file), { size: 1 });
    // Distinct inputs, so that a request answered with another's data would show.
    const inputs = Array.from({ length: 6 }, (_, k) => mlpInput.map((v) => v * (k + 1)));
    const all = inputs.map((data) => pool.predict<'logits'>({ data }));
    expect(pool.pending).toBe(6);
    // Block the JS thread: a JS-side dispatcher could hand out nothing meanwhile. mlp takes well
    // under a millisecond per request, so 2 s leaves ample margin on a loaded machine.
    const until = Date.now() + 2000;
    while (Date.now() < until && pool.queued > 0) {
      // busy wait
    }
    expect(pool.queued).toBe(0);
    const outs = await Promise.all(all);
    const single = new LiteNetwork();
    single.load(fixture(mlp.file));
    for (const [k, data] of inputs.entries()) {
      const { logits } = await single.predict<'logits'>({ data });
      expect(bytes(outs[k]!.logits.toTypedArray()).equals(bytes(logits.toTypedArray()))).toBe(true);
    }
    single.dispose();
  });
});
