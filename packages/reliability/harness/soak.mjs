// Leak soak child: creates and drops 10,000 tensors and 1,000 networks and runs 10,000 forwards,
// twice (two rounds), either disposing explicitly or leaving everything to finalizers
// (--mode finalizer; needs --expose-gc so the harness can ask V8 to collect).
// Prints one JSON line with RSS (MiB) at start (after warm-up), peak, after each round and at end,
// and the binding's live native object counts (tensors it created, networks) at the same points.
//   node --expose-gc harness/soak.mjs --mode explicit|finalizer [--tensors 10000 --networks 1000 --forwards 10000 --rounds 2]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LiteLayout, LiteNetwork, LiteTensor, LiteTensorPhase, LiteLogLevel, setLogLevel } from '@lite/core';
import { liveObjects as _liveObjects } from '@lite/core/internal';

setLogLevel(LiteLogLevel.ERROR);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const mode = arg('mode', 'explicit');
const TENSORS = Number(arg('tensors', 10_000));
const NETWORKS = Number(arg('networks', 1_000));
const FORWARDS = Number(arg('forwards', 10_000));
const ROUNDS = Number(arg('rounds', 2));
if (mode !== 'explicit' && mode !== 'finalizer') throw new Error('--mode explicit|finalizer');
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

const FIX = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const TWO_IO = readFileSync(`${FIX}two_io.mge`);
const MLP = readFileSync(`${FIX}mlp.mge`);
const explicit = mode === 'explicit';

const mib = () => process.memoryUsage.rss() / 1048576;
let peak = 0;
const livePeak = { tensors: 0, networks: 0 };
const sample = () => {
  const r = mib();
  if (r > peak) peak = r;
  const live = _liveObjects();
  livePeak.tensors = Math.max(livePeak.tensors, live.tensors);
  livePeak.networks = Math.max(livePeak.networks, live.networks);
  return r;
};
// Collect and give finalizers (which run as V8 tasks) the chance to run; repeat because a
// collected wrapper can make more objects unreachable.
async function settle() {
  for (let i = 0; i < 2; i++) {
    globalThis.gc();
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function tensors() {
  for (let i = 0; i < TENSORS; i++) {
    // 64x64 float32 = 16 KiB of native memory each (160 MiB if all leaked).
    const t = new LiteTensor(new LiteLayout([64, 64], 'float32'));
    t.fillZero();
    const s = t.slice([0, 0], [32, 64]);
    s.toTypedArray();
    t.getDataByShare()[0] = i;
    if (explicit) {
      s.dispose();
      t.dispose();
    }
    if (i % 2000 === 1999) {
      sample();
      // Both modes collect here: JS garbage (wrappers, toTypedArray copies) needs a GC either way;
      // only finalizer mode relies on that GC to free native memory.
      await settle();
    }
  }
}

async function networks() {
  for (let i = 0; i < NETWORKS; i++) {
    const net = new LiteNetwork();
    net.load(TWO_IO);
    net.getIoTensor('a', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(24).fill(2));
    net.getIoTensor('b', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(12).fill(3));
    net.forward();
    net.wait();
    if (explicit) net.dispose();
    if (i % 200 === 199) {
      sample();
      // Both modes collect here: JS garbage (wrappers, toTypedArray copies) needs a GC either way;
      // only finalizer mode relies on that GC to free native memory.
      await settle();
    }
  }
}

async function forwards() {
  const net = new LiteNetwork();
  net.load(MLP);
  const input = new Float32Array(net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).layout.count);
  for (let i = 0; i < FORWARDS; i++) {
    input[i % input.length] = i;
    if (i % 10 === 0) {
      // The async path too (every 10th), through predict: outputs come back as tensors.
      const out = await net.predict({ data: input });
      out.logits?.toTypedArray();
    } else {
      net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input);
      net.forward();
      net.wait();
      net.getIoTensor('logits', LiteTensorPhase.LITE_OUTPUT).toTypedArray();
    }
    if (i % 2500 === 2499) {
      sample();
      await settle();
    }
  }
  if (explicit) net.dispose();
}

// Warm-up: the first network load maps the runtime's code and sets up its allocators and thread
// pools; that one-time cost is not a leak, so "start" is taken after it.
{
  const net = new LiteNetwork();
  net.load(MLP);
  net.forward();
  net.wait();
  net.dispose();
  new LiteTensor(new LiteLayout([64, 64])).dispose();
}
await settle();
const start = sample();
const liveStart = _liveObjects();
const rounds = [];
const t0 = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  const times = {};
  let t = Date.now();
  await tensors();
  times.tensors = Date.now() - t;
  t = Date.now();
  await networks();
  times.networks = Date.now() - t;
  t = Date.now();
  await forwards();
  times.forwards = Date.now() - t;
  await settle();
  rounds.push({ rss: sample(), ms: times, live: _liveObjects() });
}
// Finalizers run as V8 tasks: give the last ones time before the final count.
for (let i = 0; i < 5; i++) await settle();
const end = sample();
const liveEnd = _liveObjects();
const round = (x) => Math.round(x * 10) / 10;
process.stdout.write(
  `${JSON.stringify({ mode, tensors: TENSORS, networks: NETWORKS, forwards: FORWARDS, rounds: ROUNDS, start: round(start), peak: round(peak), afterRound: rounds.map((x) => round(x.rss)), end: round(end), live: { start: liveStart, peak: livePeak, afterRound: rounds.map((x) => x.live), end: liveEnd }, roundMs: rounds.map((x) => x.ms), seconds: (Date.now() - t0) / 1000 })}\n`,
);
