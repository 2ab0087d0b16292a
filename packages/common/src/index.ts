/**
 * What both engine packages share: the one {@link LiteError} class and its stable codes, the
 * dtype tables and the feed types. Small and runtime-free (no native binding, no engine):
 * `@lite/core` and `@lite/mindspore` depend on it and re-export `LiteError`, so `instanceof`
 * holds across engines.
 *
 * @example
 * import { LiteError } from '@lite/common';
 * try { await model.predictAsync(feeds); }
 * catch (e) { if (e instanceof LiteError && e.code === 'LITE_BUSY') retryLater(); }
 *
 * @packageDocumentation
 * @module @lite/common
 */
export { LITE_ERROR_CODES, LiteError, isLiteErrorCode, type LiteErrorCode, type LiteErrorOptions } from './errors.js';
export {
  DTYPES,
  dtypeOfConstructor,
  dtypeOfTypedArray,
  float32ToHalfArray,
  floatToHalf,
  halfArrayToFloat32,
  halfToFloat,
  type DTypeInfo,
  type DTypeName,
  type TensorData,
  type TensorDataConstructor,
} from './dtype.js';
export type { BinaryLike, NamedOutputs, ShapedFeed } from './feeds.js';
export type { ValidateModelResult } from './isolated.js';
