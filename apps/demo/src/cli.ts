import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DigitClassifier, DigitPool, ENGINE_NAMES, type EngineName } from './engine.js';
import { MsDigitClassifier, MsDigitRunner } from './engine-mindspore.js';
import { loadHeldOut, loadModelMeta, PIXELS, sampleInput } from './heldout.js';
import { decodePngToInk } from './image.js';
import { parseNpy } from './npy.js';
import { BENCH_SCRIPT, MODEL_PATH, MS_MODEL_PATH, PACKAGE_ROOT, REPO_ROOT } from './paths.js';
import { asciiDigit, mnistPreprocess, topK } from './preprocess.js';
import { startServer, type ServerOptions } from './server.js';
import { fmtMs, median, percentile } from './stats.js';

const USAGE = `lite-demo: handwritten digits on MegEngine Lite (@lite/core) and MindSpore Lite (@lite/mindspore)

usage:
  lite-demo classify <image.png|digit.npy> [--no-preprocess] [--threads N] [--json]
      PNG: any size, white-on-black or black-on-white; MNIST-style preprocessing
      (bounding box -> 20x20, centre of mass -> centre of 28x28) unless --no-preprocess.
      NPY: 28x28, 1x28x28 or 1x1x28x28 (float in 0..1, or uint8 0..255); used as is.
  lite-demo eval [--engine megengine|mindspore|both] [--threads N] [--limit N]
      accuracy on the held-out MNIST split through @lite/core (megengine, the default),
      @lite/mindspore (mindspore: the same weights as MindIR) or both, latency median/p95;
      with both, the agreement of the engines (same argmax, max abs diff of probabilities).
      Exits 1 when an accuracy is below the model's minimum (97%) or the engines disagree.
  lite-demo serve [--port 3000] [--host 127.0.0.1] [--pool N]
      the web page: draw a digit, pick the engine (MegEngine Lite, MindSpore Lite or both side
      by side), see the top-3 classes and the inference time.
  lite-demo bench [-- options of tools/bench/run.mjs]
      the benchmark suite (C floor, Python megenginelite, @lite/core; then the same for
      MindSpore Lite: C on our shim, Python mindspore_lite, @lite/mindspore).
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'classify':
      return classifyCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function threadsOption(value: string | undefined): number {
  const n = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--threads must be an integer 1..64 (got ${value})`);
  return n;
}

/** Reads a digit file into a 28x28 model input. */
export function loadDigitFile(file: string, preprocess = true): { input: Float32Array; empty: boolean } {
  const buf = readFileSync(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    const npy = parseNpy(buf);
    const n = npy.shape.reduce((a, v) => a * v, 1);
    if (n !== PIXELS) throw new Error(`${file}: shape [${npy.shape.join(', ')}] is not 28x28`);
    const input = new Float32Array(PIXELS);
    const scale = npy.dtype === 'uint8' ? 1 / 255 : 1;
    for (let i = 0; i < PIXELS; i++) input[i] = Number(npy.data[i]) * scale;
    const max = input.reduce((a, v) => Math.max(a, v), 0);
    if (max > 1.0001) for (let i = 0; i < PIXELS; i++) input[i] = (input[i] as number) / 255; // 0..255 floats
    return { input, empty: max === 0 };
  }
  if (ext === '.png') {
    const ink = decodePngToInk(buf);
    if (!preprocess) {
      if (ink.width !== 28 || ink.height !== 28) throw new Error(`${file}: --no-preprocess needs a 28x28 PNG (got ${ink.width}x${ink.height})`);
      return { input: ink.data, empty: ink.data.every((v) => v === 0) };
    }
    return mnistPreprocess(ink);
  }
  throw new Error(`${file}: expected a .png or .npy file`);
}

