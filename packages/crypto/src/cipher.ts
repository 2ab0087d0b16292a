import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { corrupt, invalidArgument } from './errors.js';
import {
  isBuiltinCryptionMethod,
  normalizeKey,
  unknownMethod,
  type BuiltinCryptionMethod,
  type KeyLike,
} from './keys.js';
import {
  rc4Decrypt,
  rc4Encrypt,
  simpleFastRc4Decrypt,
  simpleFastRc4Encrypt,
  splitRc4Key,
} from './rc4.js';

/** Options of {@link encryptModel} and {@link decryptModel}. */
export interface CryptionOptions {
  /** One of the built-in method names. */
  method: BuiltinCryptionMethod;
  /**
   * The key. Defaults to the key Lite registers for the method (see `defaultKey`).
   * AES_default needs exactly 32 bytes; the RC4 variants need at least 16 (only the first
   * 16 are used: bytes 0..7 are the hash key, 8..15 the encryption key, little-endian).
   */
  key?: KeyLike;
}

/** Options of {@link encryptModel}. */
export interface EncryptOptions extends CryptionOptions {
  /**
   * AES_default only: the 16-byte IV. Leave it out (the default) to get a fresh random IV;
   * a fixed IV is for reproducible test vectors only.
   */
  iv?: Uint8Array;
}

const AES_IV_LENGTH = 16;
const AES_BLOCK = 16;
const AES_TRAILER = 8;
/**
 * Largest plaintext the AES_default format is safe for. Lite decodes the 8-byte length with
 * 32-bit shifts, so lengths of 2^31 and above would be misread.
 */
const AES_MAX_PLAINTEXT = 2 ** 31 - 1;

function checkBytes(what: string, bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(`${what} must be a Uint8Array`);
  if (bytes.length === 0) throw invalidArgument(`${what} must not be empty`);
  return bytes;
}

function checkMethod(options: unknown): BuiltinCryptionMethod {
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options { method, key? } are required');
  }
  const method = (options as { method?: unknown }).method;
  if (!isBuiltinCryptionMethod(method)) throw unknownMethod(method);
  return method;
}

function aesEncrypt(plain: Uint8Array, key: Uint8Array, iv: Uint8Array | undefined): Uint8Array {
  if (plain.length > AES_MAX_PLAINTEXT) {
    throw invalidArgument('AES_default supports models smaller than 2 GiB');
  }
  let ivBytes: Uint8Array;
  if (iv === undefined) {
    ivBytes = randomBytes(AES_IV_LENGTH);
  } else {
    if (!(iv instanceof Uint8Array) || iv.length !== AES_IV_LENGTH) {
      throw invalidArgument(`AES_default iv must be a Uint8Array of ${AES_IV_LENGTH} bytes`);
    }
    ivBytes = iv;
  }
  // PKCS#7 padding (node's default), as `openssl enc -aes-256-cbc` does; Lite ignores the
  // padding bytes anyway because it truncates to the stored length.
  const cipher = createCipheriv('aes-256-cbc', key, ivBytes);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const out = new Uint8Array(AES_IV_LENGTH + body.length + AES_TRAILER);
  out.set(ivBytes, 0);
  out.set(body, AES_IV_LENGTH);
  new DataView(out.buffer).setBigUint64(out.length - AES_TRAILER, BigInt(plain.length), false);
  return out;
}

function aesDecrypt(data: Uint8Array, key: Uint8Array): Uint8Array {
  const bodyLength = data.length - AES_IV_LENGTH - AES_TRAILER;
  if (bodyLength < AES_BLOCK || bodyLength % AES_BLOCK !== 0) {
    throw corrupt(
      `AES_default data has a bad size (${data.length} bytes): expected 16-byte IV + a whole number of 16-byte blocks + 8-byte length`,
    );
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = dv.getBigUint64(data.length - AES_TRAILER, false);
  if (length > BigInt(bodyLength)) {
    throw corrupt('AES_default data is truncated or its stored length is wrong');
  }
  const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, AES_IV_LENGTH));
  decipher.setAutoPadding(false); // Lite does not check padding: it truncates to `length`
  const body = Buffer.concat([
    decipher.update(data.subarray(AES_IV_LENGTH, AES_IV_LENGTH + bodyLength)),
    decipher.final(),
  ]);
  // Copy out: small Buffers may live in node's shared pool.
  return new Uint8Array(body.subarray(0, Number(length)));
}

/**
 * Encrypts a model (or any bytes, e.g. a packed-model info JSON) so that MegEngine Lite's
 * built-in decryptor of the same name accepts it.
 *
 * - `AES_default`: `IV (16 random bytes) ‖ AES-256-CBC(model, PKCS#7 padding) ‖ length`
 *   where `length` is the plaintext size as 8 bytes big-endian.
 * - `RC4_default`: Lite's keyed RC4-like stream cipher with a hash-derived inner stream and
 *   a protected 8-byte hash trailer; output size is `ceil(n / 8) * 8 + 8`.
 * - `SIMPLE_FAST_RC4_default`: the outer stream only, plus an 8-byte checksum of the
 *   ciphertext; output size is `ceil(n / 8) * 8 + 8`.
 *
 * @param bytes the plaintext, not empty
 * @param options the method and (optional) key; see {@link EncryptOptions}
 * @returns a new buffer with the encrypted data
 * @throws LiteCryptoError (`LITE_INVALID_ARGUMENT`) for an unknown method, an empty input,
 *   an empty key or a key of the wrong length. Messages never contain key bytes.
 */
export function encryptModel(bytes: Uint8Array, options: EncryptOptions): Uint8Array {
  const method = checkMethod(options);
  const plain = checkBytes('model bytes', bytes);
  const key = normalizeKey(method, options.key);
  try {
    switch (method) {
      case 'AES_default':
        return aesEncrypt(plain, key, options.iv);
      case 'RC4_default':
        return rc4Encrypt(plain, splitRc4Key(key));
      case 'SIMPLE_FAST_RC4_default':
        return simpleFastRc4Encrypt(plain, splitRc4Key(key));
    }
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypts data made for a built-in method, giving exactly what Lite's built-in decryptor
 * hands to the model loader. For tests and debugging; Lite does this itself at load time.
 *
 * - `AES_default`: the original bytes (truncated to the stored length). Throws on a size
 *   that cannot be valid. A wrong key is not detected (AES-CBC has no authentication).
 * - `RC4_default`: as long as the input: the original bytes, then the zero padding to a
 *   multiple of 8, then 8 bytes of noise (the decrypted trailer). No integrity check.
 * - `SIMPLE_FAST_RC4_default`: same layout as RC4_default; throws when the checksum does
 *   not match (wrong key, wrong method, damaged data).
 *
 * @param bytes the encrypted data
 * @param options the method and (optional) key
 * @returns a new buffer with the decrypted data
 * @throws LiteCryptoError `LITE_INVALID_ARGUMENT` for bad arguments, `LITE_CRYPTO_CORRUPT`
 *   for data that cannot be decrypted.
 */
export function decryptModel(bytes: Uint8Array, options: CryptionOptions): Uint8Array {
  const method = checkMethod(options);
  const data = checkBytes('encrypted bytes', bytes);
  const key = normalizeKey(method, options.key);
  try {
    switch (method) {
      case 'AES_default':
        return aesDecrypt(data, key);
      case 'RC4_default':
        return rc4Decrypt(data, splitRc4Key(key));
      case 'SIMPLE_FAST_RC4_default':
        return simpleFastRc4Decrypt(data, splitRc4Key(key));
    }
  } finally {
    key.fill(0);
  }
}
