/**
 * `@lite/crypto`: model encryption and packing for MegEngine Lite on Node.js.
 *
 * - {@link encryptModel} / {@link decryptModel}: the built-in ciphers `AES_default`,
 *   `RC4_default` and `SIMPLE_FAST_RC4_default`, byte-compatible with Lite's decryptors.
 * - {@link packModel} / {@link unpackModel}: the packed `.lite` format (model + JSON info).
 * - {@link registerDecryptionAndKey} / {@link updateDecryptionKey}: decryption inside the runtime
 *   with a JS function, and keys of the built-in decryptors.
 *
 * @packageDocumentation
 * @module @lite/crypto
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

// Native registration (needs the runtime, through @lite/core).
export {
  maxDecryptionMethods,
  registerDecryptionAndKey,
  updateDecryptionKey,
  type DecryptionFunction,
} from './register.js';