async function classifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'no-preprocess': { type: 'boolean' }, threads: { type: 'string' }, json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write('usage: lite-demo classify <image.png|digit.npy>\n');
    return 2;
  }
  const { input, empty } = loadDigitFile(file, !values['no-preprocess']);
  if (empty) {
    process.stderr.write(`${file}: no ink found (blank image)\n`);
    return 1;
  }
  using clf = await DigitClassifier.create({ threads: threadsOption(values.threads) });
  const { prob, ms } = await clf.classify(input);
  const top = topK(prob, 3);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, digit: top[0]?.digit, top, prob: Array.from(prob), ms })}\n`);
    return 0;
  }
  process.stdout.write(`${asciiDigit(input)}\n\n`);
  process.stdout.write(`digit: ${top[0]?.digit}\n`);
  for (const t of top) {
    const bar = '█'.repeat(Math.round(t.prob * 40));
    process.stdout.write(`  ${t.digit}  ${(t.prob * 100).toFixed(2).padStart(6)}%  ${bar}\n`);
  }
  process.stdout.write(`inference: ${fmtMs(ms)} (@lite/core predict)\n`);
  return 0;
}

/**
 * Agreement asserted between the engines: the same argmax on every sample, probabilities within
 * this absolute difference. Both run the same float32 weights with different kernels (summation
 * order, fused ops): tools/models/export_mnist_mindspore.py measured 2.2e-6 on the held-out split;
 * 1e-4 leaves room for other CPUs' kernels and still catches a wrong weight or layer (>1e-2).
 */
const AGREEMENT_TOLERANCE = 1e-4;

function engineOption(value: string | undefined): EngineName[] {
  if (value === undefined || value === 'megengine') return ['megengine'];
  if (value === 'mindspore') return ['mindspore'];
  if (value === 'both') return [...ENGINE_NAMES];
  throw new Error(`--engine must be megengine, mindspore or both (got ${value})`);
}

interface EvalEngine extends Disposable {
  classify(input: Float32Array): Promise<{ prob: Float32Array; ms: number }>;
  classifySync(input: Float32Array): { prob: Float32Array; ms: number };
}

interface EngineRun {
  name: EngineName;
  title: string;
  model: string;
  asyncPath: string;
  syncPath: string;
  clf: EvalEngine;
  probs: Float32Array[];
  asyncMs: number[];
  syncMs: number[];
  correct: number;
  disagree: number;
}

async function openEngine(name: EngineName, threads: number): Promise<EngineRun> {
  const base = { name, probs: [], asyncMs: [], syncMs: [], correct: 0, disagree: 0 };
  const size = (file: string): string => `${path.relative(REPO_ROOT, file)} (${(statSync(file).size / 1024).toFixed(0)} KiB)`;
  if (name === 'megengine') {
    const core = await import('@lite/core');
    return {
      ...base,
      title: `MegEngine Lite ${core.version()} (@lite/core)`,
      model: size(MODEL_PATH),
      asyncPath: 'predict() async (copy in + forward off the JS thread + copy out)',
      syncPath: 'setDataByCopy + forward() + wait() + toTypedArray() sync',
      clf: await DigitClassifier.create({ threads }),
    };
  }
  const ms = await import('@lite/mindspore');
  return {
    ...base,
    title: `MindSpore Lite ${ms.version} (@lite/mindspore)`,
    model: size(MS_MODEL_PATH),
    asyncPath: 'predictAsync() (copy in + predict off the JS thread + copy out)',
    syncPath: 'predict() sync (copy in + predict + copy out)',
    clf: await MsDigitClassifier.create({ threads }),
  };
}

async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { threads: { type: 'string' }, limit: { type: 'string' }, engine: { type: 'string' } } });
  const threads = threadsOption(values.threads);
  const names = engineOption(values.engine);
  const meta = loadModelMeta();
  const held = loadHeldOut();
  const limit = values.limit === undefined ? held.count : Math.min(held.count, Number(values.limit));
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
  console.log(`lite-demo eval — MNIST held-out split: ${limit} of ${held.count} samples, never trained on (${meta.train} trained), ${threads} thread(s)`);

  const runs: EngineRun[] = [];
  try {
    for (const name of names) runs.push(await openEngine(name, threads));
    for (const r of runs) {
      console.log(`${r.title}: model ${r.model}`);
      // warm-up (first runs allocate and pick algorithms)
      for (let i = 0; i < 5; i++) await r.clf.classify(sampleInput(held, i % held.count));
    }
    // the engines take turns sample by sample, so a change of the machine's load hits both alike
    for (let i = 0; i < limit; i++) {
      const x = sampleInput(held, i);
      for (const r of runs) {
        const a = await r.clf.classify(x);
        r.asyncMs.push(a.ms);
        const s = r.clf.classifySync(x);
        r.syncMs.push(s.ms);
        const pa = argmax(a.prob);
        if (pa !== argmax(s.prob)) r.disagree++;
        if (pa === held.labels[i]) r.correct++;
        r.probs.push(a.prob);
      }
    }
  } finally {
    for (const r of runs) r.clf[Symbol.dispose]();
  }

  const min = meta.min_accuracy ?? 0.97;
  let ok = true;
  for (const r of runs) {
    const acc = r.correct / limit;
    const ref = r.name === 'megengine' ? ` — Python megenginelite measured ${(meta.accuracy_megenginelite * 100).toFixed(2)}% on the same split` : '';
    console.log('');
    console.log(`[${r.name}] accuracy: ${(acc * 100).toFixed(2)}% (${r.correct}/${limit}) through ${r.title}${ref}`);
    console.log(`[${r.name}] latency per inference, ${r.asyncPath}: median ${fmtMs(median(r.asyncMs))}, p95 ${fmtMs(percentile(r.asyncMs, 95))}`);
    console.log(`[${r.name}] latency per inference, ${r.syncPath}: median ${fmtMs(median(r.syncMs))}, p95 ${fmtMs(percentile(r.syncMs, 95))}`);
    if (r.disagree > 0) {
      console.error(`FAIL: ${r.name}: the sync and async paths disagreed on ${r.disagree} samples`);
      ok = false;
    }
    if (acc < min) {
      console.error(`FAIL: ${r.name}: accuracy ${(acc * 100).toFixed(2)}% is below ${(min * 100).toFixed(0)}%`);
      ok = false;
    }
  }
  const [a, b] = runs;
  if (a && b) {
    let same = 0;
    let maxDiff = 0;
    let worst = 0;
    for (let i = 0; i < limit; i++) {
      const pa = a.probs[i] as Float32Array;
      const pb = b.probs[i] as Float32Array;
      if (argmax(pa) === argmax(pb)) same++;
      for (let k = 0; k < pa.length; k++) {
        const d = Math.abs((pa[k] as number) - (pb[k] as number));
        if (d > maxDiff) {
          maxDiff = d;
          worst = i;
        }
      }
    }
    const ratio = (x: number[], y: number[]): string => (median(x) / median(y)).toFixed(2);
    console.log('');
    console.log(`agreement ${a.name} vs ${b.name}: same argmax on ${same}/${limit} samples; max abs diff of probabilities ${maxDiff.toExponential(2)} (sample ${worst}; tolerance ${AGREEMENT_TOLERANCE.toExponential(0)})`);
    console.log(`latency ${b.name} / ${a.name} (medians): async ${ratio(b.asyncMs, a.asyncMs)}×, sync ${ratio(b.syncMs, a.syncMs)}×`);
    if (same !== limit || maxDiff > AGREEMENT_TOLERANCE) {
      console.error(`FAIL: the engines disagree (${limit - same} different argmax, max abs diff ${maxDiff.toExponential(2)})`);
      ok = false;
    }
  }
  if (!ok) return 1;
  console.log(`OK: accuracy ≥ ${(min * 100).toFixed(0)}% on ${runs.map((r) => r.name).join(' and ')}${runs.length > 1 ? ', and the engines agree' : ''}`);
  return 0;
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (Number(p[i]) > Number(p[best])) best = i;
  return best;
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' }, pool: { type: 'string' } },
  });
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535 (got ${values.port})`);
  const size = values.pool === undefined ? undefined : Number(values.pool);
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 256)) throw new Error(`--pool must be 1..256 (got ${values.pool})`);
  const core = await import('@lite/core');
  const meta = loadModelMeta();
  const clf = await DigitPool.create(size === undefined ? {} : { size });
  // MindSpore Lite beside it: the same network (mnist.mindir) on a ModelParallelRunner. Without
  // its runtime (LITE_SKIP_MINDSPORE=1 setups) the page serves MegEngine Lite alone and says why.
  const ms = await import('@lite/mindspore');
  let msRunner: MsDigitRunner | null = null;
  let msMissing: string | null = null;
  try {
    msRunner = MsDigitRunner.create(size === undefined ? {} : { size });
  } catch (e) {
    if (!(e instanceof ms.LiteError && e.code === 'LITE_RUNTIME_NOT_FOUND')) {
      await clf.dispose();
      throw e;
    }
    msMissing = e.message;
  }
  const engines: ServerOptions['engines'] = { megengine: (x) => clf.classify(x) };
  const engineInfo: Record<string, { runtime: string; model: string; serving: string }> = {
    megengine: { runtime: `MegEngine Lite ${core.version()}`, model: 'mnist.mge', serving: `LiteNetworkPool of ${clf.pool.size}` },
  };
  if (msRunner) {
    const runner = msRunner;
    engines.mindspore = (x) => runner.classify(x);
    engineInfo['mindspore'] = { runtime: `MindSpore Lite ${ms.version}`, model: 'mnist.mindir', serving: `ModelParallelRunner of ${runner.size}` };
  }
  const running = await startServer({
    classify: (x) => clf.classify(x),
    engines,
    port,
    host: values.host ?? '127.0.0.1',
    info: {
      runtime: core.version(),
      heldoutAccuracy: meta.accuracy_megenginelite,
      threads: 1,
      pool: clf.pool.size,
      model: 'mnist.mge',
      engines: engineInfo,
    },
  });
  if (msMissing) console.log(`lite-demo serve: MindSpore Lite is not available, serving MegEngine Lite only (${msMissing})`);
  console.log(`lite-demo serve: ${running.url}/  (draw a digit; Ctrl+C stops)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  await clf.dispose();
  await msRunner?.dispose();
  return 0;
}

function benchCommand(args: string[]): Promise<number> {
  const passthrough = args[0] === '--' ? args.slice(1) : args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH_SCRIPT, ...passthrough], {
      stdio: 'inherit',
      cwd: REPO_ROOT,
      env: { ...process.env, LITE_DEMO_ROOT: PACKAGE_ROOT },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
