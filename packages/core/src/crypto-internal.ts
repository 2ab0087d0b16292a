// Native decryption hooks for @lite/crypto (internal: exported from the package index under
// underscore names; use @lite/crypto's public API instead).
import { LiteError, decryptionError, native, setEngineErrorHook } from './errors.js';
import { lib } from './native.js';

let hookInstalled = false;

/**
 * Once a JS decryptor exists, an engine error that follows its failure (the runtime only says
 * that the model data is unusable) is reported with the decryptor's own reason in front.
 */
function installHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  setEngineErrorHook((err) => {
    // A synchronous load ran the decryptor on this thread; an async load's failure arrives
    // already as LITE_DECRYPTION_FAILED (see fromFailure).
    const failure = lib().takeDecryptionFailure();
    if (failure === null) return err;
    return decryptionError(failure, err.engineMessage, err);
  });
}

/** A model decryptor: `(encrypted model, key) => decrypted model`. */
export type DecryptionFunction = (input: Uint8Array, key: Uint8Array) => Uint8Array;

/**
 * Registers `fn` with the runtime as the decryption method `name` with `key` (bytes, already
 * validated by the caller). Throws `LITE_UNSUPPORTED` when the table of JS decryptors is full and
 * `LITE_INVALID_ARGUMENT` when the name is taken.
 */
export function registerDecryption(name: string, fn: DecryptionFunction, key: Uint8Array): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new LiteError('LITE_INVALID_ARGUMENT', 'decryption method name must be a non-empty string');
  }
  if (typeof fn !== 'function') {
    throw new LiteError('LITE_INVALID_ARGUMENT', 'decryption function must be a function');
  }
  if (!(key instanceof Uint8Array) || key.length === 0) {
    throw new LiteError('LITE_INVALID_ARGUMENT', 'decryption key must be a non-empty Uint8Array');
  }
  // The binding reports a throw by its message; a thrown non-Error becomes an Error with its text.
  const guarded: DecryptionFunction = (input, k) => {
    try {
      return fn(input, k);
    } catch (e) {
      throw e instanceof Error ? e : new Error(String(e));
    }
  };
  const b = lib();
  native(() => b.registerDecryptionAndKey(name, guarded, key));
  installHook();
}

/** Replaces the key of the decryption method `name` (bytes, validated by the caller). */
export function updateDecryptionKey(name: string, key: Uint8Array): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new LiteError('LITE_INVALID_ARGUMENT', 'decryption method name must be a non-empty string');
  }
  if (!(key instanceof Uint8Array) || key.length === 0) {
    throw new LiteError('LITE_INVALID_ARGUMENT', 'decryption key must be a non-empty Uint8Array');
  }
  const b = lib();
  native(() => b.updateDecryptionKey(name, key));
}

/**
 * Why the most recent JS decryptor produced no data (it threw or returned something other than a
 * non-empty Uint8Array), then forgets it; `null` when nothing failed since the last call.
 */
export function takeDecryptionFailure(): string | null {
  return lib().takeDecryptionFailure();
}

/** How many JS decryptors can be registered per process. */
export function maxDecryptionMethods(): number {
  return lib().maxDecryptionMethods();
}
