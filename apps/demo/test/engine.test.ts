// End to end through the real engine (@lite/core + the MegEngine Lite runtime): no mocks.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitClassifier, DigitPool } from '../src/engine.js';
import { MsDigitClassifier, MsDigitRunner } from '../src/engine-mindspore.js';
import { loadModelMeta, PIXELS, sampleInput } from '../src/heldout.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startServer, type ClassifyResponse, type RunningServer } from '../src/server.js';
import { firstOfEachDigit, held, samplePng, tempDir, writeSampleNpy } from './helpers.js';

const run = promisify(execFile);
const CLI = path.join(PACKAGE_ROOT, 'bin', 'lite-demo.js');

let clf: DigitClassifier;
let pool: DigitPool;
let srv: RunningServer;
let msClf: MsDigitClassifier;
let msRunner: MsDigitRunner;

beforeAll(async () => {
  clf = await DigitClassifier.create();
  msClf = await MsDigitClassifier.create();
  // The server as `lite-demo serve` runs it: on a pool of weight-sharing networks, and the same
  // network for MindSpore Lite on a ModelParallelRunner beside it.
  pool = await DigitPool.create({ size: 2 });
  msRunner = MsDigitRunner.create({ size: 2 });
  srv = await startServer({
    classify: (x) => pool.classify(x),
    engines: { megengine: (x) => pool.classify(x), mindspore: (x) => msRunner.classify(x) },
  });
});
afterAll(async () => {
  await srv?.close();
  clf?.dispose();
  msClf?.dispose();
  await pool?.dispose();
  await msRunner?.dispose();
});

function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (Number(p[i]) > Number(p[b])) b = i;
  return b;
}

describe('the model through @lite/core', () => {
  it('matches the probabilities megenginelite computed for the first held-out sample', async () => {
    const meta = loadModelMeta();
    const { prob } = await clf.classify(sampleInput(held, 0));
    const ref = meta.first_sample_prob ?? [];
    expect(ref).toHaveLength(10);
    for (let k = 0; k < 10; k++) expect(Math.abs((prob[k] as number) - (ref[k] as number))).toBeLessThan(1e-5);
  });

  it('classifies 500 held-out samples with ≥ 97% accuracy, sync and async agreeing', async () => {
    let correct = 0;
    for (let i = 0; i < 500; i++) {
      const x = sampleInput(held, i);
      const a = await clf.classify(x);
      const s = clf.classifySync(x);
      expect(Array.from(s.prob)).toEqual(Array.from(a.prob));
      if (argmax(a.prob) === held.labels[i]) correct++;
    }
    expect(correct / 500).toBeGreaterThanOrEqual(0.97);
  });
});

// The engines run the same float32 weights with different kernels; export_mnist_mindspore.py
// measured a max abs difference of 2.2e-6 over the held-out split, the eval asserts 1e-4.
const ENGINE_TOLERANCE = 1e-4;

describe('the same model through @lite/mindspore (mnist.mindir)', () => {
  it('matches the probabilities megenginelite computed for the first held-out sample', async () => {
    const ref = loadModelMeta().first_sample_prob ?? [];
    expect(ref).toHaveLength(10);
    const { prob } = await msClf.classify(sampleInput(held, 0));
    for (let k = 0; k < 10; k++) expect(Math.abs((prob[k] as number) - (ref[k] as number))).toBeLessThan(ENGINE_TOLERANCE);
  });

  it('classifies 500 held-out samples with ≥ 97% accuracy, sync and async equal, the same argmax as MegEngine Lite', async () => {
    let correct = 0;
    let maxDiff = 0;
    for (let i = 0; i < 500; i++) {
      const x = sampleInput(held, i);
      const a = await msClf.classify(x);
      const s = msClf.classifySync(x);
      expect(Array.from(s.prob)).toEqual(Array.from(a.prob));
      const m = clf.classifySync(x).prob;
      expect(argmax(a.prob), `sample ${i}`).toBe(argmax(m));
      for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs((a.prob[k] as number) - (m[k] as number)));
      if (argmax(a.prob) === held.labels[i]) correct++;
    }
    expect(correct / 500).toBeGreaterThanOrEqual(0.97);
    expect(maxDiff).toBeLessThan(ENGINE_TOLERANCE);
  });

  it('rejects a wrong input size with a RangeError before reaching the engine', () => {
    expect(() => msClf.classifySync(new Float32Array(10))).toThrow(RangeError);
    expect(() => msClf.classify(new Float32Array(785))).toThrow(RangeError);
  });
});

