// @lite/mindspore dynamic batching, one process per measurement (run by
// tools/bench/mindspore_section.mjs: runMindSporeBatching).
//
//   node bench_mindspore_batching.mjs CONFIG_JSON
//
// CONFIG_JSON: { model, npy | images, threads, workers, inflight, seconds, warmup, batching|null }
// (`images`: a file of 28x28 uint8 digits, the first one /255 as a 1x1x28x28 input).
// A ModelParallelRunner (context cpu.threadNum = threads, parallel.workersNum = workers; batching
// as given) built from `model`; the batch-1 input of `npy` made once as a Tensor (the runner copies
// it at each call). `inflight` callers each loop `await runner.predict([x])` (+ `getData()` of
// every output) for `seconds`: a closed loop that keeps `inflight` requests in flight. Prints one
// JSON object: completed requests, elapsed ns, per-request latencies (ns) and the runner's batch
// counts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpyF32 } from './npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
// @lite/mindspore is a dependency of apps/demo; resolve it from there (tools/ is not a package)
const require = createRequire(path.join(demoRoot, 'package.json'));
const { Context, ModelParallelRunner, Tensor } = await import(pathToFileURL(require.resolve('@lite/mindspore')).href);


const cfg = JSON.parse(process.argv[2]);
const ctx = new Context();
ctx.cpu.threadNum = cfg.threads;
ctx.parallel.workersNum = cfg.workers;
const runner = await ModelParallelRunner.create(cfg.model, cfg.batching ? { context: ctx, batching: cfg.batching } : { context: ctx });
const { data, shape } = cfg.images
  ? { data: Float32Array.from(readFileSync(cfg.images).subarray(0, 784), (v) => v / 255), shape: [1, 1, 28, 28] }
  : readNpyF32(cfg.npy);
const x = new Tensor(data, { shape });
const once = async () => {
  const out = await runner.predict([x]);
  for (const t of out) t.getData();
};

// warm-up: the same closed loop, briefly
await Promise.all(Array.from({ length: cfg.inflight }, async () => {
  for (let i = 0; i < cfg.warmup; i++) await once();
}));
const warm = runner.batchStats;

const latencies = [];
const t0 = process.hrtime.bigint();
const end = t0 + BigInt(Math.round(cfg.seconds * 1e9));
await Promise.all(Array.from({ length: cfg.inflight }, async () => {
  while (process.hrtime.bigint() < end) {
    const s = process.hrtime.bigint();
    await once();
    latencies.push(Number(process.hrtime.bigint() - s));
  }
}));
const elapsed = Number(process.hrtime.bigint() - t0);
const stats = runner.batchStats;
runner.dispose();
const counts = stats && warm ? { runs: stats.runs - warm.runs, requests: stats.requests - warm.requests } : null;
console.log(JSON.stringify({ completed: latencies.length, elapsed_ns: elapsed, latencies_ns: latencies, counts }));
