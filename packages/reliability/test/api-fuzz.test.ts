// API fuzzing: random calls with random (often garbage) arguments in random orders, in child
// processes so that an abort is seen as a failure of this test rather than of the runner.
import { describe, expect, it } from 'vitest';
import { describeRun, runHarness } from './child.js';

const SEEDS = [1, 2, 3, 4, 5, 6];
const STEPS = 2500;

describe('a relayout the engine would refuse leaves the slice unchanged', () => {
  // lite::Tensor::set_layout stores the new layout before the storage resize fails ("can not grow
  // a tensor that does not allow realloc"), so a slice used to keep a layout larger than its memory
  // and the next fillZero / copy / read ran past the block (heap corruption, found by this fuzzer).
  // The binding now refuses such relayouts of strided slices up front and restores the old layout
  // when the engine refuses one (see packages/core/test/safety.test.ts for every path).
  it('layout =, copyFrom(bigger) and setDataByCopy({ layout }) on a strided slice', async () => {
    const run = await runHarness('relayout-bug.mjs', [], { timeoutMs: 30_000 });
    const s = run.summary as { before: number; afterLayout: number; afterCopyFrom: number; afterSetData: number; threw: string[] } | null;
    expect(s, describeRun(run)).not.toBeNull();
    expect(s?.threw).toEqual(['LITE_INVALID_ARGUMENT', 'LITE_INVALID_ARGUMENT', 'LITE_INVALID_ARGUMENT']);
    // 8 bytes = 2x1 float32, before and after each refused relayout.
    expect([s?.before, s?.afterLayout, s?.afterCopyFrom, s?.afterSetData]).toEqual([8, 8, 8, 8]);
  });
});

describe('API fuzzing (child processes)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS} random calls never abort; failures are LiteErrors`, async () => {
      const run = await runHarness('api-fuzz.mjs', ['--seed', String(seed), '--steps', String(STEPS)], { nodeArgs: ['--expose-gc'], timeoutMs: 90_000 });
      expect(run.timedOut, describeRun(run)).toBe(false);
      expect(run.signal, describeRun(run)).toBeNull();
      expect(run.code, describeRun(run)).toBe(0);
      const s = run.summary as { calls: number; ok: number; liteErrors: Record<string, number>; foreign: string[]; asyncOk: number; asyncLiteErrors: number } | null;
      expect(s, describeRun(run)).not.toBeNull();
      if (!s) return;
      console.log(`[api-fuzz] seed ${seed}: ${s.calls} calls, ${s.ok} ok, LiteErrors ${JSON.stringify(s.liteErrors)}, async ok ${s.asyncOk} / rejected ${s.asyncLiteErrors}, foreign ${s.foreign.length}`);
      // Every failure was a LiteError: no TypeError/RangeError/napi error escaped.
      expect(s.foreign).toEqual([]);
      // The run exercised the API for real: successes and each kind of clean error occurred.
      expect(s.ok).toBeGreaterThan(STEPS / 10);
      expect(s.liteErrors.LITE_INVALID_ARGUMENT ?? 0).toBeGreaterThan(0);
      expect(s.liteErrors.LITE_DISPOSED ?? 0).toBeGreaterThan(0);
    });
  }
});
