// Every LiteOptions flag (and the layout options) alone, on the ShuffleNet and MLP fixtures,
// through the built @lite/core: what happens, the median forward time (1 thread, default mode)
// and the largest output difference from the default config. Each configuration runs in its own
// child process with a timeout, so an option that ends or hangs the process is reported as such.
//
//   node tools/bench/options_table.mjs [--runs 30] [--timeout 60000]
//
// Prints a markdown table (the one in packages/core/README.md comes from this).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const core = join(root, 'packages', 'core', 'dist', 'index.js');
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = arg('runs', 30);
const TIMEOUT = arg('timeout', 60_000);

const models = [
  { name: 'shufflenet', file: join(root, 'fixtures', 'shufflenet.mge'), input: 'data', shape: [1, 3, 224, 224] },
  { name: 'mlp', file: join(root, 'fixtures', 'mlp.mge'), input: null, shape: null },
];

const settings = [
  ['default', {}],
  ['weightPreprocess', { weightPreprocess: true }],
  ['fusePreprocess', { fusePreprocess: true }],
  ['fakeNextExec', { fakeNextExec: true }],
  ['varSanityCheckFirstRun = false', { varSanityCheckFirstRun: false }],
  ['constShape', { constShape: true }],
  ['forceDynamicAlloc', { forceDynamicAlloc: true }],
  ['forceOutputDynamicAlloc', { forceOutputDynamicAlloc: true }],
  ['forceOutputUseUserSpecifiedMemory', { forceOutputUseUserSpecifiedMemory: true }],
  ['noProfilingOnShapeChange', { noProfilingOnShapeChange: true }],
  ['jitLevel = 1', { jitLevel: 1 }],
  ['compNodeSeqRecordLevel = 1', { compNodeSeqRecordLevel: 1 }],
  ['graphOptLevel = 0', { graphOptLevel: 0 }],
  ['graphOptLevel = 3', { graphOptLevel: 3 }],
  ['asyncExecLevel = 0', { asyncExecLevel: 0 }],
  ['enableNchw44', { enableNchw44: true }],
  ['enableNchw44Dot', { enableNchw44Dot: true }],
  ['enableNchw88', { enableNchw88: true }],
  ['enableNhwcd4', { enableNhwcd4: true }],
  ['enableNchw4', { enableNchw4: true }],
  ['enableNchw32', { enableNchw32: true }],
  ['enableNchw64', { enableNchw64: true }],
  ['enableGlobalLayoutTransform()', { layoutTransform: true }],
];

const CHILD = `
const [entry, file, optsJson, runs] = process.argv.slice(1);
const core = await import(entry);
const opts = JSON.parse(optsJson);
const glt = opts.layoutTransform; delete opts.layoutTransform;
const cfg = new core.LiteConfig();
Object.assign(cfg.options, opts);
const net = new core.LiteNetwork(cfg);
net.threadsNumber = 1;
if (glt) net.enableGlobalLayoutTransform();
try {
  net.load(file);
  const name = net.getAllInputName()[0];
  const input = net.getIoTensor(name);
  const n = input.layout.shapes.reduce((a, b) => a * b, 1);
  input.setDataByCopy(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)));
  if (opts.forceOutputUseUserSpecifiedMemory) {
    for (const o of net.getAllOutputName()) { const t = net.getIoTensor(o); t.setDataByShare(new Float32Array(t.layout.shapes.reduce((a, b) => a * b, 1))); }
  }
  const times = [];
  for (let i = 0; i <= Number(runs); i++) {
    const t0 = process.hrtime.bigint();
    net.forward(); net.wait();
    if (i > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const out = Array.from(net.getIoTensor(net.getAllOutputName()[0]).toTypedArray());
  console.log(JSON.stringify({ ok: true, ms: times[times.length >> 1], out }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, message: String(e.message).slice(0, 120) }));
}
`;

function runOne(model, opts) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, core, model.file, JSON.stringify(opts), String(RUNS)], { encoding: 'utf8', timeout: TIMEOUT, killSignal: 'SIGKILL' });
  const seconds = (Date.now() - t0) / 1000;
  if (r.error?.code === 'ETIMEDOUT') return { outcome: `hang (killed after ${TIMEOUT / 1000} s)`, seconds, stderr: r.stderr };
  if (r.status !== 0) return { outcome: `process ended (${r.signal ?? `exit ${r.status}`})`, seconds, stderr: r.stderr };
  const last = r.stdout.trim().split('\n').pop();
  return { ...JSON.parse(last), seconds, stderr: r.stderr };
}

const rows = [];
const base = {};
for (const [label, opts] of settings) {
  const cells = [];
  for (const model of models) {
    const res = runOne(model, opts);
    if (label === 'default' && res.ok) base[model.name] = res;
    let cell;
    if (res.ok) {
      const ref = base[model.name]?.out ?? res.out;
      const diff = Math.max(...res.out.map((v, i) => Math.abs(v - ref[i])));
      cell = `${res.ms.toFixed(2)} ms, diff ${diff === 0 ? '0' : diff.toExponential(1)}`;
    } else if (res.code) {
      cell = `${res.code}`;
    } else {
      cell = res.outcome;
    }
    if (res.stderr && res.stderr.trim()) cell += ' (stderr!)';
    cells.push(cell);
  }
  rows.push(`| ${label} | ${cells.join(' | ')} |`);
  process.stderr.write('.');
}
process.stderr.write('\n');
console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'}; ${RUNS} forwards per cell after one warm-up, 1 thread, default mode; median; diff = largest |output - default config's output|.\n`);
console.log(`| option (alone) | ${models.map((m) => m.name).join(' | ')} |`);
console.log(`| --- | ${models.map(() => '---').join(' | ')} |`);
for (const r of rows) console.log(r);
