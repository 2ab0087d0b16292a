// Type tests of predict and LiteNetworkPool (published declarations; vitest typecheck mode).
import { expectTypeOf, test } from 'vitest';
import { type Feed, type LiteNetwork, type LiteNetworkPool, type LiteTensor, type PredictOutputs } from '@lite/core';

declare const net: LiteNetwork;
declare const pool: LiteNetworkPool;

test('predict is typed by output name (noUncheckedIndexedAccess-friendly)', async () => {
  const named = await net.predict<'prob'>({ data: new Float32Array(4) });
  expectTypeOf(named).toEqualTypeOf<PredictOutputs<'prob'>>();
  expectTypeOf(named.prob).toEqualTypeOf<LiteTensor>();
  const anyName = await net.predict({ data: new Float32Array(4) });
  expectTypeOf(anyName['whatever']).toEqualTypeOf<LiteTensor | undefined>();
  const fromPool = await pool.predict<'a' | 'b'>({ x: [1, 2, 3] }, { signal: AbortSignal.timeout(10) });
  expectTypeOf(fromPool.a).toEqualTypeOf<LiteTensor>();
});

test('feeds: data, shaped data, tensors and ndarrays — not any object', () => {
  expectTypeOf(new Float32Array(2)).toMatchTypeOf<Feed>();
  expectTypeOf(new ArrayBuffer(8)).toMatchTypeOf<Feed>();
  expectTypeOf([1, 2, 3]).toMatchTypeOf<Feed>();
  expectTypeOf({ data: new Float32Array(8), shape: [2, 4] }).toMatchTypeOf<Feed>();
  expectTypeOf({ data: new Float32Array(8), shape: [2, 4], stride: [4, 1], offset: 0 }).toMatchTypeOf<Feed>();
  expectTypeOf<{ foo: number }>().not.toMatchTypeOf<Feed>();
  // @ts-expect-error a plain object is not a feed
  void net.predict({ data: { foo: 1 } });
  // @ts-expect-error the signal must be an AbortSignal
  void pool.predict({ data: [1] }, { signal: 'soon' });
});

test('the pool is AsyncDisposable with its counters', () => {
  expectTypeOf(pool.size).toEqualTypeOf<number>();
  expectTypeOf(pool.pending).toEqualTypeOf<number>();
  expectTypeOf(pool.queued).toEqualTypeOf<number>();
  expectTypeOf(pool.dispose()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(pool).toMatchTypeOf<AsyncDisposable>();
});
