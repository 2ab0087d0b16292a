// Runs inside the aarch64 Node under qemu-aarch64, in the fresh npm project that
// tools/arm64/test-linux-arm64-under-qemu.mjs installed the packed linux-arm64 tarballs into.
// One check per process (a loader caches its outcome, so a missing-package error needs its own):
//
//   node check-linux-arm64.cjs fixtures <fixture dir>                 every MindSpore fixture vs the x64 references
//   node check-linux-arm64.cjs converter <fixture dir> <work dir> [<CLI-converted .mindir>]
//   node check-linux-arm64.cjs missing-runtime <fixture dir>          the runtime package moved aside
//   node check-linux-arm64.cjs megengine                              @lite/core on linux-arm64
//
// Tolerance: the references (fixtures/mindspore, manifest.json) were computed by mindspore_lite
// on x86-64 (thread_num 1). The aarch64 runtime has its own (NEON) kernels, which may sum in
// another order and fuse multiply-adds, so float32 results can differ in the last bits. Measured
// under qemu-aarch64, thread_num 1, identical in 4 runs: largest difference lenet logits 1.07e-6,
// lenet probs 1.04e-7, two_io 0 (bit-identical), shufflenet prob 3.01e-6 (about 100 ULPs of its
// largest value, 0.27). TOLERANCE = 1e-5 is about 3x the largest measured difference (room for
// another aarch64 CPU picking another kernel variant, which this machine cannot show) and still
// far below anything that changes a result: outputs are at most 2.2 in magnitude, each row's
// top-1 class must be the reference's, and a negative control (each output against another
// output's reference) must fail the same check. docs/architecture.md has the per-fixture table.
const { readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { readNpy } = require('./npy.cjs');

const TOLERANCE = 1e-5;

function fail(message) {
  console.log(`FAIL ${message}`);
  process.exit(1);
}

if (process.arch !== 'arm64' || process.platform !== 'linux') fail(`not linux-arm64 but ${process.platform}-${process.arch}`);

function floats(npy, what) {
  if (npy.descr !== '<f4') fail(`${what}: expected float32, got ${npy.descr}`);
  const b = npy.bytes;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Largest |a[i] - b[i]|; Infinity when the lengths differ or a value is not finite. */
function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!Number.isFinite(d)) return Infinity;
    if (d > max) max = d;
  }
  return max;
}

function context(ms) {
  const c = new ms.Context();
  c.target = ['cpu'];
  c.cpu.threadNum = 1;
  return c;
}

/** Builds `file`, runs every run of `model` and compares each output with its reference. */
function runModel(ms, dir, name, model, file, label) {
  const m = new ms.Model();
  m.buildFromFile(file, ms.ModelType.MINDIR, context(ms));
  const results = [];
  for (const run of model.runs) {
    const inputs = run.inputs.map((io) => new ms.Tensor(floats(readNpy(join(dir, io.npy)), io.npy), { shape: io.shape }));
    const outputs = m.predict(inputs);
    const names = outputs.map((o) => o.name).join(',');
    if (names !== run.outputs.map((o) => o.name).join(',')) fail(`${label} ${name}: outputs ${names}`);
    run.outputs.forEach((ref, i) => {
      const got = outputs[i].getData();
      if (!(got instanceof Float32Array)) fail(`${label} ${name} ${ref.name}: not float32`);
      if (outputs[i].shape.join(',') !== ref.shape.join(',')) fail(`${label} ${name} ${ref.name}: shape ${outputs[i].shape}`);
      const want = floats(readNpy(join(dir, ref.npy)), ref.npy);
      const diff = maxAbsDiff(got, want);
      const rows = ref.shape.length === 2 ? ref.shape[0] : 0;
      for (let r = 0; r < rows; r++) {
        const width = ref.shape[1];
        const top = (a) => a.subarray(r * width, (r + 1) * width).reduce((best, v, j, row) => (v > row[best] ? j : best), 0);
        if (top(got) !== top(want)) fail(`${label} ${name} b${run.batch} ${ref.name}: row ${r} top-1 class ${top(got)}, the reference's is ${top(want)}`);
      }
      const bitIdentical = Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(readNpy(join(dir, ref.npy)).bytes);
      results.push({ fixture: `${name} b${run.batch} ${ref.name}`, diff, bitIdentical, got, want });
    });
  }
  m.dispose();
  return results;
}

