// Type tests of the published declarations, run by vitest's typecheck mode with `pnpm test`.
import { expectTypeOf, test } from 'vitest';
import { type CollectData, TensorBatchCollector } from '@lite/utils';

declare const batch: TensorBatchCollector;

test('collect takes tensor data, not any object', () => {
  // @ts-expect-error a plain object is not a sample
  batch.collect({ foo: 1 });
  batch.collect(new Float32Array(4));
  batch.collect({ data: new Float32Array(4), shape: [4], stride: [1], offset: 0 });
  expectTypeOf<{ foo: number }>().not.toMatchTypeOf<CollectData>();
});
