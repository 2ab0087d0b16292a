// API fuzzing child for @lite/mindspore: seeded random sequences of public API calls (Context,
// Model, Tensor, ModelParallelRunner and, lightly, Converter) with random and garbage arguments in
// random orders: junk contexts / paths / buffers / model types / config dicts, builds sync and
// async, resize to random shapes (0, negative, huge, non-integer, wrong rank), predict and
// predictAsync with random inputs (wrong dtypes and lengths, detached and shared buffers, forged
// tensors), dispose in the middle, reuse after dispose, concurrent async calls on one model and
// on a runner, runner disposal while requests are in flight. Every failure must be the package's
// LiteError with a known code and a one-line message; anything else is recorded as "foreign".
// Prints one JSON summary line. The parent treats a signal / abnormal exit as an abort.
//   node --expose-gc harness/api-fuzz-mindspore.mjs --seed 1 --steps 1500 [--trace] [--skip 3,21]
//   node harness/api-fuzz-mindspore.mjs --special fifo-model   (one non-regular-file case; see SPECIAL)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LITE_ERROR_CODES } from '@lite/common';
import * as ms from '@lite/mindspore';

const { Context, Converter, DataType, FmkType, Format, LiteError, Model, ModelParallelRunner, ModelType, Tensor } = ms;

// The codes of the one LiteError both engines throw.
const KNOWN_CODES = new Set(LITE_ERROR_CODES);

const argAt = (name) => process.argv.indexOf(`--${name}`);
const arg = (name, def) => (argAt(name) > 0 ? Number(process.argv[argAt(name) + 1]) : def);
const seed = arg('seed', 1);
const steps = arg('steps', 1500);
const trace = process.argv.includes('--trace');
const log = (line) => {
  if (trace) writeSync(2, `@@  ${line}\n`);
};

const FIX = fileURLToPath(new URL('../../../fixtures/mindspore/', import.meta.url));
const F = {
  lenet: `${FIX}lenet.mindir`,
  twoIo: `${FIX}two_io.mindir`,
  lenetOnnx: `${FIX}lenet.onnx`,
  twoIoOnnx: `${FIX}two_io.onnx`,
};
const BYTES = { lenet: readFileSync(F.lenet), twoIo: readFileSync(F.twoIo), twoIoOnnx: readFileSync(F.twoIoOnnx) };

// ---------------------------------------------------------------------------------------------
// --special NAME: one call with a path that is not a regular file (a FIFO without a writer, or
// /dev/zero). The documented contract ("the file is checked first: exists, is a readable
// non-empty file") means a quick LiteError without reading. A FIFO open blocks until a writer
// appears: after 1.5 s a worker thread opens (and closes) the FIFO's write end, so a blocked call
// ends instead of hanging and the summary's `ms` shows the wait. /dev/zero cases re-run
// themselves under `ulimit -v` so that a build that reads the device cannot exhaust the machine's
// memory; `grewMb` (peak RSS growth) shows a read-until-out-of-memory even when it ends in a
// LiteError.
const SPECIAL = {
  'fifo-model': (p) => new Model().buildFromFile(p.fifo, ModelType.MINDIR),
  'fifo-model-async': (p) => new Model().buildFromFileAsync(p.fifo, ModelType.MINDIR),
  'fifo-config': (p) => new Model().buildFromBuffer(BYTES.twoIo, ModelType.MINDIR, undefined, p.fifo),
  'fifo-runner': (p) => new ModelParallelRunner().buildFromFile(p.fifo),
  'devzero-model': () => new Model().buildFromFile('/dev/zero', ModelType.MINDIR),
  'devzero-model-async': () => new Model().buildFromFileAsync('/dev/zero', ModelType.MINDIR),
  'devzero-config': () => new Model().buildFromBuffer(BYTES.twoIo, ModelType.MINDIR, undefined, '/dev/zero'),
  'devzero-runner': () => new ModelParallelRunner().buildFromFile('/dev/zero'),
};
if (argAt('special') > 0) {
  const name = process.argv[argAt('special') + 1];
  const limitKb = 3_000_000;
  if (name.startsWith('devzero') && !process.argv.includes('--limited')) {
    // Re-run under an address-space limit (a read of /dev/zero grows until allocation fails).
    const self = fileURLToPath(import.meta.url);
    const quoted = [process.execPath, self, '--special', name, '--limited'].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -v ${limitKb} && exec ${quoted}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, encoding: 'utf8' });
    process.stderr.write(r.stderr ?? '');
    process.stdout.write(r.stdout ?? '');
    process.exitCode = r.status ?? 1;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'lite-ms-fuzz-special-'));
    const fifo = join(dir, 'fifo.mindir');
    spawnSync('mkfifo', [fifo]);
    // Load the runtime first (a build of the small fixture), so time and RSS growth are the call's own.
    new Model().buildFromBuffer(BYTES.twoIo, ModelType.MINDIR);
    const unblock = new Worker(
      `const fs = require('node:fs');
       const { workerData: fifo } = require('node:worker_threads');
       setTimeout(() => setInterval(() => {
         try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {}
       }, 50), 1500);`,
      { eval: true, workerData: fifo },
    );
    unblock.unref();
    const rssBefore = process.resourceUsage().maxRSS;
    const started = Date.now();
    let outcome;
    try {
      const v = SPECIAL[name]({ fifo });
      if (v instanceof Promise) await v;
      outcome = { result: 'ok' };
    } catch (e) {
      outcome = e instanceof LiteError ? { result: 'LiteError', code: e.code, message: e.message } : { result: 'foreign', error: String(e?.stack ?? e).split('\n')[0] };
    }
    await unblock.terminate();
    rmSync(dir, { recursive: true, force: true });
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const grewMb = Math.round((process.resourceUsage().maxRSS - rssBefore) / 1024);
    process.stdout.write(`${JSON.stringify({ special: name, ms: Date.now() - started, peakRssMb, grewMb, ...outcome })}\n`);
  }
} else {
  await fuzz();
}

