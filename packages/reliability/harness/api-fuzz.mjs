// API fuzzing child: random calls on the public @lite/core API with random arguments (including
// garbage of the wrong types) in random orders: dispose in the middle, reuse after dispose, slices
// of slices, reshape while memory is shared, concurrent forwardAsync/predict, dispose while async
// work is pending. Every failure must be a LiteError; anything else is recorded as "foreign".
// Prints one JSON summary line. The parent treats a signal / abnormal exit as an abort.
//   node harness/api-fuzz.mjs --seed 1 --steps 3000
import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as core from '@lite/core';

const { LiteError, LiteLayout, LiteNetwork, LiteTensor, LiteTensorPhase, setLogLevel, LiteLogLevel } = core;
setLogLevel(LiteLogLevel.ERROR);

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seed = arg('seed', 1);
const steps = arg('steps', 2000);

let s = seed >>> 0;
const r = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(r() * n);
const pick = (a) => a[int(a.length)];

const FIX = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const MODELS = { mlp: readFileSync(`${FIX}mlp.mge`), two_io: readFileSync(`${FIX}two_io.mge`) };

const DTYPES = ['float32', 'float16', 'int32', 'int16', 'int8', 'uint8', 'uint16'];
const GARBAGE = () =>
  pick([
    undefined, null, 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 'x', '', '\0', [], [-1], [1e9, 1e9], [NaN], [[1]], ['1'], {}, { length: -1 },
    () => 1, Symbol('s'), 10n, new Uint8Array(0), new Float32Array(3), new ArrayBuffer(5), new DataView(new ArrayBuffer(4)), Object.create(null), new Proxy({}, {}),
    { valueOf() { throw new Error('valueOf trap'); } }, [1, 2, 3, 4, 5, 6, 7, 8], new Array(7).fill(1), true,
  ]);
// Relayouts (`layout =`, `copyFrom`, `setDataBy*(data, { layout })`) are made on every kind of
// tensor, slices and IO tensors included: a relayout the engine refuses must leave the tensor as it was.
const trace = process.argv.includes('--trace');
const shape = () => Array.from({ length: 1 + int(4) }, () => 1 + int(5));

const tensors = [];
const nets = [];
const views = [];
const pending = [];
const stats = { calls: 0, ok: 0, liteErrors: {}, foreign: [], asyncOk: 0, asyncLiteErrors: 0 };

function record(e) {
  if (e instanceof LiteError) stats.liteErrors[e.code] = (stats.liteErrors[e.code] ?? 0) + 1;
  else if (stats.foreign.length < 50) stats.foreign.push(String(e?.stack ?? e).split('\n').slice(0, 3).join(' / '));
  else stats.foreign.length++;
}
function call(fn) {
  stats.calls++;
  try {
    const v = fn();
    stats.ok++;
    return v;
  } catch (e) {
    record(e);
    return undefined;
  }
}
function track(p) {
  if (!(p instanceof Promise)) return;
  pending.push(
    p.then(
      () => stats.asyncOk++,
      (e) => {
        if (e instanceof LiteError) stats.asyncLiteErrors++;
        else record(e);
      },
    ),
  );
}

const ids = new WeakMap();
let nextId = 0;
const idOf = (o) => {
  if (!ids.has(o)) ids.set(o, nextId++);
  return ids.get(o);
};
const T = () => {
  const t = tensors.length ? pick(tensors) : undefined;
  if (trace && t) writeSync(2, `@@  tensor #${idOf(t)}\n`);
  return t;
};
const N = () => (nets.length ? pick(nets) : undefined);

