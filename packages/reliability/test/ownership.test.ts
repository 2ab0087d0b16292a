// Who may touch a network when: each scenario runs in a child process with a hard timeout, so
// a deadlock is a timeout, a read of freed memory is a signal or wrong values, a leak is a count.
// Every one of these failed before networks got one owner (the binding's executor).
import { describe, expect, it } from 'vitest';
import { describeRun, runHarness } from './child.js';

const run = (scenario: string, timeoutMs = 60_000, ...args: string[]) => runHarness('ownership.mjs', [scenario, ...args], { nodeArgs: ['--expose-gc'], timeoutMs });

describe('one owner per network (child processes)', () => {
  it('asyncWithCallback + setFinishCallback + forward + wait returns, each callback once', async () => {
    // Before: the engine thread waited for JS inside the finish callback while JS waited in wait().
    const r = await run('deadlock', 30_000);
    expect(r.timedOut, describeRun(r)).toBe(false);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.summary).toEqual({ returned: true, asyncCalls: 1, finishCalls: 1, outputs: 10 });
  });

  it('memory shared into an input survives a transfer of its buffer: the run reads the same values', async () => {
    // Before: garbage outputs (mlp) or SIGSEGV (shufflenet). The buffer is pinned now, so the
    // transfer copies it and the outputs equal a run with the values copied in: same engine,
    // same input bytes, so the tolerance is 0.
    const r = await run('transfer');
    expect(r.signal, describeRun(r)).toBeNull();
    expect(r.code, describeRun(r)).toBe(0);
    const results = (r.summary as { results: Record<string, { detached: boolean; diff: number | null; error: string | null }> }).results;
    for (const how of ['structuredClone', 'postMessage']) {
      expect(results[how], how).toMatchObject({ detached: false, diff: 0, error: null });
    }
  });

  it('networks whose callbacks close over them are collected', async () => {
    // Before: 0 of 20 (the binding kept the callbacks in slots freed only with the network).
    const r = await run('gc-callbacks');
    expect(r.code, describeRun(r)).toBe(0);
    const s = r.summary as { created: number; collected: number };
    console.log(`[ownership] dropped networks with callbacks collected: ${s.collected} of ${s.created}`);
    expect(s.collected).toBeGreaterThanOrEqual(18);
  });

  it('60 reloads from bytes grow RSS by less than 0.2 model sizes per reload', async () => {
    // Before: about 2.5 model sizes per reload (every old model's bytes, their tensors'
    // dependencies, and the engine's reused loader).
    const r = await run('reload');
    expect(r.code, describeRun(r)).toBe(0);
    const s = r.summary as { modelSizesPerReload: number; growthMiB: number };
    console.log(`[ownership] 60 reloads of shufflenet: RSS +${s.growthMiB.toFixed(1)} MiB (${s.modelSizesPerReload.toFixed(3)} model sizes per reload)`);
    expect(s.modelSizesPerReload).toBeLessThan(0.2);
  });

  it('an async-mode forward keeps the process alive until its callback ran, with or without wait()', async () => {
    // Before: wait() dropped the keep-alive before the callback was delivered: it never ran.
    for (const args of [[], ['wait']]) {
      const r = await run('async-keepalive', 30_000, ...args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.summary, args.join()).toEqual({ asyncCallbackRan: true });
    }
  });

  it('a reload with a different model runs that model (the engine alone would keep the first)', async () => {
    const r = await run('reload-other');
    expect(r.code, describeRun(r)).toBe(0);
    // Outputs compared bit for bit with a fresh network's (same engine, same inputs); the
    // setting made before the first load (threadsNumber) survives the reload.
    const want = { first: ['data'], second: ['b', 'a'], outputs: ['sum_out', 'prod_out'], threads: 2, sameAsFresh: true };
    expect(r.summary).toEqual({ path: want, bytes: want });
  });
});
