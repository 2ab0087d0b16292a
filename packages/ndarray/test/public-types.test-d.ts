// Type tests of the published declarations, run by vitest's typecheck mode with `pnpm test`.
import { expectTypeOf, test } from 'vitest';
import type { LiteTensor } from '@lite/core';
import { toNdarray } from '@lite/ndarray';

declare const t: LiteTensor;

test('toNdarray(...).get() is a number, so number methods type-check', () => {
  const nd = toNdarray(t);
  expectTypeOf(nd.get(0, 0)).toEqualTypeOf<number>();
  expectTypeOf(nd.get(0, 0).toFixed(3)).toEqualTypeOf<string>();
});
