import { LiteError } from '@lite/core';
import { maxDecryptionMethods as _maxDecryptionMethods, registerDecryption as _registerDecryption, updateDecryptionKey as _updateDecryptionKey } from '@lite/core/internal';

import { AES_KEY_LENGTH, RC4_KEY_LENGTH, isBuiltinCryptionMethod, type KeyLike } from './keys.js';

/**
 * A model decryptor run by the runtime: gets the model bytes as stored and the key it was
 * registered with, returns the decrypted model (a non-empty `Uint8Array`; a `Buffer` is fine).
 * Both arguments are private copies; the function may keep or modify them.
 */
export type DecryptionFunction = (input: Uint8Array, key: Uint8Array) => Uint8Array;

function invalid(message: string): LiteError {
  return new LiteError('LITE_INVALID_ARGUMENT', message);
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid(`${what}: the decryption method name must be a non-empty string`);
  }
  if (name.includes('\0')) throw invalid(`${what}: the decryption method name must not contain NUL`);
}

/** Key bytes as a private copy; messages mention lengths and indexes only, never key bytes. */
function keyBytes(key: unknown, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (key instanceof Uint8Array) {
    bytes = new Uint8Array(key);
  } else if (Array.isArray(key)) {
    bytes = new Uint8Array(key.length);
    for (let i = 0; i < key.length; i++) {
      const v: unknown = key[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw invalid(`${what}: key element ${i} is not an integer in 0..255`);
      }
      bytes[i] = v;
    }
  } else {
    throw invalid(`${what}: the key must be a Uint8Array or an array of bytes`);
  }
  if (bytes.length === 0) throw invalid(`${what}: the key must not be empty`);
  return bytes;
}

/**
 * Registers `fn` as the decryption method `name`, with `key` (megenginelite's
 * `register_decryption_and_key`). Models loaded with `LiteConfig.bareModelCryptionName = name`
 * (or packed with `name` as their model/info cryption) are passed through `fn` once per load,
 * on the JS thread that registered it; `fn` must be synchronous. `load` lets the engine call
 * `fn`; `loadAsync` calls it (with the same arguments) before it queues the load, and the
 * network's thread then loads the decrypted model, so no engine thread ever waits for `fn`.
 * Loading such a model on another thread (a worker) throws `LITE_UNSUPPORTED`.
 *
 * If `fn` throws or returns anything but a non-empty `Uint8Array`, the load fails with a
 * `LiteError` (`LITE_DECRYPTION_FAILED`) whose message starts with `model decryption failed:` and gives the
 * reason. A name can be registered once per process, and at most
 * {@link maxDecryptionMethods}() names can be registered; use {@link updateDecryptionKey} to
 * change the key later.
 *
 * @throws LiteError `LITE_INVALID_ARGUMENT` (empty name or key, a name already registered,
 *   `fn` not a function), `LITE_UNSUPPORTED` (the table of JS decryptors is full).
 *
 * @example
 * registerDecryptionAndKey('just_for_test', (input, key) => input.map((b) => b ^ key[0] ^ key[0]), [15]);
 * const config = new LiteConfig();
 * config.bareModelCryptionName = 'just_for_test';
 * new LiteNetwork(config).load('model.mge');
 */
export function registerDecryptionAndKey(name: string, fn: DecryptionFunction, key: KeyLike): void {
  const what = 'registerDecryptionAndKey';
  checkName(name, what);
  if (isBuiltinCryptionMethod(name)) {
    throw invalid(`${what}: ${JSON.stringify(name)} is a built-in decryption method; use updateDecryptionKey to change its key`);
  }
  if (typeof fn !== 'function') throw invalid(`${what}: the decryption function must be a function`);
  _registerDecryption(name, fn, keyBytes(key, what));
}

/**
 * Replaces the key of a decryption method (megenginelite's `update_decryption_or_key` with a
 * key only): the built-ins `"AES_default"` (exactly 32 bytes), `"RC4_default"` and
 * `"SIMPLE_FAST_RC4_default"` (at least 16 bytes: an 8-byte hash key then an 8-byte encryption
 * key, see `rc4Key`; Lite reads the first 16), or a name registered with
 * {@link registerDecryptionAndKey} (any non-empty key). The key applies to every later load in
 * the process.
 *
 * @throws LiteError `LITE_INVALID_ARGUMENT` for an empty name or key, a key of the wrong length,
 *   or a name the runtime does not know (`LITE_ERROR` from the runtime in that last case).
 */
export function updateDecryptionKey(name: string, key: KeyLike): void {
  const what = 'updateDecryptionKey';
  checkName(name, what);
  const bytes = keyBytes(key, what);
  if (name === 'AES_default' && bytes.length !== AES_KEY_LENGTH) {
    throw invalid(`${what}: AES_default needs a key of exactly ${AES_KEY_LENGTH} bytes (AES-256), got ${bytes.length}`);
  }
  if ((name === 'RC4_default' || name === 'SIMPLE_FAST_RC4_default') && bytes.length < RC4_KEY_LENGTH) {
    throw invalid(
      `${what}: ${name} needs a key of at least ${RC4_KEY_LENGTH} bytes (8-byte hash key + 8-byte encryption key), got ${bytes.length}`,
    );
  }
  _updateDecryptionKey(name, bytes);
}

/** How many decryption functions can be registered with {@link registerDecryptionAndKey} per process. */
export function maxDecryptionMethods(): number {
  return _maxDecryptionMethods();
}