function report(results, label) {
  for (const r of results) {
    const verdict = r.diff <= TOLERANCE ? 'ok' : 'OVER';
    console.log(`  ${label} ${r.fixture.padEnd(22)} max abs diff ${r.diff.toExponential(2)}${r.bitIdentical ? ' (bit-identical)' : ''}  ${verdict}`);
  }
  const over = results.filter((r) => !(r.diff <= TOLERANCE));
  if (over.length) fail(`${label}: ${over.map((r) => r.fixture).join(', ')} over the tolerance ${TOLERANCE}`);
}

function runtimeDir() {
  return require('@lite/binding').loadMindsporeRuntime();
}

const [mode, ...args] = process.argv.slice(2);

if (mode === 'fixtures') {
  const ms = require('@lite/mindspore');
  const dir = args[0];
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const results = [];
  for (const [name, model] of Object.entries(manifest.models)) {
    results.push(...runModel(ms, dir, name, model, join(dir, model.file), 'fixtures'));
  }
  const where = runtimeDir();
  if (!where.includes('node_modules/@lite/runtime-mindspore-linux-arm64-gnu/runtime')) fail(`MindSpore runtime loaded from ${where}`);
  report(results, 'fixtures');
  // Negative control: the same comparison with each output's reference swapped for the next
  // output's of equal length must exceed the tolerance, so a wrong output cannot pass.
  let controls = 0;
  for (const r of results) {
    const other = results.find((o) => o !== r && o.want.length === r.want.length && maxAbsDiff(o.want, r.want) > 0);
    if (!other) continue;
    if (maxAbsDiff(r.got, other.want) <= TOLERANCE) fail(`negative control: ${r.fixture} is within tolerance of ${other.fixture}'s reference`);
    controls++;
  }
  if (controls < 4) fail(`negative control ran on ${controls} outputs only`);
  const max = Math.max(...results.map((r) => r.diff));
  console.log(
    `fixtures: ${results.length} outputs of ${Object.keys(manifest.models).length} models within ${TOLERANCE} ` +
      `(largest ${max.toExponential(2)}; ${results.filter((r) => r.bitIdentical).length} bit-identical); ` +
      `negative control failed as it must on ${controls}; runtime from ${where.slice(where.indexOf('node_modules'))}`,
  );
} else if (mode === 'converter') {
  const ms = require('@lite/mindspore');
  const [dir, work, cliFile] = args;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const lenet = manifest.models.lenet;
  const c = new ms.Converter();
  c.saveType = ms.ModelType.MINDIR;
  c.optimize = 'none';
  const written = c.convert(ms.FmkType.ONNX, join(dir, lenet.onnx), join(work, 'lenet'));
  if (written !== join(work, 'lenet.mindir') || !existsSync(written)) fail(`Converter wrote ${written}`);
  report(runModel(ms, dir, 'lenet', lenet, written, 'Converter'), 'Converter');
  if (cliFile) report(runModel(ms, dir, 'lenet', lenet, cliFile, 'lite-convert'), 'lite-convert');
  console.log(`converter: lenet.onnx converted on linux-arm64 (Converter${cliFile ? ' and lite-convert' : ''}) predicts every batch within ${TOLERANCE}`);
} else if (mode === 'missing-runtime') {
  const ms = require('@lite/mindspore');
  let error;
  try {
    new ms.Model().buildFromFile(join(args[0], 'lenet.mindir'), ms.ModelType.MINDIR, new ms.Context());
  } catch (e) {
    error = e;
  }
  if (!error || error.code !== 'LITE_RUNTIME_NOT_FOUND' || !String(error.message).includes('@lite/runtime-mindspore-linux-arm64-gnu')) {
    fail(`expected LITE_RUNTIME_NOT_FOUND naming @lite/runtime-mindspore-linux-arm64-gnu, got ${error ? `${error.code}: ${error.message}` : 'no error'}`);
  }
  console.log(`missing runtime package: ${error.code}: ${error.message}`);
} else if (mode === 'megengine') {
  const core = require('@lite/core');
  let error;
  try {
    new core.LiteNetwork();
  } catch (e) {
    error = e;
  }
  const want =
    'MegEngine Lite has no linux-arm64 runtime (MegEngine publishes none), so @lite/core cannot run here: ' +
    'use @lite/mindspore, or set LITE_LIB_PATH to a liblite_shared.so you built.';
  if (!(error instanceof core.LiteError) || error.code !== 'LITE_RUNTIME_NOT_FOUND' || error.message !== want) {
    fail(`@lite/core: expected LITE_RUNTIME_NOT_FOUND "${want}", got ${error ? `${error.code}: ${error.message}` : 'no error'}`);
  }
  console.log(`@lite/core: ${error.code}: ${error.message}`);
} else {
  fail(`unknown mode ${mode}`);
}
