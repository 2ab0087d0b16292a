// Type tests of the published declarations, run by vitest's typecheck mode with `pnpm test`.
import { expectTypeOf, test } from 'vitest';
import type { LiteTensor } from '@lite/core';
import { type MindsporeNdArray, setFromNdarray, toNdarray } from '@lite/ndarray';
import { Tensor as MsTensor } from '@lite/mindspore';

declare const t: LiteTensor;

test('toNdarray(...).get() is a number, so number methods type-check', () => {
  const nd = toNdarray(t);
  expectTypeOf(nd.get(0, 0)).toEqualTypeOf<number>();
  expectTypeOf(nd.get(0, 0).toFixed(3)).toEqualTypeOf<string>();
});

test('an @lite/mindspore Tensor matches MindsporeTensorLike: toNdarray and setFromNdarray accept it', () => {
  const ms = new MsTensor(new Float32Array(4), { shape: [2, 2] });
  expectTypeOf(toNdarray(ms)).toMatchTypeOf<MindsporeNdArray>();
  expectTypeOf(toNdarray(ms).shape).toEqualTypeOf<number[]>();
  expectTypeOf(setFromNdarray).toBeCallableWith(ms, toNdarray(ms));
});
