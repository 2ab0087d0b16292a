#!/usr/bin/env node
// Model fuzzer: mutates the fixture models (bit flips, truncation, splices, huge length fields,
// zeroed regions, byte shuffles; all from one seed, so a run is reproducible) and loads each
// mutant in a child process (load + one forward with zero inputs through @lite/core), counting
// clean LiteError / success / crash (signal or abnormal exit) / hang (timeout).
//
//   node tools/fuzz/models.mjs                        # 60 mutants, seed 1 (the bounded CI run)
//   node tools/fuzz/models.mjs --count 2000 --seed 7  # the long run, by hand
//   node tools/fuzz/models.mjs --isolated             # load through validateModel() instead:
//                                                     # the runner itself must survive every mutant
//   options: --models mlp,two_io  --jobs 8  --timeout 30000  --keep DIR (save crashing mutants)
//            --json (print only the JSON summary)
//
// Exit status: 0 when no mutant crashed or hung (in --isolated mode: when the runner survived
// and every mutant was classified), 1 otherwise.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(HERE, '../../fixtures');

/** Parses `--key value` / `--flag` arguments. */
export function parseArgs(argv) {
  const opts = { count: 60, seed: 1, models: ['mlp', 'two_io', 'dtypes', 'dynamic_batch', 'shufflenet'], jobs: Math.max(1, Math.min(8, availableParallelism() - 1)), timeout: 30_000, keep: null, json: false, isolated: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--count') opts.count = Number.parseInt(next(), 10);
    else if (a === '--seed') opts.seed = Number.parseInt(next(), 10);
    else if (a === '--models') opts.models = next().split(',').filter(Boolean);
    else if (a === '--jobs') opts.jobs = Number.parseInt(next(), 10);
    else if (a === '--timeout') opts.timeout = Number.parseInt(next(), 10);
    else if (a === '--keep') opts.keep = resolve(next());
    else if (a === '--json') opts.json = true;
    else if (a === '--isolated') opts.isolated = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 16).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.count > 0) || !(opts.jobs > 0) || !(opts.timeout > 0) || !Number.isInteger(opts.seed)) throw new Error('count, jobs, timeout must be positive and seed an integer');
  return opts;
}

/** mulberry32: a small seeded PRNG, returns floats in [0, 1). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x40000000, 0xfffffff0, 0x10000000];

/** The mutation kinds; each takes (bytes, random, donor) and returns new bytes. */
export const MUTATIONS = {
  bitflip(b, r) {
    const out = Uint8Array.from(b);
    const flips = 1 + Math.floor(r() * 16);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
    return out;
  },
  // Flips bits in the first 256 bytes only: headers and flatbuffer offsets/vtables live there.
  headerflip(b, r) {
    const out = Uint8Array.from(b);
    const span = Math.min(256, out.length);
    const flips = 1 + Math.floor(r() * 4);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * span)] ^= 1 << Math.floor(r() * 8);
    return out;
  },
  truncate(b, r) {
    return b.slice(0, Math.floor(r() * b.length));
  },
  splice(b, r, donor) {
    const len = 1 + Math.floor(r() * Math.min(4096, donor.length));
    const from = Math.floor(r() * (donor.length - len + 1));
    const at = Math.floor(r() * b.length);
    const out = Uint8Array.from(b);
    out.set(donor.subarray(from, from + Math.min(len, out.length - at)), at);
    return out;
  },
  insert(b, r, donor) {
    const len = 1 + Math.floor(r() * Math.min(1024, donor.length));
    const from = Math.floor(r() * (donor.length - len + 1));
    const at = Math.floor(r() * b.length);
    const out = new Uint8Array(b.length + len);
    out.set(b.subarray(0, at), 0);
    out.set(donor.subarray(from, from + len), at);
    out.set(b.subarray(at), at + len);
    return out;
  },
  hugelength(b, r) {
    const out = Uint8Array.from(b);
    const view = new DataView(out.buffer);
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n && out.length >= 4; i++) {
      // Length/offset fields are 4-byte aligned in flatbuffers and in MegEngine's own framing.
      const at = Math.floor(r() * Math.floor(out.length / 4)) * 4;
      view.setUint32(at, HUGE[Math.floor(r() * HUGE.length)], true);
    }
    return out;
  },
  zero(b, r) {
    const out = Uint8Array.from(b);
    const len = 1 + Math.floor(r() * Math.min(8192, out.length));
    const at = Math.floor(r() * out.length);
    out.fill(0, at, Math.min(out.length, at + len));
    return out;
  },
  ff(b, r) {
    const out = Uint8Array.from(b);
    const len = 1 + Math.floor(r() * 64);
    const at = Math.floor(r() * out.length);
    out.fill(0xff, at, Math.min(out.length, at + len));
    return out;
  },
};
/** Mutant `i` of a run with `seed`: deterministic in (seed, i, model bytes). */
export function makeMutant(seed, i, models) {
  const r = rng((seed * 1_000_003 + i * 7919) >>> 0);
  const names = Object.keys(models);
  const model = names[Math.floor(r() * names.length)];
  const donor = models[names[Math.floor(r() * names.length)]];
  const kinds = Object.keys(MUTATIONS);
  // One to three stacked mutations.
  const steps = 1 + Math.floor(r() * 3);
  let bytes = models[model];
  const applied = [];
  for (let s = 0; s < steps; s++) {
    const kind = kinds[Math.floor(r() * kinds.length)];
    bytes = MUTATIONS[kind](bytes, r, donor);
    applied.push(kind);
    if (bytes.length === 0) break;
  }
  return { model, kinds: applied, bytes };
}

