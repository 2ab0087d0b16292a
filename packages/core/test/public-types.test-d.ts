// Type tests of the published declarations (`@lite/core` resolves to dist/*.d.ts), run by vitest's
// typecheck mode as part of `pnpm test`. A `@ts-expect-error` that stops erroring fails the run.
import { expectTypeOf, test } from 'vitest';
import * as core from '@lite/core';
import { LiteConfig, LiteError, type LiteErrorCode, LiteLogLevel, LiteNetwork, type LiteNumberArray, LiteTensor, type NdArrayLike } from '@lite/core';
import * as internal from '@lite/core/internal';

declare const t: LiteTensor;
declare const net: LiteNetwork;

test('setDataByCopy / setDataByShare take data, not any object', () => {
  // @ts-expect-error a plain object is not tensor data
  t.setDataByCopy({ foo: 1 });
  // @ts-expect-error a plain object is not tensor data
  t.setDataByShare({ foo: 1 });
  const nd = { data: new Float32Array(4), shape: [2, 2], stride: [2, 1], offset: 0 };
  t.setDataByCopy(nd);
  t.setDataByShare(nd);
  t.setDataByCopy([1, 2, 3]);
  t.setDataByCopy(new Float32Array(4));
  t.setDataByShare(new ArrayBuffer(16));
  expectTypeOf(nd).toMatchTypeOf<NdArrayLike>();
  expectTypeOf<{ shape: number[] }>().not.toMatchTypeOf<NdArrayLike>();
});

test('tensor data is typed as numbers', () => {
  expectTypeOf(t.toTypedArray()).toEqualTypeOf<LiteNumberArray>();
  expectTypeOf(t.getDataByShare()).toEqualTypeOf<LiteNumberArray>();
  expectTypeOf(t.toTypedArray()[0]).toEqualTypeOf<number | undefined>();
  expectTypeOf(t.toFloat32Array()).toEqualTypeOf<Float32Array>();
  const first = t.toTypedArray()[0];
  if (first !== undefined) expectTypeOf(first.toFixed(2)).toEqualTypeOf<string>();
});

test('errors: the codes, engineMessage', () => {
  expectTypeOf<LiteErrorCode>().toEqualTypeOf<
    | 'LITE_ERROR'
    | 'LITE_INVALID_ARGUMENT'
    | 'LITE_DISPOSED'
    | 'LITE_RUNTIME_NOT_FOUND'
    | 'LITE_UNSUPPORTED'
    | 'LITE_BUSY'
    | 'LITE_FILE_NOT_FOUND'
    | 'LITE_INVALID_MODEL'
    | 'LITE_DECRYPTION_FAILED'
  >();
  expectTypeOf<LiteError['engineMessage']>().toEqualTypeOf<string | undefined>();
  expectTypeOf(LiteLogLevel.OFF).toMatchTypeOf<LiteLogLevel>();
});

test('internals stay out of the public declarations', () => {
  // @ts-expect-error moved to @lite/core/internal
  void core._registerDecryption;
  // @ts-expect-error moved to @lite/core/internal
  void core._liveObjects;
  // @ts-expect-error moved to @lite/core/internal
  void core._readPackedModel;
  // @ts-expect-error @internal: the native handle
  void t.native;
  // @ts-expect-error @internal: the native handle
  void net.native;
  // @ts-expect-error @internal: conversion to the binding's form
  void new LiteConfig().toNative;
  expectTypeOf(internal.liveObjects).returns.toEqualTypeOf<{ tensors: number; networks: number }>();
  expectTypeOf(internal.registerDecryption).toBeFunction();
});
