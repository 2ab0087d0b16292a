// The dynamic batching section of the benchmark suite (called by tools/bench/run.mjs in the full
// run, or alone with `node tools/bench/run.mjs --only batching`): `LiteNetworkPool` with
// `batching: { maxBatch, maxDelayMs }` against the unbatched pool of the same size, 64 requests
// in flight (closed loop: each client sends its next one-row request when the previous settled),
// on the demo's digit model and fixtures/dynamic_batch.mge. The two pools take turns in rounds
// (samples pooled), each in its own process (tools/bench/bench_serve.mjs).
import path from 'node:path';

/** The setups compared on every model (the same size, so batching is the only difference). */
export const BATCHING_SIZE = 2;
export const BATCHING_OPTIONS = { maxBatch: 16, maxDelayMs: 1 };
const INFLIGHT = 64;

function setups() {
  return [
    { name: `LiteNetworkPool size ${BATCHING_SIZE}`, kind: 'pool', size: BATCHING_SIZE, inplace: true },
    { name: `LiteNetworkPool size ${BATCHING_SIZE}, batching maxBatch ${BATCHING_OPTIONS.maxBatch}, maxDelayMs ${BATCHING_OPTIONS.maxDelayMs}`, kind: 'pool', size: BATCHING_SIZE, inplace: true, batching: BATCHING_OPTIONS },
  ];
}

/**
 * Measures the section. `ctx`: { here, models: [{ model, path, input, npy, desc }], seconds,
 * rounds, lib, demoRoot, log, runJson }. Returns the raw record; never throws (a failed run is
 * listed in `errors`).
 */
export function runBatching(ctx) {
  const { here, models, seconds, rounds, lib, demoRoot, log, runJson } = ctx;
  const raw = { inflight: INFLIGHT, size: BATCHING_SIZE, batching: BATCHING_OPTIONS, seconds, rounds, models: models.map((m) => ({ model: m.model, desc: m.desc })), results: [], ceilings: [], errors: [] };
  // What the engine itself gains from a full batch (no pool, queue or JS): the bound of the goal.
  for (const m of models) {
    log(`batching: ${m.model}, the engine's batch ${BATCHING_OPTIONS.maxBatch} vs batch 1`);
    try {
      const cfg = { model: m.path, input: m.input, maxBatch: BATCHING_OPTIONS.maxBatch, iters: 300 };
      raw.ceilings.push({ model: m.model, ...runJson(process.execPath, [path.join(here, 'batch_ceiling.mjs'), JSON.stringify(cfg)], { LITE_LIB_PATH: lib, LITE_DEMO_ROOT: demoRoot }) });
    } catch (e) {
      raw.errors.push(`batching ceiling (${m.model}): ${e.message}`);
      log(`batching ceiling run failed: ${e.message}`);
    }
  }
  for (let round = 1; round <= rounds; round++) {
    for (const m of models) {
      // One process per setup and round: the pools never share a process or run at once.
      for (const setup of setups()) {
        log(`batching round ${round}/${rounds}: ${m.model}, ${setup.name}`);
        try {
          const cfg = { model: m.path, input: m.input, npy: m.npy, seconds, inflight: INFLIGHT, setups: [setup], overhead: null };
          const r = runJson(process.execPath, [path.join(here, 'bench_serve.mjs'), JSON.stringify(cfg)], { LITE_LIB_PATH: lib, LITE_DEMO_ROOT: demoRoot });
          for (const x of r.results) raw.results.push({ model: m.model, batching: Boolean(setup.batching), round, ...x });
        } catch (e) {
          raw.errors.push(`batching (${m.model}, ${setup.name}): ${e.message}`);
          log(`batching run failed: ${e.message}`);
        }
      }
    }
  }
  return raw;
}

/** The report lines of the section. `h`: { median, ms, ratio }. */
export function reportBatching(raw, h) {
  const { median, ms, ratio } = h;
  const lines = [];
  lines.push('');
  lines.push(`## Dynamic batching: ${raw.inflight} one-row requests in flight`);
  lines.push('');
  lines.push(`\`LiteNetworkPool.create(model, { size: ${raw.size}, batching: { maxBatch: ${raw.batching.maxBatch}, maxDelayMs: ${raw.batching.maxDelayMs} } })\` against the`);
  lines.push(`unbatched pool of the same size. ${raw.inflight} clients in a closed loop, each \`await pool.predict()\` of one 1x1x28x28 image, ${raw.seconds} s per`);
  lines.push(`setup and round, ${raw.rounds} round(s) where the two pools take turns, each in its own process; rates pool the rounds, latencies are`);
  lines.push('the median over rounds of each round\'s percentile (queueing included). "rows / forward" is the mean batch the pool ran.');
  lines.push('');
  lines.push('| model | setup | inferences/s | request p50 (ms) | request p99 (ms) | rows / forward | vs unbatched |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const goals = [];
  for (const m of raw.models) {
    const agg = (batching) => {
      const rs = raw.results.filter((r) => r.model === m.model && r.batching === batching);
      if (rs.length === 0) return null;
      const inferences = rs.reduce((a, r) => a + r.inferences, 0);
      const runs = rs.reduce((a, r) => a + (r.pool_runs ?? 0), 0);
      return {
        name: rs[0].name,
        rate: inferences / rs.reduce((a, r) => a + r.seconds, 0),
        p50: median(rs.map((r) => r.latency_p50_ns)),
        p99: median(rs.map((r) => r.latency_p99_ns)),
        rows: runs > 0 ? inferences / runs : NaN,
      };
    };
    const base = agg(false);
    const batched = agg(true);
    for (const r of [base, batched]) {
      if (!r) continue;
      lines.push(`| ${m.model} | ${r.name} | ${r.rate.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${Number.isFinite(r.rows) ? r.rows.toFixed(1) : '—'} | ${ratio(r.rate, base?.rate)} |`);
    }
    if (base && batched) {
      const met = batched.rate >= 3 * base.rate && batched.p99 <= base.p99;
      goals.push(`${m.model} ${ratio(batched.rate, base.rate)} at p99 ${ms(batched.p99)} ms vs ${ms(base.p99)} ms (${met ? 'met' : 'missed'})`);
    } else {
      goals.push(`${m.model}: not measured (missed)`);
    }
  }
  lines.push('');
  for (const m of raw.models) lines.push(`- ${m.desc}`);
  lines.push('');
  lines.push(`Goal: throughput ≥ 3× the unbatched pool at a p99 no worse: ${goals.join('; ')}.`);
  const ceilings = (raw.ceilings ?? []).map((c) => {
    const one = median(c.batch1_ns);
    const full = median(c.full_ns);
    return `${c.model} ${(one / 1000).toFixed(0)} µs per row at batch 1, ${(full / c.max_batch / 1000).toFixed(0)} µs per row at batch ${c.max_batch}: ${ratio(one * c.max_batch, full)}`;
  });
  if (ceilings.length) {
    lines.push('');
    lines.push(
      `The engine's own ceiling (\`tools/bench/batch_ceiling.mjs\`: two inplace networks at batch 1 and at batch ${raw.batching.maxBatch}, forward + wait taking turns in blocks of 20 runs, ` +
        `medians of 300; no pool, queue or JS): ${ceilings.join('; ')}. This is what the kernels themselves gain from a full batch; ` +
        'beyond it, a batched pool gains only the per-forward costs it shares out (hand-offs, settlement), so a ratio far above this one cannot be reached by the pool.',
    );
  }
  return lines;
}