function runChild(args, timeout) {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      if (err.length < 4000) err += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, out, err, timedOut });
    });
  });
}

/** Classifies one child run as ok / error / crash / hang. */
export function classify({ code, signal, out, err, timedOut }) {
  if (timedOut) return { result: 'hang' };
  const line = out.trim().split('\n').pop() ?? '';
  let parsed = null;
  try {
    parsed = JSON.parse(line);
  } catch {
    /* no report: the child died before writing it */
  }
  if (signal || code !== 0 || !parsed) return { result: 'crash', signal, exitCode: code, stderr: err.slice(-600) };
  return parsed;
}

async function pool(items, jobs, work) {
  let next = 0;
  const results = new Array(items.length);
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

/** Runs the fuzzer; returns the summary object. */
export async function fuzzModels(opts) {
  const models = {};
  for (const m of opts.models) models[m] = new Uint8Array(readFileSync(join(FIXTURES, `${m}.mge`)));
  const dir = mkdtempSync(join(tmpdir(), 'lite-fuzz-'));
  const started = Date.now();
  const counts = { ok: 0, error: 0, crash: 0, hang: 0 };
  const byCode = {};
  const crashes = [];
  const indexes = Array.from({ length: opts.count }, (_, i) => i);
  let validate = null;
  if (opts.isolated) {
    const core = await import(new URL('../../packages/core/dist/index.js', import.meta.url).href);
    if (typeof core.validateModel !== 'function') throw new Error('@lite/core has no validateModel (build packages/core)');
    validate = core.validateModel;
  }
  try {
    await pool(indexes, opts.jobs, async (i) => {
      const m = makeMutant(opts.seed, i, models);
      const file = join(dir, `mutant-${opts.seed}-${i}-${m.model}.mge`);
      writeFileSync(file, m.bytes);
      let res;
      if (validate) {
        // The runner process loads nothing itself: validateModel does it in a child.
        const v = await validate(file, { forward: true, timeout: opts.timeout });
        res = v.ok ? { result: 'ok' } : v.crashed ? { result: 'crash', signal: v.signal, exitCode: v.exitCode, stderr: v.error.message.slice(-600), contained: true } : v.timedOut ? { result: 'hang', contained: true } : { result: 'error', code: v.error.code, message: v.error.message.slice(0, 200) };
      } else {
        res = classify(await runChild([join(HERE, 'load-one.mjs'), file], opts.timeout));
      }
      counts[res.result] = (counts[res.result] ?? 0) + 1;
      if (res.result === 'error') byCode[res.code] = (byCode[res.code] ?? 0) + 1;
      if (res.result === 'crash' || res.result === 'hang') {
        crashes.push({ index: i, model: m.model, kinds: m.kinds, size: m.bytes.length, ...res });
        if (opts.keep) {
          mkdirSync(opts.keep, { recursive: true });
          writeFileSync(join(opts.keep, basename(file)), m.bytes);
        }
      }
      rmSync(file, { force: true });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  crashes.sort((a, b) => a.index - b.index);
  return { seed: opts.seed, count: opts.count, isolated: opts.isolated, models: opts.models, counts, errorCodes: byCode, crashes, seconds: (Date.now() - started) / 1000 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`models.mjs: ${e.message}\n`);
    process.exit(2);
  }
  const summary = await fuzzModels(opts);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const c = summary.counts;
    process.stdout.write(`model fuzz: seed ${summary.seed}, ${summary.count} mutants of ${summary.models.join(', ')}${summary.isolated ? ' (through validateModel)' : ''} in ${summary.seconds.toFixed(1)} s\n`);
    process.stdout.write(`  success ${c.ok}, clean LiteError ${c.error} ${JSON.stringify(summary.errorCodes)}, crash ${c.crash}, hang ${c.hang}\n`);
    for (const k of summary.crashes) process.stdout.write(`  ${k.result}: #${k.index} ${k.model} [${k.kinds.join('+')}] ${k.size} B signal=${k.signal ?? '-'} exit=${k.exitCode ?? '-'}${k.contained ? ' (contained)' : ''}\n    ${String(k.stderr ?? '').split('\n').filter(Boolean).slice(-2).join(' | ')}\n`);
  }
  const failed = summary.isolated ? false : summary.counts.crash + summary.counts.hang > 0;
  process.exit(failed ? 1 : 0);
}
