/**
 * MegEngine Lite for Node.js.
 *
 * @packageDocumentation
 * @module @lite/core
 */
export * from './enums.js';
export { LiteError, type LiteErrorCode } from './errors.js';
export * from './dtype.js';
export { LiteLayout, MAX_NDIM } from './layout.js';
export { LiteTensor, registerDataConverter, type BinaryLike, type DataConverter, type LiteTensorOptions, type NdArrayLike, type SetDataOptions } from './tensor.js';
export { LiteConfig, LiteExtraConfig, LiteIO, LiteNetworkIO, LiteOptions, type LiteIOArgs } from './config.js';
export { LiteNetwork, getModelIoInfo, readModel, type IoCallback, type LiteNetworkCreateOptions, type ModelSource, type PredictOptions, type PredictOutputs } from './network.js';
export type { Feed, ShapedFeed } from './feeds.js';
export { LiteNetworkPool, type LiteNetworkPoolBatching, type LiteNetworkPoolOptions, type PoolPredictOptions } from './pool.js';
export { LiteGlobal, getLogLevel, getVersion, setLogHandler, setLogLevel, type LogHandler } from './global.js';

import { getVersion } from './global.js';

/**
 * Version of the MegEngine Lite runtime ("M.m.p"), megenginelite's `version`. A function so that
 * importing `@lite/core` stays cheap: the first call loads the runtime (as any engine call does),
 * later calls return the same string. Returns `""` when the runtime cannot be loaded (every
 * engine call then throws `LITE_RUNTIME_NOT_FOUND` with the reason); {@link getVersion} throws
 * that error instead.
 *
 * @example
 * import { version } from '@lite/core';
 * console.log(`MegEngine Lite ${version()}`); // MegEngine Lite 1.13.0
 */
export function version(): string {
  try {
    return getVersion();
  } catch {
    return '';
  }
}
export { validateModel, type ValidateModelOptions, type ValidateModelResult } from './isolated.js';
