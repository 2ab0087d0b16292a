/**
 * `@lite/crypto`: model encryption and packing for MegEngine Lite on Node.js.
 *
 * - {@link encryptModel} / {@link decryptModel}: the built-in ciphers `AES_default`,
 *   `RC4_default` and `SIMPLE_FAST_RC4_default`, byte-compatible with Lite's decryptors.
 * - {@link packModel} / {@link unpackModel}: the packed `.lite` format (model + JSON info).
 *
 * @packageDocumentation
 */

export { LiteCryptoError, type LiteCryptoErrorCode } from './errors.js';
export {
  AES_KEY_LENGTH,
  BUILTIN_CRYPTION_METHODS,
  RC4_KEY_LENGTH,
  defaultKey,
  isBuiltinCryptionMethod,
  rc4Key,
  type BuiltinCryptionMethod,
  type KeyLike,
} from './keys.js';
export {
  decryptModel,
  encryptModel,
  type CryptionOptions,
  type EncryptOptions,
} from './cipher.js';
export {
  validateModelInfo,
  type JsonValue,
  type LiteInfoDevice,
  type LiteInfoDeviceType,
  type LiteInfoDType,
  type LiteInfoIO,
  type LiteInfoOptions,
  type LiteInfoShape,
  type LiteModelInfo,
} from './info.js';
export {
  DEFAULT_INFO_PARSER,
  NO_CRYPTION,
  PACKED_MODEL_TAG,
  isPackedModel,
  packModel,
  unpackModel,
  type PackCryption,
  type PackModelOptions,
  type UnpackedModel,
} from './pack.js';

// ---------------------------------------------------------------------------------------
// NATIVE REGISTRATION — NOT IMPLEMENTED YET (issue 5, second half).
//
// `registerDecryptionAndKey(name, fn, key)` and `updateDecryptionKey(name, key)` (see
// shared/design/API.md, "@lite/crypto") go here once `@lite/core` exposes the binding's
// decryption hooks. They must forward to the native layer; they are deliberately absent
// rather than stubbed, so nothing can appear to register a decryptor that Lite never sees.
// Planned checks before reaching C: key as Uint8Array/number[] of bytes, non-empty;
// AES_default exactly AES_KEY_LENGTH bytes; RC4 variants at least RC4_KEY_LENGTH bytes
// (Lite reads 16 bytes unconditionally); keys never appear in error messages.
// ---------------------------------------------------------------------------------------
