// @lite/core side of the benchmark suite (run by tools/bench/run.mjs in its own process).
//
//   node bench_node.mjs CONFIG_JSON
//
// Same protocol as bench_py.py: for each case a `new LiteNetwork()` (CPU, default config),
// threadsNumber set before load, load, the input filled once with setDataByCopy, warm-up, then
// (a) timed sync forward()+wait(), (b) timed `await forwardAsync()` (forward + wait on the libuv
// pool), then the per-call micro benchmarks in the same order and batch sizes as the C and
// Python runners. Prints one JSON object; times in nanoseconds.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpyF32 } from './npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
// @lite/core is a dependency of apps/demo; resolve it from there (tools/ is not a package)
const require = createRequire(path.join(demoRoot, 'package.json'));
const core = await import(pathToFileURL(require.resolve('@lite/core')).href);
const { LiteNetwork, version } = core;


const now = () => process.hrtime.bigint();
const batchSize = (nbytes) => (nbytes > 1 << 16 ? 50 : 2000);

async function runCase(c, cfg) {
  const net = new LiteNetwork();
  net.threadsNumber = c.threads;
  net.load(c.path);
  const inp = net.getIoTensor(c.input);
  const out = net.getIoTensor(c.output);
  const x = readNpyF32(c.npy).data;
  inp.setDataByCopy(x);
  for (let i = 0; i < cfg.warmup; i++) {
    net.forward();
    net.wait();
  }
  const sync = [];
  let t0 = now();
  for (let i = 0; i < cfg.iters; i++) {
    const t = now();
    net.forward();
    net.wait();
    sync.push(Number(now() - t));
    if (Number(now() - t0) > cfg.max_seconds * 1e9 && i >= 4) break;
  }
  for (let i = 0; i < Math.min(5, cfg.warmup); i++) await net.forwardAsync();
  const asyncTimes = [];
  t0 = now();
  for (let i = 0; i < cfg.iters; i++) {
    const t = now();
    await net.forwardAsync();
    asyncTimes.push(Number(now() - t));
    if (Number(now() - t0) > cfg.max_seconds * 1e9 && i >= 4) break;
  }

  // memcpyJs: the same bytes copied by TypedArray.prototype.set (a memmove) into a JS array, right
  // after each setDataByCopy batch: the memcpy floor measured side by side in this process.
  const micro = { getIoTensor: [], setDataByCopy: [], memcpyJs: [], setDataByShare: [], toTypedArray: [], getDataByShare: [] };
  const copyDst = new Float32Array(x.length);
  const micros = cfg.micro_reps > 0;
  const shareBuf = new Float32Array(x);
  const bIn = batchSize(x.byteLength);
  const bOut = batchSize(out.nbytes);
  const bSmall = 2000;
  let sink = 0;
  for (let r = 0; micros && r < cfg.micro_reps; r++) {
    let t = now();
    for (let i = 0; i < bSmall; i++) sink += net.getIoTensor(c.input) ? 1 : 0;
    micro.getIoTensor.push(Number(now() - t) / bSmall);

    t = now();
    for (let i = 0; i < bIn; i++) inp.setDataByCopy(x);
    micro.setDataByCopy.push(Number(now() - t) / bIn);

    t = now();
    for (let i = 0; i < bIn; i++) copyDst.set(x);
    micro.memcpyJs.push(Number(now() - t) / bIn);

    t = now();
    for (let i = 0; i < bOut; i++) sink += out.toTypedArray().length;
    micro.toTypedArray.push(Number(now() - t) / bOut);

    t = now();
    for (let i = 0; i < bSmall; i++) sink += out.getDataByShare().length;
    micro.getDataByShare.push(Number(now() - t) / bSmall);

    t = now();
    for (let i = 0; i < bSmall; i++) inp.setDataByShare(shareBuf);
    micro.setDataByShare.push(Number(now() - t) / bSmall);
  }
  net.dispose();
  return { model: c.model, threads: c.threads, forward_wait: sync, forward_async: asyncTimes, micro, sink };
}

const cfg = JSON.parse(process.argv[2]);
const results = [];
for (const c of cfg.cases) results.push(await runCase(c, cfg));
process.stdout.write(`${JSON.stringify({ runtime_version: String(version), node: process.version, results })}\n`);
