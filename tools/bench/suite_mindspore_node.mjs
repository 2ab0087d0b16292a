// @lite/mindspore side of the benchmark suite's MindSpore section (run by
// tools/bench/mindspore_section.mjs in its own process).
//
//   node suite_mindspore_node.mjs CONFIG_JSON
//
// Same protocol as mindspore_bench.c and suite_mindspore_py.py: for each case a `new Model()` built
// from the file with a Context of cpu.threadNum = threads (nothing else set), one input Tensor
// made once from the .npy, warm-up, then (a) timed sync `predict([x])` + `getData()` of every
// output, (b) timed `await predictAsync([x])` + `getData()` (predict on the libuv pool). The output
// of the first run is checked against the case's reference .npy when one is given. Prints one
// JSON object; times in nanoseconds.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpyF32 } from './npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
// @lite/mindspore is a dependency of apps/demo; resolve it from there (tools/ is not a package)
const require = createRequire(path.join(demoRoot, 'package.json'));
const ms = await import(pathToFileURL(require.resolve('@lite/mindspore')).href);
const { Context, Model, ModelType, Tensor } = ms;


const now = () => process.hrtime.bigint();

async function runCase(c, cfg) {
  const ctx = new Context();
  ctx.cpu.threadNum = c.threads;
  const model = new Model();
  model.buildFromFile(c.path, ModelType.MINDIR, ctx);
  const x = readNpyF32(c.npy);
  const inputs = [new Tensor(x.data, { shape: x.shape })];
  let sink = 0;
  const first = model.predict(inputs).map((t) => t.getData());
  let maxDiff = null;
  if (c.reference) {
    const ref = readNpyF32(c.reference).data;
    const out = first[0];
    if (out.length !== ref.length) throw new Error(`${c.model}: output has ${out.length} values, the reference ${ref.length}`);
    maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - ref[i]));
  }
  for (let i = 0; i < cfg.warmup; i++) for (const t of model.predict(inputs)) sink += t.getData().length;
  const sync = [];
  let t0 = now();
  for (let i = 0; i < cfg.iters; i++) {
    const t = now();
    for (const o of model.predict(inputs)) sink += o.getData().length;
    sync.push(Number(now() - t));
    if (Number(now() - t0) > cfg.max_seconds * 1e9 && i >= 4) break;
  }
  for (let i = 0; i < Math.min(5, cfg.warmup); i++) await model.predictAsync(inputs);
  const asyncTimes = [];
  t0 = now();
  for (let i = 0; i < cfg.iters; i++) {
    const t = now();
    for (const o of await model.predictAsync(inputs)) sink += o.getData().length;
    asyncTimes.push(Number(now() - t));
    if (Number(now() - t0) > cfg.max_seconds * 1e9 && i >= 4) break;
  }
  model.dispose();
  return { model: c.model, threads: c.threads, predict_sync: sync, predict_async: asyncTimes, max_abs_diff_vs_reference: maxDiff, sink };
}

const cfg = JSON.parse(process.argv[2]);
const results = [];
for (const c of cfg.cases) results.push(await runCase(c, cfg));
process.stdout.write(`${JSON.stringify({ version: ms.version, node: process.version, results })}\n`);