describe('lite-demo eval (CLI)', () => {
  it('--engine both prints each accuracy and the agreement of the engines', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'eval', '--engine', 'both', '--limit', '200']);
    const acc = [...stdout.matchAll(/\[(megengine|mindspore)\] accuracy: ([\d.]+)% \((\d+)\/200\)/g)];
    expect(acc.map((m) => m[1])).toEqual(['megengine', 'mindspore']);
    expect(acc[0]?.[3]).toBe(acc[1]?.[3]);
    expect(stdout).toMatch(/same argmax on 200\/200 samples; max abs diff of probabilities \d\.\d\de-\d/);
    expect(stdout).toContain('OK: accuracy ≥ 97% on megengine and mindspore, and the engines agree');
  });

  it('rejects an unknown engine', async () => {
    await expect(run(process.execPath, [CLI, 'eval', '--engine', 'tflite', '--limit', '1'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--engine must be') });
  });
});

describe('lite-demo classify (CLI)', () => {
  const dir = tempDir();
  const idx = firstOfEachDigit();

  it('classifies held-out PNGs and .npy files', async () => {
    for (const i of idx.slice(0, 4)) {
      const png = path.join(dir, `sample-${i}.png`);
      writeFileSync(png, samplePng(i));
      const { stdout } = await run(process.execPath, [CLI, 'classify', png, '--json']);
      expect(JSON.parse(stdout).digit, `sample ${i}`).toBe(held.labels[i]);
    }
    const i = idx[7] as number;
    const npy = path.join(dir, `sample-${i}.npy`);
    writeSampleNpy(npy, i);
    const { stdout } = await run(process.execPath, [CLI, 'classify', npy]);
    expect(stdout).toContain(`digit: ${held.labels[i]}`);
    expect(stdout).toMatch(/inference: [\d.]+ (ms|µs)/);
  });

  it('fails cleanly on a missing or unsupported file', async () => {
    await expect(run(process.execPath, [CLI, 'classify', path.join(dir, 'missing.png')])).rejects.toMatchObject({ code: 1 });
    const txt = path.join(dir, 'x.txt');
    writeFileSync(txt, 'hello');
    await expect(run(process.execPath, [CLI, 'classify', txt])).rejects.toMatchObject({ code: 1 });
  });
});

describe('server with the real engine', () => {
  async function postPng(buf: Buffer): Promise<ClassifyResponse> {
    const r = await fetch(`${srv.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(buf) });
    expect(r.status).toBe(200);
    return (await r.json()) as ClassifyResponse;
  }

  it('returns the right class for held-out images (PNG upload, MNIST preprocessing)', async () => {
    for (const i of firstOfEachDigit()) {
      const res = await postPng(samplePng(i));
      expect(res.top[0]?.digit, `sample ${i}`).toBe(held.labels[i]);
      expect(res.top).toHaveLength(3);
      expect(res.inferenceMs).toBeGreaterThan(0);
    }
  });

  it('returns the engine probabilities for a JSON 28x28 input', async () => {
    const i = 11;
    const x = sampleInput(held, i);
    const r = await fetch(`${srv.url}/api/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pixels: Array.from(x) }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as ClassifyResponse;
    const direct = clf.classifySync(x).prob;
    for (let k = 0; k < 10; k++) expect(Math.abs((body.prob[k] as number) - (direct[k] as number))).toBeLessThan(1e-5);
  });

  it('keeps ≥ 95% accuracy on 300 held-out samples sent as PNGs (preprocessing matches MNIST)', async () => {
    let correct = 0;
    for (let i = 0; i < 300; i++) {
      const res = await postPng(samplePng(i));
      if (res.top[0]?.digit === held.labels[i]) correct++;
    }
    expect(correct / 300).toBeGreaterThanOrEqual(0.95);
  });

  it('?engine=both answers with both engines for held-out images, agreeing', async () => {
    for (const i of firstOfEachDigit()) {
      const r = await fetch(`${srv.url}/api/classify?engine=both`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(samplePng(i)) });
      expect(r.status).toBe(200);
      const res = (await r.json()) as ClassifyResponse;
      expect(res.results?.map((x) => x.engine)).toEqual(['megengine', 'mindspore']);
      for (const x of res.results ?? []) expect(x.top[0]?.digit, `sample ${i} on ${x.engine}`).toBe(held.labels[i]);
      expect(res.agreement?.sameDigit).toBe(true);
      expect(res.agreement?.maxAbsDiff).toBeLessThan(ENGINE_TOLERANCE);
    }
  });

  it('?engine=mindspore answers with MindSpore Lite only: the probabilities of the model run directly', async () => {
    const x = sampleInput(held, 21);
    const r = await fetch(`${srv.url}/api/classify?engine=mindspore`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: Array.from(x) }) });
    expect(r.status).toBe(200);
    const res = (await r.json()) as ClassifyResponse;
    expect(res.results?.map((e) => e.engine)).toEqual(['mindspore']);
    expect(res.agreement).toBeUndefined();
    const direct = msClf.classifySync(x).prob;
    // the server rounds to 6 decimals: at most 5e-7 off (plus float32 rounding)
    for (let k = 0; k < 10; k++) expect(Math.abs((res.prob[k] as number) - (direct[k] as number))).toBeLessThanOrEqual(5.1e-7);
  });

  it('serves concurrent requests (queued on one network) without errors', async () => {
    const ids = Array.from({ length: 16 }, (_, k) => k * 7);
    const results = await Promise.all(ids.map((i) => postPng(samplePng(i))));
    expect(results).toHaveLength(16);
    for (const r of results) expect(r.input).toHaveLength(PIXELS);
  });

  it('24 concurrent JSON requests on the pool each get the probabilities of their own input', async () => {
    const ids = Array.from({ length: 24 }, (_, k) => k * 5 + 1);
    const bodies = await Promise.all(
      ids.map(async (i) => {
        const r = await fetch(`${srv.url}/api/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pixels: Array.from(sampleInput(held, i)) }) });
        expect(r.status).toBe(200);
        return (await r.json()) as ClassifyResponse;
      }),
    );
    // Same engine, same input: the pool (CPU inplace mode) and the plain network agree; the server
    // rounds probabilities to 6 decimals, so each may differ by at most 5e-7 (plus float32 rounding).
    bodies.forEach((b, k) => {
      const direct = clf.classifySync(sampleInput(held, ids[k] as number)).prob;
      for (let d = 0; d < 10; d++) expect(Math.abs((b.prob[d] as number) - (direct[d] as number)), `sample ${ids[k]} digit ${d}`).toBeLessThanOrEqual(5.1e-7);
    });
  });
});
