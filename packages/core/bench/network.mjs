// Network benchmark on the ShuffleNet fixture: sync forward latency, forwardAsync latency,
// event-loop delay during forwardAsync, throughput of 1 vs 2 weight-sharing networks.
// Run after building: node packages/core/bench/network.mjs [--runs N] [--batch B]
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LiteNetwork, version } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('--runs', 50);
const batch = opt('--batch', 1);
const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const manifest = JSON.parse(readFileSync(fixtures + 'manifest.json', 'utf8'));
const model = fixtures + manifest.models.shufflenet.file;

function readNpyF32(path) {
  const b = readFileSync(path);
  const hlen = b.readUInt16LE(8);
  const off = 10 + hlen;
  return new Float32Array(b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length));
}
const one = readNpyF32(fixtures + manifest.models.shufflenet.inputs[0].npy);
const input = new Float32Array(batch * one.length);
for (let i = 0; i < batch; i++) input.set(one, i * one.length);

function setup(net) {
  net.getIoTensor('data').setDataByCopy(input, { layout: [batch, 3, 224, 224] });
  for (let i = 0; i < 3; i++) {
    net.forward();
    net.wait();
  }
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p90: q(0.9), min: s[0] };
};
const fmt = (o) => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');

const a = new LiteNetwork();
a.load(model);
setup(a);

const sync = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  a.forward();
  a.wait();
  sync.push(performance.now() - t);
}

const asyncLat = [];
const h = monitorEventLoopDelay({ resolution: 1 });
let ticks = 0;
const timer = setInterval(() => ticks++, 1);
h.enable();
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await a.forwardAsync();
  asyncLat.push(performance.now() - t);
}
h.disable();
clearInterval(timer);

const b = new LiteNetwork();
b.shareWeightsWith(a);
setup(b);
let t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) await a.forwardAsync();
const oneWall = performance.now() - t0;
const oneCpu = process.cpuUsage(cpu0);
const one1 = (runs / oneWall) * 1000;
// CPU time / wall time while one network runs: how many cores a single forward keeps busy.
const cores = (oneCpu.user + oneCpu.system) / 1000 / oneWall;
t0 = performance.now();
await Promise.all(
  [a, b].map(async (n) => {
    for (let i = 0; i < runs / 2; i++) await n.forwardAsync();
  }),
);
const two = (runs / (performance.now() - t0)) * 1000;

const ms = (v) => (v / 1e6).toFixed(2);
console.log(`MegEngine Lite ${version}, ShuffleNet fixture, batch ${batch}, ${runs} runs, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}`);
console.log(`sync forward+wait latency (ms):   ${fmt(stats(sync))}`);
console.log(`forwardAsync latency (ms):        ${fmt(stats(asyncLat))}`);
console.log(`event-loop delay during forwardAsync (ms): p50 ${ms(h.percentile(50))}, p99 ${ms(h.percentile(99))}, max ${ms(h.max)} (1 ms timer ticks: ${ticks})`);
console.log(`throughput, 1 network:                 ${one1.toFixed(1)} forwards/s (process busy on ${cores.toFixed(2)} of ${availableParallelism()} cores)`);
console.log(`throughput, 2 weight-sharing networks: ${two.toFixed(1)} forwards/s (x${(two / one1).toFixed(2)})`);
