/**
 * Stable error codes carried by {@link LiteError.code}.
 *
 * - `LITE_ERROR` — the engine reported a failure (the message is the engine's own).
 * - `LITE_INVALID_ARGUMENT` — the call was rejected before reaching the engine.
 * - `LITE_DISPOSED` — the object was used after `dispose()`.
 * - `LITE_RUNTIME_NOT_FOUND` — the MegEngine Lite shared library could not be loaded.
 * - `LITE_UNSUPPORTED` — the feature is not available on this machine or runtime (e.g. CUDA).
 * - `LITE_BUSY` — the network is already running an asynchronous call.
 */
export type LiteErrorCode =
  | 'LITE_ERROR'
  | 'LITE_INVALID_ARGUMENT'
  | 'LITE_DISPOSED'
  | 'LITE_RUNTIME_NOT_FOUND'
  | 'LITE_UNSUPPORTED'
  | 'LITE_BUSY';

const KNOWN_CODES = new Set<string>([
  'LITE_ERROR',
  'LITE_INVALID_ARGUMENT',
  'LITE_DISPOSED',
  'LITE_RUNTIME_NOT_FOUND',
  'LITE_UNSUPPORTED',
  'LITE_BUSY',
]);

/**
 * The error every `@lite/*` API throws (or rejects with). `code` is stable and safe to switch on;
 * `message` is human-readable and, for `LITE_ERROR`, includes the engine's own message.
 *
 * @example
 * try { net.load('missing.mge'); } catch (e) { if (e instanceof LiteError && e.code === 'LITE_ERROR') ... }
 */
export class LiteError extends Error {
  /** Stable machine-readable code. */
  readonly code: LiteErrorCode;

  constructor(code: LiteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LiteError';
    this.code = code;
  }
}

let engineErrorHook: ((err: LiteError) => LiteError) | undefined;

/** Internal (used by crypto-internal.ts): adds context to engine (`LITE_ERROR`) errors. */
export function setEngineErrorHook(hook: (err: LiteError) => LiteError): void {
  engineErrorHook = hook;
}

function engineError(code: LiteErrorCode, message: string): LiteError {
  const e = new LiteError(code, message);
  return code === 'LITE_ERROR' && engineErrorHook ? engineErrorHook(e) : e;
}

/** Turns whatever the native binding threw into a {@link LiteError} (other errors pass through). */
export function toLiteError(err: unknown): unknown {
  if (err instanceof LiteError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN_CODES.has(code)) {
      return engineError(code as LiteErrorCode, err.message);
    }
    // Async tasks carry the code in front of the message, separated by U+0001.
    const sep = err.message.indexOf('\u0001');
    if (sep > 0 && KNOWN_CODES.has(err.message.slice(0, sep))) {
      return engineError(err.message.slice(0, sep) as LiteErrorCode, err.message.slice(sep + 1));
    }
  }
  return err;
}

/** Runs a native call, converting its failure into a {@link LiteError}. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw toLiteError(err);
  }
}

/** Awaits a native promise, converting its rejection into a {@link LiteError}. */
export async function nativeAsync<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw toLiteError(err);
  }
}

/** Throws `LITE_INVALID_ARGUMENT`. */
export function invalid(message: string): never {
  throw new LiteError('LITE_INVALID_ARGUMENT', message);
}

/**
 * Internal: a short description of any value for error messages. Never throws — not on
 * Symbols, `Object.create(null)`, revoked Proxies or objects whose `toString` throws.
 */
export function show(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
      case 'number':
      case 'boolean':
      case 'undefined':
        return String(value);
      case 'bigint':
        return `${value.toString()}n`;
      case 'symbol':
        return value.toString();
      case 'function':
        return 'a function';
      default: {
        if (value === null) return 'null';
        if (Array.isArray(value)) {
          const simple = value.length <= 8 && value.every((v) => typeof v === 'number');
          return simple ? `[${value.join(', ')}]` : `an array of length ${value.length}`;
        }
        const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
        return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
      }
    }
  } catch {
    return 'an unprintable value';
  }
}

/** Internal: whether `value` is one of the numeric members of a TypeScript enum object. */
export function isEnumValue(enumObject: Record<string | number, string | number>, value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && typeof enumObject[value] === 'string';
}
