/**
 * Internals shared with the other `@lite/*` packages (`@lite/crypto`, the reliability harnesses).
 * Not part of the public API: no stability promise, may change in any release. Importing
 * `@lite/core/internal` shares state with `@lite/core` (one runtime, one set of hooks).
 *
 * @packageDocumentation
 */
export {
  registerDecryption,
  updateDecryptionKey,
  takeDecryptionFailure,
  maxDecryptionMethods,
  type DecryptionFunction,
} from './crypto-internal.js';
export { PACKED_MODEL_TAG, PACK_SLOTS, isPackedModel, readPackedModel, writePackedModel, type PackedModelParts } from './packed.js';
export { liveObjects } from './global.js';
export { poolInternals } from './pool.js';
