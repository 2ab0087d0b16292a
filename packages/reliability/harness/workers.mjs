// Threads/workers child. Scenarios (argv[2]):
//   parallel   4 workers, each with its own network and with two networks sharing its weights,
//              running forwards at once; outputs must equal the main thread's.
//   terminate  workers terminated at random moments while forwards (sync and async) run.
//   exit       the main thread exits (process.exit) while async forwards run in it and in workers.
// Prints one JSON line (parallel, terminate); `exit` must simply end with status 0, quickly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { LiteLogLevel, LiteNetwork, LiteTensorPhase, setLogLevel } from '@lite/core';

setLogLevel(LiteLogLevel.ERROR);
const FIX = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

function mlpInput() {
  const x = new Float32Array(64); // mlp.mge: data [1, 64] -> logits
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i) * 0.5;
  return x;
}

async function run(net, input, mode) {
  if (mode === 'async') {
    const out = await net.predict({ data: input });
    return out.logits.toTypedArray();
  }
  net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input);
  net.forward();
  net.wait();
  return net.getIoTensor('logits', LiteTensorPhase.LITE_OUTPUT).toTypedArray();
}

if (!isMainThread) {
  const { task, iterations } = workerData;
  const model = readFileSync(`${FIX}${task === 'heavy' ? 'shufflenet.mge' : 'mlp.mge'}`);
  if (task === 'heavy') {
    // Until terminated: alternate sync and async forwards on a larger model.
    const net = new LiteNetwork();
    net.load(model);
    parentPort.postMessage({ ready: true });
    for (let i = 0; ; i++) {
      if (i % 2) await net.forwardAsync();
      else net.forward(), net.wait();
    }
  }
  const own = new LiteNetwork();
  own.load(model);
  const shared = [new LiteNetwork(), new LiteNetwork()];
  for (const s of shared) s.shareWeightsWith(own);
  const input = mlpInput();
  let mismatches = 0;
  let first = null;
  for (let i = 0; i < iterations; i++) {
    // The three networks at once: two async (libuv pool) and one sync on this thread.
    const [a, b, c] = await Promise.all([run(shared[0], input, 'async'), run(shared[1], input, 'async'), run(own, input, 'sync')]);
    first ??= Array.from(a);
    for (const o of [a, b, c]) if (o.some((v, k) => v !== first[k])) mismatches++;
  }
  for (const n of [...shared, own]) n.dispose();
  parentPort.postMessage({ done: true, mismatches, output: first });
} else {
  const scenario = process.argv[2];
  const started = Date.now();
  if (scenario === 'parallel') {
    const ref = await run((() => {
      const n = new LiteNetwork();
      n.load(`${FIX}mlp.mge`);
      return n;
    })(), mlpInput(), 'sync');
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise((resolve, reject) => {
          const w = new Worker(SELF, { workerData: { task: 'mlp', iterations: 100 } });
          w.once('message', resolve);
          w.once('error', reject);
          w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        }),
      ),
    );
    const differs = results.filter((r) => r.output.some((v, k) => v !== ref[k])).length;
    process.stdout.write(`${JSON.stringify({ scenario, workers: results.length, forwardsPerWorker: 300, mismatches: results.reduce((s, r) => s + r.mismatches, 0), differFromMain: differs, ms: Date.now() - started })}\n`);
  } else if (scenario === 'terminate') {
    let terminated = 0;
    for (let round = 0; round < 8; round++) {
      const workers = Array.from({ length: 3 }, () => new Worker(SELF, { workerData: { task: 'heavy' } }));
      await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
      // Let forwards get going, then terminate at staggered moments.
      await Promise.all(
        workers.map(
          (w, i) =>
            new Promise((res) =>
              setTimeout(async () => {
                await w.terminate();
                terminated++;
                res();
              }, 5 + i * 17 + round * 3),
            ),
        ),
      );
    }
    // The main thread's runtime is still usable afterwards.
    const n = new LiteNetwork();
    n.load(`${FIX}mlp.mge`);
    const out = await run(n, mlpInput(), 'async');
    process.stdout.write(`${JSON.stringify({ scenario, terminated, mainStillWorks: out.length > 0 && out.every(Number.isFinite), ms: Date.now() - started })}\n`);
  } else if (scenario === 'exit') {
    const workers = Array.from({ length: 2 }, () => new Worker(SELF, { workerData: { task: 'heavy' } }));
    await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
    const net = new LiteNetwork();
    net.load(`${FIX}shufflenet.mge`);
    for (let i = 0; i < 4; i++) net.forwardAsync().catch(() => undefined);
    new LiteNetwork().loadAsync(`${FIX}shufflenet.mge`).catch(() => undefined);
    setTimeout(() => process.exit(0), 20);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
}
