/**
 * MegEngine Lite for Node.js.
 *
 * @packageDocumentation
 */
export * from './enums.js';
export { LiteError, type LiteErrorCode } from './errors.js';
export * from './dtype.js';
export { LiteLayout, MAX_NDIM } from './layout.js';
export { LiteTensor, registerDataConverter, type BinaryLike, type DataConverter, type LiteTensorOptions, type SetDataOptions } from './tensor.js';
export { LiteConfig, LiteIO, LiteNetworkIO, LiteOptions, type LiteIOArgs } from './config.js';
export { LiteNetwork, getModelIoInfo, readModel, type IoCallback, type ModelSource, type PredictOutputs } from './network.js';
export type { Feed, NdArrayLike, ShapedFeed } from './feeds.js';
export { LiteNetworkPool, type LiteNetworkPoolOptions, type PoolPredictOptions } from './pool.js';
export { LiteGlobal, getLogLevel, getVersion, setLogLevel, liveObjects as _liveObjects } from './global.js';

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
export { registerDecryption as _registerDecryption, updateDecryptionKey as _updateDecryptionKey, takeDecryptionFailure as _takeDecryptionFailure, maxDecryptionMethods as _maxDecryptionMethods, type DecryptionFunction as _DecryptionFunction } from './crypto-internal.js';
export { PACKED_MODEL_TAG as _PACKED_MODEL_TAG, PACK_SLOTS as _PACK_SLOTS, isPackedModel as _isPackedModel, readPackedModel as _readPackedModel, type PackedModelParts as _PackedModelParts } from './packed.js';