const OPS = [
  // construction
  () => tensors.push(call(() => new LiteTensor(new LiteLayout(shape(), pick(DTYPES)))) ?? new LiteTensor()),
  () => call(() => tensors.push(new LiteTensor(GARBAGE(), GARBAGE(), GARBAGE()))),
  () => call(() => tensors.push(new LiteTensor({ shapes: GARBAGE(), dtype: GARBAGE() }))),
  () => call(() => new LiteLayout(GARBAGE(), GARBAGE())),
  // tensor ops
  () => call(() => T()?.fillZero()),
  () => call(() => T()?.dispose()),
  () => call(() => T()?.reshape(pick([shape(), [-1], GARBAGE()]))),
  () => call(() => {
    const t = T();
    if (!t) return;
    const sh = t.layout.shapes;
    const a = sh.map((d) => int(d));
    const b = a.map((v, i) => v + 1 + int(sh[i] - v));
    const sl = t.slice(a, b, r() < 0.5 ? undefined : sh.map(() => 1 + int(2)));
    if (trace) writeSync(2, `@@  slice -> #${idOf(sl)} [${a}]..[${b}]\n`);
    tensors.push(sl);
  }),
  () => call(() => T()?.slice(GARBAGE(), GARBAGE(), GARBAGE())),
  () => call(() => T()?.setDataByCopy(pick([GARBAGE(), new Float32Array(int(40)), Array.from({ length: int(30) }, () => r() * 100), new Uint8Array(int(64))]))),
  () => call(() => {
    const t = T();
    t?.setDataByShare(pick([GARBAGE(), new Float32Array(int(40)), new Uint8Array(int(64))]), r() < 0.3 ? { layout: shape() } : undefined);
  }),
  () => call(() => {
    const v = T()?.getDataByShare();
    if (v) views.push(v);
  }),
  () => call(() => T()?.toTypedArray()),
  () => call(() => T()?.toFloat32Array()),
  () => call(() => {
    const t = T();
    t?.copyFrom(pick([T(), GARBAGE()]));
  }),
  () => call(() => {
    const t = T();
    const src = pick([T(), GARBAGE()]);
    t?.shareMemoryWith(src);
  }),
  () => call(() => {
    const t = T();
    if (t) t.layout = pick([shape(), new LiteLayout(shape(), pick(DTYPES)), GARBAGE()]);
  }),
  () => call(() => T()?.layout),
  () => call(() => [T()?.nbytes, T()?.isContinue, T()?.deviceType, T()?.deviceId, T()?.isPinnedHost, String(T())]),
  () => call(() => LiteTensor.concat(pick([[T(), T()].filter(Boolean), GARBAGE()]), pick([0, 1, -1, GARBAGE()]))),
  () => call(() => T()?.update()),
  // read a view of a tensor that may since have been disposed/reshaped/relayouted
  () => call(() => {
    const v = views.length ? pick(views) : undefined;
    if (v && v.length) v[int(v.length)] = v[0];
  }),
  // networks
  () => call(() => nets.push(new LiteNetwork())),
  () => call(() => N()?.load(pick([MODELS.mlp, MODELS.two_io, GARBAGE(), MODELS.mlp.subarray(0, int(MODELS.mlp.length))]))),
  () => track(N()?.loadAsync(pick([MODELS.mlp, MODELS.two_io, GARBAGE()]))),
  () => call(() => N()?.forward()),
  () => call(() => N()?.wait()),
  () => track(N()?.forwardAsync()),
  () => {
    const n = N();
    if (n) for (let i = 0; i < 1 + int(4); i++) track(n.forwardAsync());
  },
  () => track(N()?.predict(pick([{ data: new Float32Array(784) }, { a: new Float32Array(4), b: new Float32Array(4) }, GARBAGE(), { nope: 1 }]))),
  () => call(() => {
    const n = N();
    if (!n) return;
    const name = pick([...(call(() => n.getAllInputName()) ?? []), ...(call(() => n.getAllOutputName()) ?? []), GARBAGE()]);
    const io = n.getIoTensor(name, pick([LiteTensorPhase.LITE_INPUT, LiteTensorPhase.LITE_OUTPUT, LiteTensorPhase.LITE_IO, GARBAGE()]));
    tensors.push(io);
  }),
  () => call(() => N()?.dispose()),
  () => call(() => N()?.shareWeightsWith(pick([N(), GARBAGE()]))),
  () => call(() => N()?.shareRuntimeMemoryWith(pick([N(), GARBAGE()]))),
  () => call(() => {
    const n = N();
    if (n) n.threadsNumber = GARBAGE();
  }),
  () => call(() => N()?.getInputName(GARBAGE())),
  () => call(() => N()?.getDiscreteTensor(GARBAGE(), GARBAGE(), GARBAGE())),
  () => call(() => N()?.setNetworkAlgoWorkspaceLimit(GARBAGE())),
  () => call(() => N()?.setNetworkAlgoPolicy(GARBAGE(), GARBAGE(), GARBAGE())),
  () => call(() => N()?.extraConfigure(GARBAGE())),
  () => call(() => new LiteNetwork(GARBAGE(), GARBAGE())),
  // any method of any live object, with garbage arguments
  () => {
    const o = pick([T(), N()]);
    if (!o) return;
    const names = Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter((k) => k !== 'constructor' && typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(o), k)?.value === 'function');
    const m = pick(names);
    // Skip only the file-writing debug methods (they would litter the disk, not crash).
    if (/Dump|Profile|StaticMemory|LayoutTransformModel/.test(m)) return;
    const args = [GARBAGE(), GARBAGE(), GARBAGE()];
    if (trace) writeSync(2, `@@  ${o.constructor.name}.${m}(${args.map((a) => (typeof a === 'symbol' ? 'Symbol' : typeof a === 'bigint' ? `${a}n` : a === null || a === undefined ? String(a) : Array.isArray(a) ? JSON.stringify(a) : (a.constructor?.name ?? 'Object'))).join(', ')})\n`);
    const ret = call(() => o[m](...args));
    track(ret);
  },
  () => {
    if (r() < 0.3) globalThis.gc?.();
  },
];

const started = Date.now();
// --skip 3,21: leave these ops out (to bisect a failure); the random sequence stays the same.
const skipAt = process.argv.indexOf('--skip');
const skip = new Set(skipAt > 0 ? String(process.argv[skipAt + 1]).split(',').map(Number) : []);
for (let i = 0; i < steps; i++) {
  const op = int(OPS.length);
  if (skip.has(op)) continue;
  // --trace: the step and op index go to stderr synchronously, so the last line before an abort
  // names the call that caused it (op = index into OPS above).
  if (trace) writeSync(2, `@@step ${i} op ${op}\n`);
  OPS[op]();
  // Let async work interleave with sync calls now and then.
  if (i % 50 === 49) await new Promise((res) => setImmediate(res));
  if (tensors.length > 300) tensors.splice(0, 100);
  if (views.length > 100) views.splice(0, 50);
  if (nets.length > 12) nets.splice(0, 4);
}
await Promise.all(pending);
// Clean-up must work on everything left, whatever state it is in.
for (const t of tensors) call(() => t?.dispose?.());
for (const n of nets) call(() => n.dispose());
globalThis.gc?.();
const foreignCount = stats.foreign.length;
process.stdout.write(`${JSON.stringify({ seed, steps, seconds: (Date.now() - started) / 1000, ...stats, foreignCount })}\n`);
