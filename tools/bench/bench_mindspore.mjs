#!/usr/bin/env node
// Build and predict latency of @lite/mindspore against mindspore_lite (Python) on the same runtime,
// model, input and settings (CPU, 1 thread), measured one after the other on this machine.
//
//   node tools/bench/bench_mindspore.mjs [--builds 5] [--predicts 2000] [--batch 1]
//
// Needs the built package (pnpm --filter @lite/mindspore build) and the Python venv
// (tools/models/setup-python-mindspore.sh). Predict = copy the input in, run, copy the first
// output out (what the tutorial does per request). Medians; the first build of a process is
// reported apart (it includes the engine's one-time initialisation). Runtime load: Node's first
// engine call vs Python's `import mindspore_lite` (both map the ~300 MB of libraries).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const builds = arg('builds', 5);
const predicts = arg('predicts', 2000);
const batch = arg('batch', 1);
const model = join(repo, 'fixtures', 'mindspore', 'lenet.mindir');
const input = join(repo, 'fixtures', 'mindspore', `lenet_input_b${batch}.npy`);

function npyFloat32(path) {
  const b = readFileSync(path);
  const start = 10 + b.readUInt16LE(8);
  return new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.byteLength));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { Context, Model, ModelType, Tensor } = await import(join(repo, 'packages', 'mindspore', 'dist', 'index.js'));
const ctx = new Context();
ctx.cpu.threadNum = 1;
// Runtime load: the first engine call loads it (a build of a missing file fails right after).
let loadMs = performance.now();
try {
  new Model().buildFromFile(join(repo, 'no-such-model.mindir'), ModelType.MINDIR, ctx);
} catch {
  // expected: LITE_INVALID_ARGUMENT after the runtime loaded
}
loadMs = performance.now() - loadMs;
const nodeBuild = [];
let m;
for (let i = 0; i < builds; i++) {
  const t = performance.now();
  m?.dispose();
  m = new Model();
  m.buildFromFile(model, ModelType.MINDIR, ctx);
  nodeBuild.push(performance.now() - t);
}
const x = npyFloat32(input);
const shape = [batch, 1, 28, 28];
const nodePredict = [];
for (let i = 0; i < predicts + 20; i++) {
  const t = performance.now();
  const outputs = m.predict([new Tensor(x, { shape })]);
  outputs[0].getData();
  nodePredict.push(performance.now() - t);
}
nodePredict.splice(0, 20);
let asyncMs = performance.now();
for (let i = 0; i < 500; i++) await m.predictAsync([new Tensor(x, { shape })]);
asyncMs = (performance.now() - asyncMs) / 500;

const setup = spawnSync('bash', [join(repo, 'tools', 'models', 'setup-python-mindspore.sh')], { encoding: 'utf8' });
const py = setup.stdout.trim().split('\n').pop();
const r = spawnSync(py, [join(repo, 'tools', 'bench', 'bench_mindspore_py.py'), model, input, String(builds), String(predicts)], {
  encoding: 'utf8',
  env: { ...process.env, GLOG_v: '3' },
});
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const pyr = JSON.parse(r.stdout.trim().split('\n').pop());

const rows = [
  ['runtime load (ms)', loadMs, pyr.load_ms],
  ['first build (ms)', nodeBuild[0], pyr.build_ms[0]],
  ['later builds, median (ms)', median(nodeBuild.slice(1)), median(pyr.build_ms.slice(1))],
  [`predict b${batch}, median (ms)`, median(nodePredict), median(pyr.predict_ms)],
];
console.log(`lenet.mindir, CPU, 1 thread, ${builds} builds, ${predicts} predicts; Node ${process.version}, Python via mindspore_lite 2.0.0`);
console.log('metric                          @lite/mindspore   mindspore_lite   ratio (node/python)');
for (const [name, a, b] of rows) {
  console.log(`${name.padEnd(32)}${a.toFixed(3).padStart(12)}${b.toFixed(3).padStart(17)}${(a / b).toFixed(2).padStart(14)}`);
}
console.log(`predictAsync b${batch}, mean of 500 sequential awaits: ${asyncMs.toFixed(3)} ms`);
m.dispose();
