// The MindSpore Lite section of the benchmark suite (called by tools/bench/run.mjs in the same run):
// the native floor (our shim's C API in a C loop: mindspore_bench.c), Python mindspore_lite (the
// pinned 2.0.0 wheel in the Python 3.7 venv of tools/models/setup-python-mindspore.sh) and
// @lite/mindspore predict (sync and async), on a LeNet-size model (fixtures/mindspore/lenet.mindir),
// a ShuffleNet-size model (fixtures/mindspore/shufflenet.mindir, the layout of fixtures/shufflenet.mge)
// and the demo's digit network (apps/demo/models/mnist.mindir, the weights of mnist.mge), each at
// the suite's thread counts. Every engine runs in its own process, one after the other, in rounds
// where they take turns (samples pooled), with the same runtime libraries, model, input and
// Context (cpu threadNum only).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

function npyPayload(file) {
  const b = readFileSync(file);
  const len = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  return b.subarray((b[6] === 1 ? 10 : 12) + len);
}

function runtimeDir(repo) {
  if (process.env.MINDSPORE_LITE_LIB_DIR) return process.env.MINDSPORE_LITE_LIB_DIR;
  return execFileSync(process.execPath, [path.join(repo, 'tools', 'runtime', 'fetch-runtime.mjs'), '--engine', 'mindspore', '--print'], { encoding: 'utf8' }).trim();
}

/**
 * Measures the section. `ctx`: { repo, here, cacheDir, workDir, demoRoot, mnistNpy, perRound,
 * rounds, threadsList, log, runJson }. Returns the raw record (results + errors), never throws
 * for a missing engine: what could not run is listed in `errors`.
 */
