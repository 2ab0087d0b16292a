// The serving section of the benchmark suite, @lite/core side (run by tools/bench/run.mjs in its
// own process).
//
//   node bench_serve.mjs CONFIG_JSON
//
// CONFIG: { model, input, npy, seconds, inflight, setups: [{ name, kind: 'network'|'pool', size?,
// inplace?, batching?: { maxBatch, maxDelayMs } }], overhead: { model, input, output, npy, iters } }
// (overhead may be null). A pool setup with `batching` also reports the pool's counters: forwards
// run and requests run inside batches.
//
// Throughput: for each setup, `inflight` clients each loop `await predict({ input: x })` for
// `seconds` (closed loop: a client sends its next request when the previous one settled). A
// `network` setup is one `new LiteNetwork()` (megenginelite defaults); a `pool` setup is
// `LiteNetworkPool.create(model, { size, cpuInplaceMode })`. Reports inferences/s, request latency
// p50/p99 (ms, queueing included) and the event-loop delay p99 (ms) measured during the load.
//
// Overhead: on one default network, the median of `forward()+wait()` (sync), `await
// forwardAsync()`, `setDataByCopy + forward + wait + output copy` (sync predict equivalent) and
// `await predict()`, interleaved in rounds. Prints one JSON object; times in nanoseconds.
import { createRequire } from 'node:module';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readNpyF32 } from './npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoRoot = process.env.LITE_DEMO_ROOT ?? path.resolve(here, '..', '..', 'apps', 'demo');
const require = createRequire(path.join(demoRoot, 'package.json'));
const { LiteNetwork, LiteNetworkPool } = await import(pathToFileURL(require.resolve('@lite/core')).href);
const { poolInternals } = await import(pathToFileURL(require.resolve('@lite/core/internal')).href);


const now = () => Number(process.hrtime.bigint());
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length - 1) * p))];

async function throughput(cfg, setup, x) {
  let target;
  let close;
  let stats = () => null;
  if (setup.kind === 'pool') {
    const pool = await LiteNetworkPool.create(cfg.model, { size: setup.size, cpuInplaceMode: setup.inplace, batching: setup.batching });
    target = pool;
    stats = () => poolInternals.stats(pool);
    close = () => pool.dispose();
  } else {
    const net = new LiteNetwork();
    if (setup.inplace) net.enableCpuInplaceMode();
    net.load(cfg.model);
    for (let i = 0; i < 5; i++) (await net.predict({ [cfg.input]: x }));
    target = net;
    close = async () => net.dispose();
  }
  const feeds = { [cfg.input]: x };
  for (let i = 0; i < 10; i++) await target.predict(feeds);
  const latencies = [];
  const before = stats();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const end = now() + cfg.seconds * 1e9;
  let done = 0;
  loop.enable();
  const t0 = now();
  await Promise.all(
    Array.from({ length: cfg.inflight }, async () => {
      while (now() < end) {
        const t = now();
        const out = await target.predict(feeds);
        latencies.push(now() - t);
        for (const v of Object.values(out)) v.dispose();
        done++;
      }
    }),
  );
  const wall = (now() - t0) / 1e9;
  loop.disable();
  const after = stats();
  await close();
  return {
    name: setup.name,
    inferences: done,
    seconds: wall,
    per_second: done / wall,
    latency_p50_ns: median(latencies),
    latency_p99_ns: pct(latencies, 0.99),
    loop_delay_p99_ns: loop.percentile(99),
    loop_delay_max_ns: loop.max,
    pool_runs: after && before ? after.runs - before.runs : undefined,
    pool_batched_requests: after && before ? after.batchedRequests - before.batchedRequests : undefined,
  };
}

async function overhead(o) {
  const net = new LiteNetwork();
  net.load(o.model);
  const x = readNpyF32(o.npy).data;
  const inp = net.getIoTensor(o.input);
  const out = net.getIoTensor(o.output);
  const feeds = { [o.input]: x };
  inp.setDataByCopy(x);
  for (let i = 0; i < 50; i++) {
    net.forward();
    net.wait();
    await net.forwardAsync();
    await net.predict(feeds);
  }
  const r = { sync: [], forward_async: [], predict_sync_equiv: [], predict: [] };
  // Interleaved in small blocks so a drift of the machine's load hits every variant alike.
  for (let round = 0; round < o.iters / 10; round++) {
    for (let i = 0; i < 10; i++) {
      const t = now();
      net.forward();
      net.wait();
      r.sync.push(now() - t);
    }
    for (let i = 0; i < 10; i++) {
      const t = now();
      await net.forwardAsync();
      r.forward_async.push(now() - t);
    }
    for (let i = 0; i < 10; i++) {
      const t = now();
      inp.setDataByCopy(x);
      net.forward();
      net.wait();
      out.toTypedArray();
      r.predict_sync_equiv.push(now() - t);
    }
    for (let i = 0; i < 10; i++) {
      const t = now();
      const o2 = await net.predict(feeds);
      for (const v of Object.values(o2)) v.dispose();
      r.predict.push(now() - t);
    }
  }
  net.dispose();
  return r;
}

const cfg = JSON.parse(process.argv[2]);
const x = readNpyF32(cfg.npy).data;
const results = [];
for (const setup of cfg.setups) results.push(await throughput(cfg, setup, x));
const over = cfg.overhead ? await overhead(cfg.overhead) : null;
process.stdout.write(`${JSON.stringify({ node: process.version, results, overhead: over })}\n`);
