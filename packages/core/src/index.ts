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
export { LiteNetworkPool, type LiteNetworkPoolOptions, type PoolPredictOptions } from './pool.js';
export { LiteGlobal, getLogLevel, getVersion, setLogHandler, setLogLevel, type LogHandler } from './global.js';

import { getVersion } from './global.js';

function loadedVersion(): string {
  try {
    return getVersion();
  } catch {
    return '';
  }
}

/**
 * Version of the loaded runtime ("M.m.p"), read once at import; `""` when the runtime could not
 * be loaded (every other call then throws `LITE_RUNTIME_NOT_FOUND` with the reason).
 */
export const version: string = loadedVersion();
export { validateModel, type ValidateModelOptions, type ValidateModelResult } from './isolated.js';
