// Native decryption hooks for @lite/crypto (internal: exported from the package index under
// underscore names; use @lite/crypto's public API instead).
import type { NativeDecryptor } from '@lite/binding';
import { LiteError, decryptionError, native, setEngineErrorHook } from './errors.js';
import { lib } from './native.js';
import { type PackedModelParts, writePackedModel } from './packed.js';

/**
 * The JS decryptors registered by this thread, by name (module state is per JS environment, as
 * the functions are). The engine calls them itself only on this thread (a synchronous load);
 * before an asynchronous load `@lite/core` runs them here (see {@link jsDecryption}).
 */
const ownDecryptors = new Map<string, NativeDecryptor>();

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
  ownDecryptors.set(name, native(() => b.registerDecryptionAndKey(name, guarded, key)));
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

/** The engine's name for no decryption. */
const NONE = 'NONE';

/** The method name the engine looks up for a packed model's header string (a C string: up to its first NUL). */
function engineName(name: string): string {
  const nul = name.indexOf('\0');
  return nul < 0 ? name : name.slice(0, nul);
}

/**
 * This thread's JS decryptor called `name`, if any. A JS decryptor of another thread cannot run
 * here (the loading thread would have to wait for that thread): `LITE_UNSUPPORTED`.
 */
function ownDecryptor(name: string): NativeDecryptor | undefined {
  if (name === '' || name === NONE) return undefined;
  const own = ownDecryptors.get(name);
  if (own !== undefined) return own;
  if (lib().foreignDecryptionMethod(name)) {
    throw new LiteError(
      'LITE_UNSUPPORTED',
      `decryption method ${JSON.stringify(name)} is a JavaScript function registered on another thread (worker): a decryptor runs only on the thread that registered it, and loading here would make this thread wait for that one; register a decryptor (under its own name) on the thread that loads the model`,
    );
  }
  return undefined;
}

/** Runs `decryptor` (registered as `name`) on `stored` as the engine would; its failure is the load's. */
function decryptWith(decryptor: NativeDecryptor, name: string, stored: Uint8Array): Uint8Array {
  const o = native(() => decryptor.decrypt(stored));
  if (o.data === undefined || o.data === null) {
    throw decryptionError(o.failure ?? `the decryption function registered as ${JSON.stringify(name)} gave no data`);
  }
  return o.data;
}

/** The decryption the engine would run through JS decryptors of this thread when loading a model. */
export interface JsDecryption {
  /** Whether {@link JsDecryption.apply} needs the model's bytes as stored (a bare model). */
  readonly needsBytes: boolean;
  /**
   * Runs those decryptors on this thread, in the engine's order and with its arguments, and
   * returns what the engine can load as a plain model: the decrypted bare model, or the packed
   * model rewritten with its decrypted parts stored under `"NONE"`. A decryptor's failure throws
   * the `LITE_DECRYPTION_FAILED` error the engine's load would give.
   */
  apply(stored: Uint8Array): Uint8Array;
}

/**
 * Which JS decryptors the engine would call to load a model: a packed model's info (when it has
 * info data, first) and model decryption methods, as named in its header; else the bare model's
 * `bareModelCryptionName` (ignored by the engine for packed models). `undefined` when none of
 * them is a JS decryptor of this thread (the engine does the whole load, with the built-ins).
 *
 * @param packed the packed model's parts, or undefined for a bare model
 * @throws LiteError `LITE_UNSUPPORTED` when one of them is a JS decryptor of another thread.
 */
export function jsDecryption(packed: PackedModelParts | undefined, bareName: string): JsDecryption | undefined {
  if (packed === undefined) {
    const d = ownDecryptor(bareName);
    if (d === undefined) return undefined;
    return { needsBytes: true, apply: (stored) => decryptWith(d, bareName, stored) };
  }
  const infoName = packed.info === undefined ? NONE : engineName(packed.infoCryption);
  const modelName = engineName(packed.modelCryption);
  const info = ownDecryptor(infoName);
  const model = ownDecryptor(modelName);
  if (info === undefined && model === undefined) return undefined;
  return {
    needsBytes: false,
    apply: () => {
      const parts: PackedModelParts = { ...packed };
      if (info !== undefined && packed.info !== undefined) {
        parts.info = decryptWith(info, infoName, packed.info);
        parts.infoCryption = NONE;
      }
      if (model !== undefined) {
        parts.model = decryptWith(model, modelName, packed.model);
        parts.modelCryption = NONE;
      }
      return writePackedModel(parts);
    },
  };
}