async function fuzz() {
  // -------------------------------------------------------------------------------------------
  // Randomness (the same generator as api-fuzz.mjs).
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
  const chance = (p) => r() < p;

  // -------------------------------------------------------------------------------------------
  // Scratch files: junk models and config files, and the converter's output folder.
  const dir = mkdtempSync(join(tmpdir(), 'lite-ms-fuzz-'));
  const out = join(dir, 'out');
  mkdirSync(out);
  const P = {
    missing: join(dir, 'missing.mindir'),
    empty: join(dir, 'empty.mindir'),
    garbage: join(dir, 'garbage.mindir'),
    truncated: join(dir, 'truncated.mindir'),
    iniGood: join(dir, 'good.ini'),
    iniPlan: join(dir, 'plan.ini'),
    iniJunk: join(dir, 'junk.ini'),
    iniMissing: join(dir, 'missing.ini'),
  };
  writeFileSync(P.empty, '');
  writeFileSync(P.garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761 + seed) >>> 24)));
  writeFileSync(P.truncated, BYTES.lenet.subarray(0, 1 + ((seed * 7919) % (BYTES.lenet.length - 1))));
  writeFileSync(P.iniGood, '[common]\nnote=kept\n');
  writeFileSync(P.iniPlan, '[execution_plan]\nx=data_type:float16\na=data_type:float16\n');
  writeFileSync(P.iniJunk, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 40503 + seed * 13) & 0xff)));

  // -------------------------------------------------------------------------------------------
  // Value description for traces and reports (never throws).
  const labels = new WeakMap();
  const ids = new WeakMap();
  let nextId = 0;
  const idOf = (o) => {
    if (!ids.has(o)) ids.set(o, nextId++);
    return ids.get(o);
  };
  const label = (o, text) => {
    labels.set(o, text);
    return o;
  };
  function d(v, depth = 0) {
    try {
      if (v === undefined || v === null || typeof v === 'boolean') return String(v);
      if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'string') return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}...(${v.length})` : v);
      if (typeof v === 'symbol') return 'Symbol()';
      if (labels.has(v)) return labels.get(v);
      if (typeof v === 'function') return 'function';
      if (v instanceof Tensor) return `Tensor#${idOf(v)}`;
      if (v instanceof Model) return `Model#${idOf(v)}`;
      if (v instanceof ModelParallelRunner) return `Runner#${idOf(v)}`;
      if (v instanceof Context) return `Context#${idOf(v)}`;
      if (v instanceof Converter) return `Converter#${idOf(v)}`;
      if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length ?? v.byteLength})`;
      if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return `${v.constructor.name}(${v.byteLength})`;
      if (Array.isArray(v)) return depth > 1 ? `Array(${v.length})` : v.length > 8 ? `Array(${v.length})` : `[${Array.from(v, (x) => d(x, depth + 1)).join(', ')}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return proto?.constructor?.name ?? 'object';
      if (depth > 1) return '{...}';
      const keys = Object.keys(v).slice(0, 6);
      return `{${keys.map((k) => `${k}: ${d(v[k], depth + 1)}`).join(', ')}}`;
    } catch {
      return '?';
    }
  }

  // -------------------------------------------------------------------------------------------
  // Outcome bookkeeping.
  const stats = {
    calls: 0,
    ok: 0,
    liteErrors: {},
    asyncOk: 0,
    asyncLiteErrors: {},
    foreign: [],
    badMessages: [],
    invariants: [],
    hung: [],
    exercised: { builds: 0, predicts: 0, asyncPredicts: 0, resizes: 0, runnerBuilds: 0, runnerPredicts: 0, conversions: 0 },
    dtypeAssignIgnored: 0,
  };
  let where = '';
  const pending = new Map();
  let pendingId = 0;

  function note(list, text) {
    if (list.length < 60) list.push(text);
    else list.length++;
  }
  /** Classifies a throw / rejection: a LiteError with a known code and a one-line message, or foreign. */
  function classify(e, into) {
    if (e instanceof LiteError && KNOWN_CODES.has(e.code)) {
      into[e.code] = (into[e.code] ?? 0) + 1;
      if (typeof e.message !== 'string' || e.message === '' || /[\n\r]/.test(e.message)) note(stats.badMessages, `${where}: ${e.code} ${JSON.stringify(String(e.message).slice(0, 300))}`);
      return;
    }
    const head = e instanceof LiteError ? `LiteError with unknown code ${d(e.code)}: ${e.message}` : String(e?.stack ?? e).split('\n').slice(0, 3).join(' / ');
    note(stats.foreign, `${where} -> ${head.slice(0, 600)}`);
  }
  function call(fn) {
    stats.calls++;
    try {
      const v = fn();
      stats.ok++;
      return v;
    } catch (e) {
      classify(e, stats.liteErrors);
      return undefined;
    }
  }
  /**
   * Follows an async call; `onOk` runs on its result. Rejections are classified like throws.
   * `what` names an async API method (which must return a Promise) unless `any` is set.
   */
  function track(p, what, onOk, any = false) {
    if (!(p instanceof Promise)) {
      if (p !== undefined && !any) note(stats.invariants, `${where}: ${what} returned ${d(p)} instead of a Promise`);
      return;
    }
    const id = pendingId++;
    const label2 = `${where} [${what}]`;
    pending.set(id, label2);
    p.then(
      (v) => {
        stats.asyncOk++;
        if (onOk) {
          const saved = where;
          where = `${label2} (on result)`;
          call(() => onOk(v));
          where = saved;
        }
      },
      (e) => {
        const saved = where;
        where = label2;
        classify(e, stats.asyncLiteErrors);
        where = saved;
      },
    ).finally(() => pending.delete(id));
  }
  /** Whether `fn` returned without throwing (counted like `call`). */
  const succeeded = (fn) => {
    const before = stats.ok;
    call(fn);
    return stats.ok > before;
  };
  const invariant = (ok, text) => {
    if (!ok) note(stats.invariants, `${where}: ${text}`);
  };

  // -------------------------------------------------------------------------------------------
  // Garbage and junk values.
  const detached = (a) => {
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return label(a, `detached ${a.constructor.name}`);
  };
  const shared = (Ctor, n) => label(new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT)), `shared ${Ctor.name}(${n})`);
  class SubTensor extends Tensor {}
  class SubContext extends Context {}
  // Objects that pass `instanceof Tensor` without being one (no private fields).
  const forgedTensor = () =>
    pick([
      () => label(Object.create(Tensor.prototype), 'forged Object.create(Tensor.prototype)'),
      () => label(new Proxy(new Tensor(new Float32Array(6), { shape: [2, 3] }), {}), 'Proxy(Tensor)'),
      () => {
        const t = Object.create(Tensor.prototype);
        Object.defineProperty(t, 'shape', { value: [2, 3] });
        return label(t, 'forged Tensor with own shape');
      },
    ])();
  const GARBAGE = () =>
    pick([
      undefined, null, 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 2 ** 31, 'x', '', '\0', 'cpu', [], [-1], [0], [1e9, 1e9], [NaN], [[1]], ['1'], [undefined], {}, { length: -1 },
      () => 1, Symbol('s'), 10n, true, new Uint8Array(0), new Float32Array(3), new ArrayBuffer(5), new SharedArrayBuffer(8), new DataView(new ArrayBuffer(4)), Object.create(null), new Proxy({}, {}),
      label({ valueOf() { throw new Error('valueOf trap'); } }, 'valueOf-trap'), label({ toString() { throw new Error('toString trap'); } }, 'toString-trap'),
      label({ [Symbol.toPrimitive]() { throw new Error('toPrimitive trap'); } }, 'toPrimitive-trap'), [1, 2, 3, 4, 5, 6, 7, 8, 9], new Array(7), new Date(0), /re/, new Map(), Buffer.from('x'),
      detached(new Float32Array(4)), label(Object.create(Context.prototype), 'forged Context'),
    ]);

  const NUMERIC_DTYPES = [DataType.FLOAT32, DataType.FLOAT16, DataType.FLOAT64, DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64, DataType.BOOL];
  const rdtype = () => pick([...NUMERIC_DTYPES, DataType.FLOAT32, DataType.FLOAT32, DataType.UNKNOWN, 1, 99, -1, 43.5, '43', NaN, null, undefined, GARBAGE()]);
  const rformat = () => pick([Format.NCHW, Format.NHWC, Format.DEFAULT, Format.NC4HW4, 14, 999, -2, 1.5, NaN, 'NCHW', null, undefined, 2 ** 40, GARBAGE()]);
  const rname = () => pick(['', 'x', 'a', 'b', 'logits', 'sum', '\0', 'x'.repeat(1000), 10n, Symbol('n'), {}, null, undefined, 7, GARBAGE()]);
  // Dims that are wrong. Huge ones are all >= 2^33, so no TypedArray of that many elements can be
  // allocated (the fuzzer must not touch gigabytes of memory when a product check is missing).
  const HUGE = [2 ** 33, 2 ** 36 + 1, 1e12, 2 ** 53 - 1];
  const BADDIM = () => pick([0, -1, -7, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300, '2', null, undefined, 2n, {}, ...HUGE]);
  const rshape = () => {
    switch (int(8)) {
      case 0:
        return Array.from({ length: 1 + int(3) }, () => (chance(0.3) ? BADDIM() : 1 + int(5)));
      case 1:
        return Array.from({ length: 9 + int(4) }, () => 1);
      case 2:
        return GARBAGE();
      case 3:
        return [];
      default:
        return Array.from({ length: 1 + int(4) }, () => 1 + int(5));
    }
  };
  const prod = (shape) => shape.reduce((a, x) => a * x, 1);

  const ARRAYS = [Float32Array, Float32Array, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, BigInt64Array, Uint8Array, Uint16Array, Uint32Array, BigUint64Array, Uint8ClampedArray];
  const floats = (n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
    return a;
  };
  /** A TypedArray of a random kind and a length near `n`: shared, detached or offset now and then. */
  function rarray(n) {
    const Ctor = pick(ARRAYS);
    const len = Math.max(0, pick([n, n, n, 0, 1, n - 1, n + 1, n * 2, int(50)]));
    const mode = int(10);
    let a;
    if (mode === 0) a = shared(Ctor, len);
    else if (mode === 1) a = new Ctor(len + 3).subarray(3);
    else a = new Ctor(len);
    const big = Ctor === BigInt64Array || Ctor === BigUint64Array;
    for (let i = 0; i < Math.min(len, 64); i++) a[i] = big ? BigInt(int(100)) : pick([r() * 100, 0, -1, NaN, Infinity, 65535]);
    if (mode === 2) detached(a);
    return a;
  }
  /** An ndarray-like `{ data, shape, stride?, offset? }` with sane or junk parts. */
  function rndarray(shape) {
    const sh = chance(0.7) ? shape : rshape();
    const n = Array.isArray(sh) && sh.every((x) => Number.isSafeInteger(x) && x > 0 && x < 1000) ? prod(sh) : 4;
    const nd = { data: chance(0.7) ? floats(n) : rarray(n), shape: sh };
    if (chance(0.3)) nd.stride = pick([undefined, [1], Array.isArray(sh) ? sh.map(() => 1) : [1], Array.isArray(sh) ? [...sh].reverse() : [2], ['a', {}], [NaN, 1], [1.5, 0.5], [-1], [0, 0], GARBAGE()]);
    if (chance(0.2)) nd.offset = pick([0, 1, -1, 0.5, 1e9, NaN, '1', GARBAGE()]);
    return label(nd, `ndarray{shape: ${d(sh)}${nd.stride !== undefined ? `, stride: ${d(nd.stride)}` : ''}${nd.offset !== undefined ? `, offset: ${d(nd.offset)}` : ''}, data: ${d(nd.data)}}`);
  }
  const rdata = (n) => pick([() => floats(n), () => rarray(n), () => rndarray([n]), () => null, () => undefined, () => GARBAGE()])();
  const roptions = () => {
    switch (int(6)) {
      case 0:
        return undefined;
      case 1:
        return {};
      case 2:
        return { shape: rshape() };
      case 3:
        return GARBAGE();
      default: {
        const o = {};
        if (chance(0.8)) o.shape = rshape();
        if (chance(0.5)) o.dtype = rdtype();
        if (chance(0.3)) o.format = rformat();
        if (chance(0.3)) o.name = rname();
        return o;
      }
    }
  };

  const PATHS = () =>
    pick([
      P.missing, P.empty, P.garbage, P.truncated, F.lenetOnnx, dir, '', 'a\0b', 'lenet.mindir', `${dir}/${'x'.repeat(300)}`, '/dev/null', '/proc/self/status', `${F.twoIo}/x`, GARBAGE(),
    ]);
  const modelPath = () => (chance(0.4) ? F.twoIo : chance(0.3) ? F.lenet : PATHS());
  const BUFFERS = () =>
    pick([
      () => {
        const b = new Uint8Array(new SharedArrayBuffer(BYTES.twoIo.length));
        b.set(BYTES.twoIo);
        return label(b, 'shared two_io bytes');
      },
      () => label(new Float32Array(BYTES.twoIo.buffer.slice(BYTES.twoIo.byteOffset, BYTES.twoIo.byteOffset + (BYTES.twoIo.length & ~3))), 'Float32Array over two_io bytes'),
      () => label(new DataView(BYTES.twoIo.buffer, BYTES.twoIo.byteOffset, BYTES.twoIo.length), 'DataView of two_io bytes'),
      () => label(BYTES.lenet.subarray(0, int(BYTES.lenet.length)), 'truncated lenet bytes'),
      () => label(new Uint8Array(0), 'empty bytes'),
      () => label(readFileSync(P.garbage), 'garbage bytes'),
      () => label(BYTES.twoIoOnnx, 'two_io.onnx bytes'),
      () => detached(new Uint8Array(BYTES.twoIo)),
      () => GARBAGE(),
    ])();
  const modelBytes = () => (chance(0.4) ? label(BYTES.twoIo, 'two_io bytes') : chance(0.25) ? label(BYTES.lenet, 'lenet bytes') : BUFFERS());
  const modelType = () => (chance(0.85) ? ModelType.MINDIR : pick([ModelType.MINDIR_LITE, 1, -1, '0', 0.5, null, undefined, GARBAGE()]));
  const configPath = () => (chance(0.75) ? undefined : pick([null, '', P.missing, dir, P.empty, P.iniJunk, P.iniGood, P.iniPlan, P.iniMissing, '/dev/null', 'a\0b', GARBAGE()]));
  const configDict = () =>
    chance(0.7)
      ? undefined
      : pick([
          null, {}, { common: { note: 'kept' } }, { execution_plan: { x: 'data_type:float16', a: 'data_type:float16' } }, { a: { b: 'c' } }, { '': { '': '' } }, { s: { '\0': '\0' } },
          { s: { k: 'v'.repeat(10000) } }, { s: 'x' }, { s: { k: 1 } }, { s: null }, [], 'x', GARBAGE(),
        ]);

  // -------------------------------------------------------------------------------------------
  // Object pools.
  const contexts = [];
  const models = [];
  const tensors = [];
  const runners = [];
  const converters = [];
  const C = () => (contexts.length ? pick(contexts) : undefined);
  const M = () => (models.length ? pick(models) : undefined);
  const T = () => (tensors.length ? pick(tensors) : undefined);
  const R = () => (runners.length ? pick(runners) : undefined);
  const V = () => (converters.length ? pick(converters) : undefined);
  // Which fixture a model was built from (set when a build succeeds), to aim resizes at lenet.
  const kinds = new WeakMap();
  const kindOf = (src) => (src === F.lenet || src === BYTES.lenet ? 'lenet' : src === F.twoIo || src === BYTES.twoIo ? 'two_io' : 'other');
  const ML = () => {
    const lenets = models.filter((m) => kinds.get(m) === 'lenet');
    return lenets.length ? pick(lenets) : M();
  };
  // Pools grow by exactly one entry per creating step, also when the creation failed (then the
  // entry is undefined), so that their lengths, and thus later random picks, do not depend on
  // outcomes that vary with the timing of async work.
  const keep = (list, v) => {
    list.push(v);
    return v;
  };

  const okContext = () => {
    const c = new Context();
    c.cpu.threadNum = 1 + int(2);
    return c;
  };
  const assign = (o, k, v) => {
    // Plain data fields of a Context: assigning can only fail for harness reasons (a primitive).
    try {
      o[k] = v;
    } catch {
      /* not an API call */
    }
  };
  // Reads a field for the harness's own use: on a forged Context (Object.create(Context.prototype))
  // the accessors throw the ordinary TypeError of a private field read through a foreign `this`,
  // which is not an API finding.
  const peek = (o, k) => {
    try {
      return o?.[k];
    } catch {
      return undefined;
    }
  };
  const objField = (c, k) => {
    const v = peek(c, k);
    if (typeof v !== 'object' || v === null) assign(c, k, {});
    return peek(c, k) ?? {};
  };
  const CTX_MUTATIONS = [
    (c) => assign(c, 'target', pick([['cpu'], ['cpu'], ['gpu'], ['ascend'], ['cpu', 'gpu'], ['gpu', 'cpu'], [], 'cpu', ['CPU'], [GARBAGE()], new Array(3), GARBAGE()])),
    (c) => assign(objField(c, 'cpu'), 'threadNum', pick([1, 2, 4, 64, 100000, 0, -1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53 - 1, '2', GARBAGE()])),
    (c) => assign(objField(c, 'cpu'), 'interOpParallelNum', pick([1, 2, 4, 100000, 0, -1, 1.5, 2 ** 31, 2 ** 53 - 1, GARBAGE()])),
    (c) => assign(objField(c, 'cpu'), 'threadAffinityMode', pick([0, 1, 2, 3, -1, 1.5, NaN, '1', GARBAGE()])),
    (c) => assign(objField(c, 'cpu'), 'threadAffinityCoreList', pick([[0], [0, 1], [1], [1e9, 5], [2 ** 31], [2 ** 53 - 1], [], [-1], [0.5], [NaN], 'x', new Array(3), GARBAGE()])),
    (c) => assign(objField(c, 'cpu'), 'precisionMode', pick(['enforce_fp32', 'preferred_fp16', 'fp8', '', 1, GARBAGE()])),
    (c) => assign(c, 'cpu', pick([{}, null, undefined, 'x', GARBAGE()])),
    (c) => assign(objField(c, 'gpu'), pick(['deviceId', 'precisionMode']), GARBAGE()),
    (c) => assign(objField(c, 'ascend'), pick(['deviceId', 'precisionMode', 'provider']), pick(['ge', GARBAGE()])),
    (c) => assign(objField(c, 'parallel'), 'workersNum', pick([1, 2, 3, 0, -1, 1.5, 33, 10000, 2 ** 31, NaN, '2', GARBAGE()])),
    (c) => assign(objField(c, 'parallel'), 'configInfo', configDict()),
    (c) => assign(objField(c, 'parallel'), 'configPath', configPath()),
    (c) => assign(c, pick(['parallel', 'gpu', 'ascend']), GARBAGE()),
  ];
  const ctxArg = () =>
    pick([
      () => undefined,
      () => C(),
      () => C(),
      () => okContext(),
      () => okContext(),
      () => GARBAGE(),
      () => label({ target: ['cpu'], cpu: {} }, 'plain {target, cpu}'),
      () => label(Object.create(Context.prototype), 'forged Context'),
      () => label(new SubContext(), 'SubContext'),
      () => {
        const c = okContext();
        return label(new Proxy(c, {}), `Proxy(Context#${idOf(c)})`);
      },
    ])();

  // Builds: lenet costs ~130 ms, two_io ~30 ms, a runner ~150 ms; conversions go through the
  // 57 MB converter library. Successful ones are capped per seed to keep a seed within seconds.
  const CAP = { lenetBuilds: 12, runnerBuilds: 3, conversions: 2 };
  let lenetBuilds = 0;
  const lenetAllowed = () => lenetBuilds < CAP.lenetBuilds;
  const pathArg = () => {
    const p = modelPath();
    if (p === F.lenet) {
      if (!lenetAllowed()) return F.twoIo;
      lenetBuilds++;
    }
    return p;
  };
  const bytesArg = () => {
    const b = modelBytes();
    if (b === BYTES.lenet) {
      if (!lenetAllowed()) return label(BYTES.twoIo, 'two_io bytes');
      lenetBuilds++;
    }
    return b;
  };

  // -------------------------------------------------------------------------------------------
  // Inputs: fitted to a model (so that predicts run) and then perhaps broken.
  // After a resize to a huge batch (accepted by the engine up to 2^31-1) the current shape is
  // huge: such dims are replaced by `batch` so that the harness never allocates gigabytes.
  const sane = (shape, batch) => shape.map((x) => (x < 0 || x > 64 ? batch : x));
  function fitted(src, batch) {
    const ins = src.getInputs();
    return ins.map((t) => {
      const shape = sane(t.shape, batch);
      return new Tensor(floats(prod(shape)), { shape, name: t.name });
    });
  }
  /** `src.getInputs()` with data set in place (a flat array fixes a dynamic dim from its length). */
  function filledInPlace(src, batch) {
    const ins = src.getInputs();
    for (const t of ins) {
      t.setData(floats(prod(sane(t.shape, batch))));
    }
    return ins;
  }
  function randInputs(src) {
    const batch = pick([1, 1, 2, 3, 4, 16]);
    const how = int(10);
    const breakIt = int(20);
    const junk = int(1000);
    let inputs;
    if (how === 0) return GARBAGE();
    if (how === 1) return Array.from({ length: 1 + int(3) }, () => T());
    inputs = call(() => (how < 5 ? filledInPlace(src, batch) : fitted(src, batch)));
    if (!Array.isArray(inputs)) return inputs;
    const i = junk % Math.max(1, inputs.length);
    switch (breakIt) {
      case 0:
        inputs[i] = forgedTensor();
        break;
      case 1:
        inputs[i] = pick([GARBAGE(), T(), floats(6), new SubTensor(floats(6), { shape: [2, 3] })]);
        break;
      case 2:
        inputs[i] = call(() => new Tensor(rarray(prod(inputs[i].shape)), { shape: inputs[i].shape, dtype: rdtype() })) ?? inputs[i];
        break;
      case 3:
        inputs[i] = call(() => new Tensor(floats(12), { shape: pick([[12], [3, 4], [1, 2, 2, 3], [2, 6]]) })) ?? inputs[i];
        break;
      case 4:
        inputs.pop();
        break;
      case 5:
        inputs.push(T());
        break;
      case 6:
        inputs = call(() => src.getInputs()) ?? inputs; // no data yet
        break;
      case 7:
        inputs.reverse();
        break;
      case 8:
        inputs = label({ 0: inputs[0], length: inputs.length }, 'array-like of tensors');
        break;
      default:
        break;
    }
    return inputs;
  }
  function resizeArgs(m) {
    const batch = pick([1, 2, 3, 4, 8, 64, 0, -1, -7, 1.5, NaN, Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 1e8, '2', null, ...HUGE]);
    const mode = int(8);
    const ins = call(() => m.getInputs());
    if (!Array.isArray(ins)) return [GARBAGE(), GARBAGE()];
    // 2^31-1 and 1e8 batches stay below 2^33 elements only with a fixed part >= 784 (lenet);
    // with two_io's [2, 3] they would be a 25 GB array, so there they become 2^33.
    const isLenet = ins.length === 1 && ins[0]?.name === 'x';
    const b = !isLenet && (batch === 2 ** 31 - 1 || batch === 1e8 || batch === 2 ** 31 || batch === 2 ** 32 + 1) ? 2 ** 33 : batch;
    const dimsOf = (t) => (t.shape.some((x) => x < 0) ? t.shape.map((x) => (x < 0 ? b : x)) : mode === 0 ? [b, ...t.shape.slice(1)] : t.shape);
    switch (mode) {
      case 1:
        return [ins, ins.map(() => rshape())];
      case 2:
        return [ins, ins.map((t) => [...dimsOf(t), 1])];
      case 3:
        return [ins.slice(1), ins.map(dimsOf)];
      case 4:
        return [[pick([forgedTensor(), T(), GARBAGE()])], [dimsOf(ins[0])]];
      case 5:
        return [GARBAGE(), GARBAGE()];
      default:
        return [ins, ins.map(dimsOf)];
    }
  }
  /** After a successful predict: the outputs are Tensors whose data fits their shape. */
  function checkOutputs(outs, what) {
    if (!Array.isArray(outs)) return note(stats.invariants, `${what}: outputs ${d(outs)} are not an array`);
    for (const o of outs) {
      if (!(o instanceof Tensor)) return note(stats.invariants, `${what}: output ${d(o)} is not a Tensor`);
      const n = o.getData().length;
      invariant(n === o.elementNum && n > 0, `${what}: output ${JSON.stringify(o.name)} shape ${d(o.shape)} has ${n} elements of data`);
    }
  }
  function checkTensor(t) {
    if (!(t instanceof Tensor) || labels.has(t)) return; // forged ones are not checked
    const shape = t.shape;
    const n = t.getData().length;
    invariant(Array.isArray(shape), `Tensor#${idOf(t)}: shape ${d(shape)}`);
    invariant(n === 0 || n === t.elementNum, `Tensor#${idOf(t)}: shape ${d(shape)} (elementNum ${t.elementNum}) holds ${n} elements`);
    invariant(t.dataSize === t.elementNum * t.getData().BYTES_PER_ELEMENT, `Tensor#${idOf(t)}: dataSize ${t.dataSize} for ${t.elementNum} elements`);
  }

  // -------------------------------------------------------------------------------------------
  // The operations: [name, weight, fn]. --trace prints each step's op and its arguments.
  const OPS = [
    // Context
    ['newContext', 2, () => keep(contexts, pick([() => new Context(), okContext, () => new SubContext()])())],
    [
      'mutateContext',
      6,
      () => {
        const c = C();
        if (!c) return;
        const k = int(CTX_MUTATIONS.length);
        CTX_MUTATIONS[k](c);
        log(`Context#${idOf(c)} mutation ${k} -> ${d(c)} cpu=${d(c.cpu)} parallel=${d(c.parallel)}`);
      },
    ],
    // Model build
    ['newModel', 2, () => keep(models, new Model())],
    [
      'newBuiltModel',
      4,
      () => {
        // A well-formed build (sync or async), so that most steps work on a usable model.
        const m = keep(models, new Model());
        const lenet = lenetAllowed() && chance(0.3);
        if (lenet) lenetBuilds++;
        const built = () => {
          stats.exercised.builds++;
          kinds.set(m, lenet ? 'lenet' : 'two_io');
        };
        const ctx = chance(0.5) ? okContext() : undefined;
        const how = int(4);
        log(`Model#${idOf(m)} ${['buildFromFile', 'buildFromBuffer', 'buildFromFileAsync', 'buildFromBufferAsync'][how]}(${lenet ? 'lenet' : 'two_io'}, ${d(ctx)})`);
        if (how === 0 && succeeded(() => m.buildFromFile(lenet ? F.lenet : F.twoIo, ModelType.MINDIR, ctx))) built();
        if (how === 1 && succeeded(() => m.buildFromBuffer(lenet ? BYTES.lenet : BYTES.twoIo, ModelType.MINDIR, ctx))) built();
        if (how === 2) track(call(() => m.buildFromFileAsync(lenet ? F.lenet : F.twoIo, ModelType.MINDIR, ctx)), 'build', built);
        if (how === 3) track(call(() => m.buildFromBufferAsync(lenet ? BYTES.lenet : BYTES.twoIo, ModelType.MINDIR, ctx)), 'build', built);
      },
    ],
    [
      'buildFromFile',
      4,
      () => {
        const m = M();
        const a = [pathArg(), modelType(), ctxArg(), configPath(), configDict()];
        log(`Model#${m && idOf(m)}.buildFromFile(${a.map((x) => d(x)).join(', ')})`);
        if (m && succeeded(() => m.buildFromFile(...a))) {
          stats.exercised.builds++;
          kinds.set(m, kindOf(a[0]));
        }
      },
    ],
    [
      'buildFromBuffer',
      4,
      () => {
        const m = M();
        const a = [bytesArg(), modelType(), ctxArg(), configPath(), configDict()];
        log(`Model#${m && idOf(m)}.buildFromBuffer(${a.map((x) => d(x)).join(', ')})`);
        if (m && succeeded(() => m.buildFromBuffer(...a))) {
          stats.exercised.builds++;
          kinds.set(m, kindOf(a[0]));
        }
      },
    ],
    [
      'buildAsync',
      5,
      () => {
        const m = M();
        if (!m) return;
        // One to three async builds on one model at once (queued; later ones find it built).
        for (let k = 1 + int(3); k > 0; k--) {
          const file = chance(0.5);
          const a = [file ? pathArg() : bytesArg(), modelType(), ctxArg(), configPath(), configDict()];
          log(`Model#${idOf(m)}.${file ? 'buildFromFileAsync' : 'buildFromBufferAsync'}(${a.map((x) => d(x)).join(', ')})`);
          track(call(() => (file ? m.buildFromFileAsync(...a) : m.buildFromBufferAsync(...a))), 'build', () => {
            stats.exercised.builds++;
            kinds.set(m, kindOf(a[0]));
          });
        }
      },
    ],
    // Model queries
    [
      'getInputsOutputs',
      4,
      () => {
        const m = M();
        const which = int(5);
        const name = pick(['x', 'a', 'b', 'logits', 'probs', 'sum', 'prod', '', GARBAGE()]);
        const at = int(1000);
        log(`Model#${m && idOf(m)} query ${which} name ${d(name)}`);
        if (!m) return;
        const got = call(() => [() => m.getInputs(), () => m.getOutputs(), () => [m.getInputByTensorName(name)], () => [m.getOutputByTensorName(name)], () => [m.built]][which]());
        keep(tensors, Array.isArray(got) && got[at % got.length] instanceof Tensor ? got[at % got.length] : undefined);
      },
    ],
    [
      'resize',
      5,
      () => {
        const m = chance(0.6) ? ML() : M();
        if (!m) return;
        const [ins, dims] = resizeArgs(m);
        log(`Model#${idOf(m)}.resize(${d(ins)}, ${d(dims)})`);
        if (succeeded(() => m.resize(ins, dims))) stats.exercised.resizes++;
        if (Array.isArray(ins)) for (const t of ins) call(() => checkTensor(t));
      },
    ],
    // Predict
    [
      'predict',
      10,
      () => {
        const m = chance(0.3) ? ML() : M();
        if (!m) return;
        const ins = randInputs(m);
        log(`Model#${idOf(m)}.predict(${d(ins)})`);
        const outs = call(() => m.predict(ins));
        if (outs !== undefined) {
          stats.exercised.predicts++;
          checkOutputs(outs, 'predict');
        }
      },
    ],
    [
      'predictAsync',
      10,
      () => {
        const m = M();
        if (!m) return;
        // Concurrent async calls on one model, perhaps a sync call or a dispose right behind them.
        for (let k = 1 + int(5); k > 0; k--) {
          const ins = randInputs(m);
          log(`Model#${idOf(m)}.predictAsync(${d(ins)})`);
          track(call(() => m.predictAsync(ins)), 'predictAsync', (outs) => {
            stats.exercised.asyncPredicts++;
            checkOutputs(outs, 'predictAsync');
          });
        }
        const after = pick([0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
        log(`  then ${['nothing', 'sync predict', 'getInputs', 'dispose', 'resize', 'build'][after]}`);
        if (after === 1) call(() => m.predict(randInputs(m)));
        if (after === 2) call(() => m.getInputs());
        if (after === 3) call(() => m.dispose());
        if (after === 4) call(() => m.resize(...resizeArgs(m)));
        if (after === 5) call(() => m.buildFromFile(F.twoIo, ModelType.MINDIR));
      },
    ],
    [
      'unsupported',
      1,
      () => {
        const m = M();
        log(`Model#${m && idOf(m)} updateWeights/getModelInfo`);
        if (m) call(() => (chance(0.5) ? m.updateWeights(pick([[], [[T()]], GARBAGE()])) : m.getModelInfo(pick(['current_pid', GARBAGE()]))));
      },
    ],
    [
      'disposeModel',
      2,
      () => {
        const m = M();
        log(`Model#${m && idOf(m)}.dispose`);
        if (m) call(() => (chance(0.7) ? m.dispose() : m[Symbol.dispose]()));
      },
    ],
    [
      'dropModel',
      1,
      () => {
        // Forget a model without disposing it (the finalizer frees it), async work perhaps pending.
        if (models.length) models.splice(int(models.length), 1);
        if (chance(0.5)) globalThis.gc?.();
      },
    ],
    // Tensor
    [
      'newTensor',
      8,
      () => {
        const n = pick([1, 6, 12, 784, int(40)]);
        const data = rdata(n);
        const opts = roptions();
        log(`new Tensor(${d(data)}, ${d(opts)})`);
        const t = keep(tensors, call(() => (chance(0.1) ? new SubTensor(data, opts) : new Tensor(data, opts))));
        if (t) call(() => checkTensor(t));
      },
    ],
    [
      'setData',
      6,
      () => {
        const t = T();
        if (!t) return;
        // A tensor left with a huge shape (see the shape-setter invariant) must not make the harness allocate.
        const en = call(() => t.elementNum);
        const n = en > 0 && en <= 1 << 16 ? en : 6;
        const data = pick([() => floats(n), () => rarray(n), () => rndarray(t.shape), () => floats(n * pick([2, 3])), () => GARBAGE()])();
        log(`Tensor#${idOf(t)}.setData(${d(data)})`);
        call(() => t.setData(data));
        call(() => checkTensor(t));
      },
    ],
    [
      'setShapeFormatDtype',
      5,
      () => {
        const t = T();
        if (!t) return;
        const which = int(3);
        const v = which === 0 ? (chance(0.3) ? t.shape.map((x) => (x < 0 ? 2 : x)) : rshape()) : which === 1 ? rformat() : rdtype();
        log(`Tensor#${idOf(t)}.${['shape', 'format', 'dtype'][which]} = ${d(v)}`);
        if (which === 0) call(() => (t.shape = v));
        if (which === 1) call(() => (t.format = v));
        // `dtype` has no setter (read-only as in the API doc); an assignment must not change it.
        if (which === 2) {
          const before = t.dtype;
          if (!Reflect.set(t, 'dtype', v)) stats.dtypeAssignIgnored++;
          invariant(t.dtype === before, `Tensor#${idOf(t)}: dtype changed by an assignment`);
        }
        call(() => checkTensor(t));
      },
    ],
    [
      'readTensor',
      4,
      () => {
        const t = T();
        if (!t) return;
        log(`Tensor#${idOf(t)} getters + getData`);
        call(() => [t.name, t.dtype, t.format, t.shape, t.elementNum, t.dataSize, t.getData()]);
        call(() => checkTensor(t));
      },
    ],
    // ModelParallelRunner
    [
      'newRunner',
      1,
      () => {
        const ctx = chance(0.6) ? okContext() : ctxArg();
        if (ctx instanceof Context && chance(0.8)) assign(objField(ctx, 'parallel'), 'workersNum', pick([1, 2, 2, 3, 0, -1, 1.5, 33, 10000, 2 ** 31, NaN, '2', undefined, GARBAGE()]));
        let p = chance(0.6) ? F.twoIo : chance(0.3) ? F.lenet : PATHS();
        if ((p === F.twoIo || p === F.lenet) && stats.exercised.runnerBuilds >= CAP.runnerBuilds) p = PATHS();
        const rn = keep(runners, new ModelParallelRunner());
        log(`Runner#${idOf(rn)}.buildFromFile(${d(p)}, ${d(ctx)} workersNum=${d(peek(peek(ctx, 'parallel'), 'workersNum'))})`);
        if (succeeded(() => rn.buildFromFile(p, ctx))) stats.exercised.runnerBuilds++;
      },
    ],
    [
      'runnerPredict',
      6,
      () => {
        const rn = R();
        if (!rn) return;
        const k = 1 + int(6);
        const disposeAt = chance(0.15) ? int(k + 1) : -1;
        for (let i = 0; i < k; i++) {
          if (i === disposeAt) {
            log(`Runner#${idOf(rn)}.dispose (requests in flight)`);
            call(() => rn.dispose());
          }
          const ins = randInputs(rn);
          log(`Runner#${idOf(rn)}.predict(${d(ins)})`);
          track(call(() => rn.predict(ins)), 'runner.predict', (outs) => {
            stats.exercised.runnerPredicts++;
            checkOutputs(outs, 'runner.predict');
          });
        }
      },
    ],
    [
      'runnerMisc',
      2,
      () => {
        const rn = R();
        if (!rn) return;
        const which = int(5);
        log(`Runner#${idOf(rn)} misc ${which}`);
        if (which === 0) call(() => rn.getInputs());
        if (which === 1) call(() => rn.getOutputs());
        if (which === 2) call(() => rn.buildFromFile(pick([F.twoIo, PATHS()]), ctxArg())); // a second build
        if (which === 3) call(() => (chance(0.5) ? rn.dispose() : rn[Symbol.dispose]()));
        if (which === 4) track(call(() => rn.predict(GARBAGE())), 'runner.predict(garbage)');
      },
    ],
    // Converter (settings are cheap; conversions that reach the engine are capped per seed)
    [
      'converterSettings',
      2,
      () => {
        const c = chance(0.8) && V() ? V() : keep(converters, new Converter());
        const key = pick(['weightFp16', 'inputShape', 'inputFormat', 'inputDataType', 'outputDataType', 'saveType', 'optimize', 'device', 'infer', 'enableEncryption', 'encryptKey', 'decryptKey', 'decryptMode', 'setConfigInfo', 'read']);
        const v = pick([
          true, false, 'none', 'general', 'ascend_oriented', 'Ascend', 'AES-GCM', 'AES-CBC', '30313233343637383939414243444546', 'zz', 'abc', Format.NCHW, Format.NHWC, DataType.FLOAT32, DataType.INT8, ModelType.MINDIR_LITE,
          { a: [2, 3] }, { x: [-1] }, { x: [1.5] }, { x: 'x' }, GARBAGE(),
        ]);
        log(`Converter#${idOf(c)}.${key} = ${d(v)}`);
        if (key === 'read') call(() => [c.weightFp16, c.inputShape, c.inputFormat, c.inputDataType, c.outputDataType, c.saveType, c.optimize, c.device, c.infer, c.enableEncryption, c.encryptKey, c.decryptKey, c.decryptMode, c.getConfigInfo()]);
        else if (key === 'setConfigInfo') call(() => c.setConfigInfo(pick(['common_quant_param', '', 'x', GARBAGE()]), pick([{ quant_type: 'WEIGHT_QUANT', bit_num: '8' }, { k: 1 }, {}, GARBAGE()])));
        else call(() => (c[key] = v));
      },
    ],
    [
      'convert',
      1,
      () => {
        const c = V() ?? keep(converters, new Converter());
        const engine = stats.exercised.conversions < CAP.conversions && chance(0.5);
        const modelFile = engine ? pick([F.twoIoOnnx, F.twoIoOnnx, P.garbage, F.twoIo]) : pick([P.missing, '', dir, 'a\0b', GARBAGE()]);
        const args = [
          pick([FmkType.ONNX, FmkType.ONNX, FmkType.ONNX, FmkType.TF, FmkType.CAFFE, FmkType.MINDIR, FmkType.TFLITE, FmkType.PYTORCH, 42, GARBAGE()]),
          modelFile,
          pick([join(out, `c${int(1000)}`), join(out, `c${int(1000)}`), join(dir, 'no-such-folder', 'x'), join(P.garbage, 'x'), '', GARBAGE()]),
          pick([undefined, undefined, undefined, '', P.missing, P.garbage, GARBAGE()]),
          pick([undefined, undefined, undefined, '', P.iniMissing, P.iniJunk, GARBAGE()]),
        ];
        if (engine) stats.exercised.conversions++;
        const isAsync = chance(0.5);
        log(`Converter#${idOf(c)}.${isAsync ? 'convertAsync' : 'convert'}(${args.map((x) => d(x)).join(', ')})`);
        if (isAsync) track(call(() => c.convertAsync(...args)), 'convertAsync');
        else call(() => c.convert(...args));
      },
    ],
    // Any public method of any live object, with garbage arguments.
    [
      'anyMethod',
      3,
      () => {
        const o = pick([T(), M(), R(), V()]);
        if (!o) return;
        const proto = Object.getPrototypeOf(o) === SubTensor.prototype ? Tensor.prototype : Object.getPrototypeOf(o);
        const names = Reflect.ownKeys(proto).filter((k) => k !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, k)?.value === 'function');
        const m = pick(names);
        const args = [GARBAGE(), GARBAGE(), GARBAGE(), GARBAGE(), GARBAGE()];
        // Conversions reaching the engine are capped; the garbage here never names an existing file.
        log(`${d(o)}.${String(m)}(${args.map((a) => d(a)).join(', ')})`);
        track(call(() => o[m](...args)), String(m), undefined, true);
      },
    ],
    [
      'gc',
      1,
      () => {
        if (chance(0.3)) globalThis.gc?.();
      },
    ],
  ];

  const total = OPS.reduce((a, [, w]) => a + w, 0);
  const pickOp = () => {
    let x = int(total);
    for (let i = 0; i < OPS.length; i++) {
      x -= OPS[i][1];
      if (x < 0) return i;
    }
    return OPS.length - 1;
  };

  const started = Date.now();
  // --skip 3,21: leave these ops out (to bisect a failure); the random sequence stays the same.
  const skip = new Set(argAt('skip') > 0 ? String(process.argv[argAt('skip') + 1]).split(',').map(Number) : []);
  // A few models and contexts to start with, so that the first steps have something to work on.
  for (let i = 0; i < 3; i++) keep(models, new Model());
  keep(contexts, okContext());
  for (let i = 0; i < steps; i++) {
    // Each step draws from its own stream (seed, step): when the timing of async work changes
    // what one step does, the following steps still make the same choices (--trace replays).
    s = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
    r();
    const op = pickOp();
    if (skip.has(op)) continue;
    where = `step ${i} op ${op} ${OPS[op][0]}`;
    // --trace: the step and op go to stderr synchronously, so the last lines before an abort name
    // the call that caused it.
    if (trace) writeSync(2, `@@step ${i} op ${op} ${OPS[op][0]}\n`);
    OPS[op][2]();
    // Let async work interleave with sync calls now and then.
    if (i % 10 === 9) await new Promise((res) => setImmediate(res));
    if (i % 200 === 199) await new Promise((res) => setTimeout(res, 5));
    if (tensors.length > 200) tensors.splice(0, 100);
    if (contexts.length > 10) contexts.splice(0, 3);
    if (models.length > 10) for (const m of models.splice(0, 3)) if (chance(0.5)) call(() => m.dispose());
    if (runners.length > 3) for (const rn of runners.splice(0, 1)) call(() => rn.dispose());
    if (converters.length > 3) converters.splice(0, 1);
  }
  where = 'end: waiting for async calls';
  // Every async call settles (a runner disposed mid-request included) within a bound.
  const deadline = Date.now() + 30_000;
  while (pending.size && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  for (const what of pending.values()) note(stats.hung, what);
  // Clean-up must work on everything left, whatever state it is in.
  where = 'end: dispose';
  for (const m of models) call(() => m.dispose());
  for (const rn of runners) call(() => rn.dispose());
  globalThis.gc?.();
  rmSync(dir, { recursive: true, force: true });
  const summary = { seed, steps, seconds: (Date.now() - started) / 1000, ...stats, foreignCount: stats.foreign.length };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  // A hung async call would keep the process alive; report it and leave.
  if (stats.hung.length) process.exit(3);
}
