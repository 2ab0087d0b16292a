// API fuzzing of @lite/mindspore: random calls with random (often garbage) arguments in random
// orders on Context, Model, Tensor, ModelParallelRunner and (lightly) Converter, in child processes
// so that an abort or a hang is seen as a failure of this test rather than of the runner.
// Strict: no abort, no hang, nothing on stderr, and every throw / rejection is the package's
// LiteError with a known code and a one-line message. Reproduce a seed with
//   node --expose-gc harness/api-fuzz-mindspore.mjs --seed N --steps 1500 [--trace] [--skip 3,21]
import { describe, expect, it } from 'vitest';
import { describeRun, runHarness } from './child.js';

const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = 1500;

interface FuzzSummary {
  calls: number;
  ok: number;
  liteErrors: Record<string, number>;
  asyncOk: number;
  asyncLiteErrors: Record<string, number>;
  foreign: string[];
  badMessages: string[];
  invariants: string[];
  hung: string[];
  exercised: Record<'builds' | 'predicts' | 'asyncPredicts' | 'resizes' | 'runnerBuilds' | 'runnerPredicts' | 'conversions', number>;
  seconds: number;
}

/** stderr without the harness's own --trace lines. */
const stderrOf = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('@@'));

describe('@lite/mindspore API fuzzing (child processes)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS} random calls never abort or hang; failures are LiteErrors`, async () => {
      const run = await runHarness('api-fuzz-mindspore.mjs', ['--seed', String(seed), '--steps', String(STEPS)], { nodeArgs: ['--expose-gc'], timeoutMs: 60_000 });
      expect(run.timedOut, describeRun(run)).toBe(false);
      expect(run.signal, describeRun(run)).toBeNull();
      expect(run.code, describeRun(run)).toBe(0);
      const s = run.summary as FuzzSummary | null;
      expect(s, describeRun(run)).not.toBeNull();
      if (!s) return;
      const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
      console.log(
        `[api-fuzz-mindspore] seed ${seed}: ${s.calls} calls, ${s.ok} ok, LiteErrors ${JSON.stringify(s.liteErrors)}, async ok ${s.asyncOk} / rejected ${sum(s.asyncLiteErrors)}, ` +
          `exercised ${JSON.stringify(s.exercised)}, foreign ${s.foreign.length}, invariants ${s.invariants.length}, bad messages ${s.badMessages.length}, ${s.seconds} s`,
      );
      // Nothing on stderr (the engine's glog output is kept off it; the harness writes only --trace lines).
      expect(stderrOf(run.stderr)).toEqual([]);
      // Every async call settled.
      expect(s.hung).toEqual([]);
      // Every failure was a LiteError with a known code: no TypeError/RangeError/napi error escaped.
      expect(s.foreign).toEqual([]);
      // ... and its message is one non-empty line.
      expect(s.badMessages).toEqual([]);
      // Tensors stay consistent (data fits the shape) and outputs carry data for their shape.
      expect(s.invariants).toEqual([]);
      // The run exercised the API for real: builds, predicts (sync, async, runner) and clean errors.
      expect(s.ok).toBeGreaterThan(STEPS / 2);
      expect(s.exercised.builds).toBeGreaterThan(10);
      expect(s.exercised.predicts + s.exercised.asyncPredicts).toBeGreaterThan(10);
      expect(s.exercised.runnerPredicts).toBeGreaterThan(0);
      expect(s.liteErrors.LITE_INVALID_ARGUMENT ?? 0).toBeGreaterThan(0);
      expect((s.liteErrors.LITE_DISPOSED ?? 0) + (s.asyncLiteErrors.LITE_DISPOSED ?? 0)).toBeGreaterThan(0);
    });
  }
});

describe('paths that are not regular files are refused before they are read', () => {
  // The model path is documented as "checked first (exists, is a readable non-empty file)". A FIFO
  // without a writer blocks the open (the harness unblocks it after 1.5 s, so `ms` shows the wait);
  // /dev/zero is read until memory runs out (the harness runs those cases under `ulimit -v`, and
  // `grewMb` shows the read). Wanted: a quick LiteError, nothing read.
  const CASES = ['fifo-model', 'fifo-model-async', 'fifo-config', 'fifo-runner', 'devzero-model', 'devzero-model-async', 'devzero-config', 'devzero-runner'];
  for (const name of CASES) {
    it(name, async () => {
      const run = await runHarness('api-fuzz-mindspore.mjs', ['--special', name], { timeoutMs: 30_000 });
      expect(run.timedOut, describeRun(run)).toBe(false);
      expect(run.signal, describeRun(run)).toBeNull();
      expect(run.code, describeRun(run)).toBe(0);
      const s = run.summary as { result: string; code?: string; ms: number; grewMb: number } | null;
      expect(s, describeRun(run)).not.toBeNull();
      expect({ result: s?.result, quick: (s?.ms ?? Infinity) < 1000, readIntoMemory: (s?.grewMb ?? Infinity) >= 100 }, JSON.stringify(s)).toEqual({
        result: 'LiteError',
        quick: true,
        readIntoMemory: false,
      });
      expect(stderrOf(run.stderr)).toEqual([]);
    });
  }
});