export function runMindSpore(ctx) {
  const { repo, here, cacheDir, workDir, demoRoot, perRound, rounds, threadsList, log, runJson } = ctx;
  const raw = { runtime_dir: null, cc: null, models: [], c: [], python: null, node: null, errors: [] };
  const dir = runtimeDir(repo);
  raw.runtime_dir = dir;
  const shim = path.join(dir, 'liblite_mindspore_shim.so');
  if (!existsSync(shim)) {
    raw.errors.push(`mindspore: no runtime with our shim at ${dir} (node tools/runtime/fetch-runtime.mjs --engine mindspore)`);
    return raw;
  }
  const fx = path.join(repo, 'fixtures', 'mindspore');
  const models = [
    { model: 'lenet', path: path.join(fx, 'lenet.mindir'), npy: path.join(fx, 'lenet_input_b1.npy'), reference: path.join(fx, 'lenet_output_logits_b1.npy'), desc: 'fixtures/mindspore/lenet.mindir: LeNet-5, input 1x1x28x28 f32 (batch 1 of a dynamic batch), outputs logits + probs 1x10' },
    { model: 'shufflenet', path: path.join(fx, 'shufflenet.mindir'), npy: path.join(repo, 'fixtures', 'shufflenet_input.npy'), reference: path.join(fx, 'shufflenet_output_prob.npy'), desc: 'fixtures/mindspore/shufflenet.mindir: the ShuffleNet-V2 layout of fixtures/shufflenet.mge (same FLOPs, own weights), input 1x3x224x224 f32, output 1x1000' },
    { model: 'mnist', path: path.join(demoRoot, 'models', 'mnist.mindir'), npy: ctx.mnistNpy, reference: null, desc: 'apps/demo/models/mnist.mindir: the demo\'s digit network (the weights of mnist.mge), input 1x1x28x28 f32, output 1x10' },
  ];
  for (const m of models) {
    m.raw = path.join(workDir, `ms_${m.model}.raw`);
    writeFileSync(m.raw, npyPayload(m.npy));
    raw.models.push({ model: m.model, desc: m.desc, bytes: readFileSync(m.path).length });
  }
  const cases = models.flatMap((m) => threadsList.map((threads) => ({ ...m, threads })));
  const env = { GLOG_v: '3', LITE_DEMO_ROOT: demoRoot };

  const cc = process.env.CC ?? 'cc';
  const exe = path.join(cacheDir, 'mindspore_bench');
  const args = ['-O2', '-std=c11', '-Wall', '-Werror', '-I', path.join(repo, 'crates', 'mindspore-sys', 'shim'), '-o', exe, path.join(here, 'mindspore_bench.c'), '-ldl'];
  const built = spawnSync(cc, args, { encoding: 'utf8' });
  if (built.status !== 0) {
    raw.errors.push(`mindspore C floor: building failed (${cc} ${args.join(' ')}): ${built.stderr.split('\n')[0]}`);
    return raw;
  }
  raw.cc = `${cc} (${spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]})`;

  let py = process.env.LITE_BENCH_PYTHON37 ?? null;
  if (!py) {
    const r = spawnSync('bash', [path.join(repo, 'tools', 'models', 'setup-python-mindspore.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    py = r.status === 0 ? (r.stdout.trim().split('\n').pop() ?? null) : null;
    if (!py) raw.errors.push('mindspore python: no Python 3.7 venv with mindspore_lite (tools/models/setup-python-mindspore.sh failed)');
  }

  const add = (into, r, keys) => {
    const have = into.find((x) => x.model === r.model && x.threads === r.threads);
    if (!have) return into.push(r);
    for (const k of keys) have[k] = [...have[k], ...r[k]];
    return undefined;
  };
  const slim = (c) => ({ model: c.model, path: c.path, npy: c.npy, reference: c.reference, threads: c.threads });
  let nodeFailed = false;
  for (let round = 1; round <= rounds; round++) {
    log(`MindSpore round ${round}/${rounds}: C floor (our shim's C API)`);
    for (const c of cases) {
      try {
        const r = runJson(exe, [shim, c.path, c.raw, String(c.threads), String(perRound.warmup), String(perRound.iters), String(perRound.max_seconds)], env);
        add(raw.c, { model: c.model, threads: c.threads, predict: r.predict }, ['predict']);
      } catch (e) {
        raw.errors.push(`mindspore C floor (${c.model}, ${c.threads} threads): ${e.message.split('\n')[0]}`);
      }
    }
    if (py) {
      log(`MindSpore round ${round}/${rounds}: Python mindspore_lite (${py})`);
      try {
        const r = runJson(py, [path.join(here, 'suite_mindspore_py.py'), JSON.stringify({ ...perRound, cases: cases.map(slim) })], env);
        raw.python ??= { version: r.python, numpy: r.numpy, results: [] };
        for (const x of r.results) add(raw.python.results, x, ['predict']);
      } catch (e) {
        raw.errors.push(`mindspore python: ${e.message.split('\n')[0]}`);
        py = null;
      }
    }
    if (!nodeFailed) {
      log(`MindSpore round ${round}/${rounds}: @lite/mindspore`);
      try {
        const r = runJson(process.execPath, [path.join(here, 'suite_mindspore_node.mjs'), JSON.stringify({ ...perRound, cases: cases.map(slim) })], env);
        raw.node ??= { version: r.version, node: r.node, results: [] };
        for (const x of r.results) {
          const { sink: _sink, ...rest } = x;
          add(raw.node.results, rest, ['predict_sync', 'predict_async']);
        }
      } catch (e) {
        nodeFailed = true;
        raw.errors.push(`@lite/mindspore: ${e.message.split('\n')[0]}`);
      }
    }
  }
  raw.cases = cases.map((c) => ({ model: c.model, threads: c.threads }));
  return raw;
}

/**
 * The section's markdown lines. `h`: the report helpers of run.mjs { median, pct, ms, ratio, find }
 * and `mge`: the MegEngine mnist results of the same run { c, python, node } (lists of
 * { model, threads, forward_wait, forward_async }) for the two-engine table.
 */
export function reportMindSpore(raw, h, mge, cfg) {
  const { median, pct, ms, ratio, find } = h;
  const lines = [];
  lines.push('');
  lines.push('## MindSpore Lite: @lite/mindspore vs the native floor (C, our shim) vs Python mindspore_lite');
  lines.push('');
  lines.push(`- Runtime: MindSpore Lite 2.0.0 (the pinned wheel's CPU libraries in \`${raw.runtime_dir ?? '?'}\`), the same files for all three; Context: cpu, threadNum only.`);
  lines.push(`- C floor: \`tools/bench/mindspore_bench.c\`, ${raw.cc ?? '—'}, -O2: our shim's C API (the surface @lite/mindspore calls), dlopen'ed from the runtime folder; one run = \`lms_model_predict\` (copies the input in, runs) + memcpy of every output out.`);
  lines.push(`- Python ${raw.python?.version ?? '—'} mindspore_lite 2.0.0 (numpy ${raw.python?.numpy ?? '—'}): \`set_data_from_numpy\` + \`predict\` + \`get_data_to_numpy\` of every output. Ours: \`predict([x])\` / \`await predictAsync([x])\` + \`getData()\` of every output (the input Tensor made once).`);
  lines.push(`- ${cfg.warmup} warm-up runs per process, then up to ${cfg.iters} timed runs or ${cfg.max_seconds} s per engine and case, ${cfg.rounds} round(s) taking turns; medians.`);
  for (const m of raw.models) lines.push(`- ${m.desc} (${(m.bytes / 1024).toFixed(0)} KiB)`);
  const checks = (raw.node?.results ?? []).filter((r) => r.max_abs_diff_vs_reference !== null && r.max_abs_diff_vs_reference !== undefined);
  if (checks.length) lines.push(`- Output check (ours vs mindspore_lite's reference .npy): max abs diff ${Math.max(...checks.map((r) => r.max_abs_diff_vs_reference)).toExponential(1)}.`);
  const table = (stat, title) => {
    lines.push('');
    lines.push(title);
    lines.push('');
    lines.push('| model | threads | C (shim) | Python | ours sync | ours async | sync / C | async / C | sync / Python | async / Python | sync − C (µs) |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const rows = [];
    for (const c of raw.cases ?? []) {
      const cm = stat(find(raw.c, c.model, c.threads)?.predict);
      const pm = stat(find(raw.python?.results, c.model, c.threads)?.predict);
      const n = find(raw.node?.results, c.model, c.threads);
      const ns = stat(n?.predict_sync);
      const na = stat(n?.predict_async);
      const extra = Number.isFinite(ns - cm) ? ((ns - cm) / 1e3).toFixed(0) : '—';
      lines.push(`| ${c.model} | ${c.threads} | ${ms(cm)} | ${ms(pm)} | ${ms(ns)} | ${ms(na)} | ${ratio(ns, cm)} | ${ratio(na, cm)} | ${ratio(ns, pm)} | ${ratio(na, pm)} | ${extra} |`);
      rows.push({ ...c, cm, pm, ns, na });
    }
    return rows;
  };
  const rows = table(median, '### Predict, median per run (ms)');
  table((a) => pct(a, 0.1), '### The same runs, fastest decile (p10, ms)');
  lines.push('');
  const goal = (list) => (list.length === 0 ? 'met on every case' : `missed on ${list.join(', ')}`);
  const slow = rows.filter((r) => !(r.ns / r.cm <= 1.05)).map((r) => `${r.model}/${r.threads}t (${ratio(r.ns, r.cm)})`);
  const vsPy = rows.filter((r) => !(r.ns < r.pm)).map((r) => `${r.model}/${r.threads}t (${ratio(r.ns, r.pm)})`);
  const slowAsync = rows.filter((r) => !(r.na / r.cm <= 1.15)).map((r) => `${r.model}/${r.threads}t (${ratio(r.na, r.cm)})`);
  lines.push(`Goals (medians): sync ≤ 1.05× the C floor — ${goal(slow)}; sync faster than Python — ${goal(vsPy)}; async ≤ 1.15× the C floor — ${goal(slowAsync)}.`);
  lines.push('A cost per call that does not grow with the model shows as a similar "sync − C" on every model: it weighs on the');
  lines.push('small models (a run of ~0.05 ms) far more than on the ShuffleNet-size one (~1 ms).');
  if (h.handoff) {
    // The async path hands each predict to the model's thread and back: two thread wake-ups.
    const floor = median(h.handoff.handed_ns) - median(h.handoff.inline_ns);
    const extra = rows.map((r) => `${r.model}/${r.threads}t ${((r.na - r.ns) / 1e3).toFixed(0)} µs`).join(', ');
    lines.push(
      `Async over sync per run: ${extra}; the C hand-off floor of the async-path section (two thread wake-ups, no engine) is ` +
        `${(floor / 1e3).toFixed(1)} µs, so async ≤ 1.15× the C floor cannot hold for a model whose run is under ~${Math.ceil(floor / 0.15 / 1e3)} µs on this machine.`,
    );
  }
  lines.push('');
  lines.push('### The two engines on the demo\'s digit model (informative, not a goal)');
  lines.push('');
  lines.push('The same trained weights: `mnist.mge` on MegEngine Lite, `mnist.mindir` on MindSpore Lite. MegEngine columns are');
  lines.push('forward + wait on an input set once (no copies); MindSpore columns include the copy in and out (its predict always copies).');
  lines.push('');
  lines.push('| threads | statistic | MegEngine C | MegEngine Python | @lite/core sync | MindSpore C | MindSpore Python | @lite/mindspore sync | MindSpore / MegEngine (C) | (ours sync) |');
  lines.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const t of [...new Set((raw.cases ?? []).map((c) => c.threads))]) {
    for (const [label, stat] of [['median', median], ['p10', (a) => pct(a, 0.1)]]) {
      const mc = stat(find(mge.c, 'mnist', t)?.forward_wait);
      const mp = stat(find(mge.python, 'mnist', t)?.forward_wait);
      const mn = stat(find(mge.node, 'mnist', t)?.forward_wait);
      const sc = stat(find(raw.c, 'mnist', t)?.predict);
      const sp = stat(find(raw.python?.results, 'mnist', t)?.predict);
      const sn = stat(find(raw.node?.results, 'mnist', t)?.predict_sync);
      lines.push(`| ${t} | ${label} | ${ms(mc)} | ${ms(mp)} | ${ms(mn)} | ${ms(sc)} | ${ms(sp)} | ${ms(sn)} | ${ratio(sc, mc)} | ${ratio(sn, mn)} |`);
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------- dynamic batching
// A ModelParallelRunner with and without `batching` (same workersNum, same model), `inflight`
// batch-1 requests kept in flight by a closed loop (tools/bench/bench_mindspore_batching.mjs), the
// two taking turns in rounds (samples pooled), on the models with a dynamic batch dim: the demo's
// digit network exported with a batch of -1 (apps/demo/models/mnist_dynamic.mindir, made by
// tools/models/export_mnist_mindspore.py --dynamic-batch; the goal's model) and LeNet.
// The goal's setting is maxBatch 16 (a quarter of the requests in flight): while one batch runs, the
// JS thread settles the previous one and submits the next, so the two overlap. maxBatch 64 (shown
// too) swallows every request in flight into one call and the engine and JS then take turns.
const BATCHING = { workers: 2, threads: 1, inflight: 64, goal: { maxBatch: 16, maxDelayMs: 1 }, wide: { maxBatch: 64, maxDelayMs: 1 } };
const showBatching = (b) => `batching { maxBatch: ${b.maxBatch}, maxDelayMs: ${b.maxDelayMs} }`;

/**
 * Measures batching. `ctx`: { repo, here, demoRoot?, seconds, rounds, warmup, log, runJson }. Returns
 * the raw record ({ config, setups: [{ name, model, batching, completed, elapsed_ns, p50_ns, p99_ns,
 * counts }], errors }).
 */
export function runMindSporeBatching(ctx) {
  const { repo, here, seconds, rounds, warmup, log, runJson } = ctx;
  const demoRoot = ctx.demoRoot ?? path.join(repo, 'apps', 'demo');
  const fx = path.join(repo, 'fixtures', 'mindspore');
  const models = [
    { model: 'mnist', desc: '`apps/demo/models/mnist_dynamic.mindir` (the demo\'s digit network, batch -1)', input: { model: path.join(demoRoot, 'models', 'mnist_dynamic.mindir'), images: path.join(demoRoot, 'models', 'heldout_images.u8') } },
    { model: 'lenet', desc: '`fixtures/mindspore/lenet.mindir` (LeNet-5, batch -1)', input: { model: path.join(fx, 'lenet.mindir'), npy: path.join(fx, 'lenet_input_b1.npy') } },
  ];
  const base = { threads: BATCHING.threads, workers: BATCHING.workers, inflight: BATCHING.inflight, seconds, warmup };
  const raw = { config: { ...base, rounds, models: models.map((m) => ({ model: m.model, desc: m.desc })) }, setups: [], errors: [] };
  const setups = models.flatMap((m) => [
    { model: m.model, input: m.input, name: `${m.model}: no batching`, batching: null },
    { model: m.model, input: m.input, name: `${m.model}: ${showBatching(BATCHING.goal)}`, batching: BATCHING.goal, goal: true },
    { model: m.model, input: m.input, name: `${m.model}: ${showBatching(BATCHING.wide)}`, batching: BATCHING.wide },
  ]);
  for (let round = 1; round <= rounds; round++) {
    for (const s of setups) {
      log(`MindSpore batching round ${round}/${rounds}: ${s.name}`);
      try {
        const r = runJson(process.execPath, [path.join(here, 'bench_mindspore_batching.mjs'), JSON.stringify({ ...base, ...s.input, batching: s.batching })], { GLOG_v: '3' });
        const have = raw.setups.find((x) => x.name === s.name);
        if (!have) raw.setups.push({ name: s.name, model: s.model, batching: s.batching, goal: Boolean(s.goal), ...r });
        else {
          have.completed += r.completed;
          have.elapsed_ns += r.elapsed_ns;
          have.latencies_ns = [...have.latencies_ns, ...r.latencies_ns];
          if (have.counts && r.counts) have.counts = { runs: have.counts.runs + r.counts.runs, requests: have.counts.requests + r.counts.requests };
        }
      } catch (e) {
        raw.errors.push(`@lite/mindspore batching (${s.name}): ${e.message.split('\n')[0]}`);
      }
    }
  }
  // the pooled latencies as quantiles (the raw record stays small)
  for (const s of raw.setups) {
    s.p50_ns = quantile(s.latencies_ns, 0.5);
    s.p99_ns = quantile(s.latencies_ns, 0.99);
    delete s.latencies_ns;
  }
  return raw;
}

function quantile(list, q) {
  if (!list?.length) return Number.NaN;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The batching subsection's markdown lines, with its goal line. */
export function reportMindSporeBatching(raw) {
  const lines = [];
  const c = raw.config;
  lines.push('');
  lines.push(`## MindSpore Lite: dynamic batching (ModelParallelRunner, ${c.inflight} requests in flight)`);
  lines.push('');
  lines.push(`- Batch-1 requests; Context cpu.threadNum ${c.threads}, parallel.workersNum ${c.workers} for both runners; ${c.inflight} callers each \`await runner.predict([x])\` + \`getData()\` in a loop for ${c.seconds} s per round, ${c.rounds} round(s) taking turns (after ${c.warmup} warm-up requests per caller).`);
  for (const m of c.models ?? []) lines.push(`- ${m.model}: ${m.desc}`);
  lines.push('');
  lines.push('| model: runner | requests/s | p50 (ms) | p99 (ms) | requests per engine call | throughput × unbatched |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  const rows = raw.setups.map((s) => ({
    ...s,
    rps: s.completed / (s.elapsed_ns / 1e9),
    p50: s.p50_ns / 1e6,
    p99: s.p99_ns / 1e6,
  }));
  const plainOf = (m) => rows.find((r) => r.model === m && !r.batching);
  for (const r of rows) {
    const plain = plainOf(r.model);
    const per = r.counts && r.counts.runs > 0 ? (r.counts.requests / r.counts.runs).toFixed(1) : '1 (each alone)';
    const x = plain ? `${(r.rps / plain.rps).toFixed(2)}×` : '—';
    lines.push(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${per} | ${x} |`);
  }
  lines.push('');
  const goals = (c.models ?? []).map((m) => {
    const plain = plainOf(m.model);
    const batched = rows.find((r) => r.model === m.model && r.goal);
    if (!plain || !batched) return `${m.model} not measured (see errors)`;
    const speedup = batched.rps / plain.rps;
    const met = speedup >= 3 && batched.p99 <= plain.p99;
    return `${m.model} ${met ? 'met' : 'missed'} (${speedup.toFixed(2)}×; p99 ${batched.p99.toFixed(3)} ms vs ${plain.p99.toFixed(3)} ms)`;
  });
  lines.push(`Goal (${c.inflight} in flight, ${showBatching(BATCHING.goal)} vs no batching): ≥ 3× the unbatched throughput at a p99 no worse — ${goals.join('; ')}.`);
  return lines;
}

// Alone: node tools/bench/mindspore_section.mjs --batching [--seconds S] [--rounds R]
// (prints the batching subsection; `pnpm bench` runs it inside the full suite).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { batching: { type: 'boolean' }, seconds: { type: 'string' }, rounds: { type: 'string' } } });
  if (!values.batching) {
    process.stderr.write('usage: node tools/bench/mindspore_section.mjs --batching [--seconds S] [--rounds R]\n');
    process.exit(2);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const runJson = (cmd, args, env = {}) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`${path.basename(cmd)} printed no JSON`);
    return JSON.parse(line);
  };
  const raw = runMindSporeBatching({
    repo: path.resolve(here, '..', '..'),
    here,
    seconds: Number(values.seconds ?? 3),
    rounds: Number(values.rounds ?? 2),
    warmup: 20,
    log: (m) => process.stderr.write(`[bench] ${m}\n`),
    runJson,
  });
  process.stdout.write(`${reportMindSporeBatching(raw).join('\n')}\n`);
  for (const e of raw.errors) process.stdout.write(`- error: ${e}\n`);
}
