// Threads and workers, each scenario in its own child process with a hard timeout: a crash or a
// hang fails the test instead of the runner.
import { describe, expect, it } from 'vitest';
import { describeRun, runHarness } from './child.js';

describe('worker_threads (child processes)', () => {
  it('4 workers, each with its own network and two weight-sharing ones, run at once with identical outputs', async () => {
    const run = await runHarness('workers.mjs', ['parallel'], { timeoutMs: 60_000 });
    expect(run.signal, describeRun(run)).toBeNull();
    expect(run.code, describeRun(run)).toBe(0);
    const s = run.summary as { workers: number; mismatches: number; differFromMain: number; ms: number };
    console.log(`[workers] parallel: ${JSON.stringify(s)}`);
    expect(s.workers).toBe(4);
    // Same model, same input, same runtime on every thread: bit-identical outputs.
    expect(s.mismatches).toBe(0);
    expect(s.differFromMain).toBe(0);
  });

  it('workers terminated mid-forward (sync and async) do not crash the process', async () => {
    const run = await runHarness('workers.mjs', ['terminate'], { timeoutMs: 90_000 });
    expect(run.signal, describeRun(run)).toBeNull();
    expect(run.code, describeRun(run)).toBe(0);
    const s = run.summary as { terminated: number; mainStillWorks: boolean; ms: number };
    console.log(`[workers] terminate: ${JSON.stringify(s)}`);
    expect(s.terminated).toBe(24);
    expect(s.mainStillWorks).toBe(true);
  });

  it('the main thread exiting with forwards in flight (main and workers) exits cleanly and promptly', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await runHarness('workers.mjs', ['exit'], { timeoutMs: 30_000 });
      expect(run.timedOut, describeRun(run)).toBe(false);
      expect(run.signal, describeRun(run)).toBeNull();
      expect(run.code, describeRun(run)).toBe(0);
    }
  });
});
