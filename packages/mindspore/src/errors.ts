/**
 * Stable error codes carried by {@link LiteError.code} (the same codes as `@lite/core`).
 *
 * - `LITE_ERROR` — the engine reported a failure (the message carries the engine's reason).
 * - `LITE_INVALID_ARGUMENT` — the call was rejected before reaching the engine.
 * - `LITE_DISPOSED` — the object was used after `dispose()`.
 * - `LITE_RUNTIME_NOT_FOUND` — the MindSpore Lite runtime could not be loaded (the message says how to get it).
 * - `LITE_UNSUPPORTED` — the runtime cannot do this (e.g. GPU/Ascend targets, weight updates on CPU).
 * - `LITE_BUSY` — the model is running an asynchronous call (or another model conversion runs).
 * - `LITE_FILE_NOT_FOUND` — a model file (or a file given to the {@link Converter}) does not exist, is a directory or cannot be read.
 * - `LITE_INVALID_MODEL` — the data is not a model the engine can load: an empty file, not MindIR, or a
 *   MindIR file that fails the structural check made before the engine sees it (a tensor whose bytes
 *   do not match its dims, a name that resolves to nothing, …; the message names the tensor or node);
 *   or the {@link Converter} could not convert the model (the message carries the engine's reason).
 */
export type LiteErrorCode =
  | 'LITE_ERROR'
  | 'LITE_INVALID_ARGUMENT'
  | 'LITE_DISPOSED'
  | 'LITE_RUNTIME_NOT_FOUND'
  | 'LITE_UNSUPPORTED'
  | 'LITE_BUSY'
  | 'LITE_FILE_NOT_FOUND'
  | 'LITE_INVALID_MODEL';

const KNOWN_CODES = new Set<string>([
  'LITE_ERROR',
  'LITE_INVALID_ARGUMENT',
  'LITE_DISPOSED',
  'LITE_RUNTIME_NOT_FOUND',
  'LITE_UNSUPPORTED',
  'LITE_BUSY',
  'LITE_FILE_NOT_FOUND',
  'LITE_INVALID_MODEL',
]);

/**
 * The error every `@lite/mindspore` API throws (or rejects with): `code` is stable and safe to
 * switch on, `message` is one human-readable line.
 *
 * @example
 * try { model.buildFromFile('missing.mindir', ModelType.MINDIR); }
 * catch (e) { if (e instanceof LiteError && e.code === 'LITE_INVALID_ARGUMENT') ... }
 */
export class LiteError extends Error {
  /** Stable machine-readable code. */
  readonly code: LiteErrorCode;

  /** The engine's unabridged text, when the engine reported the failure (`LITE_ERROR`). */
  readonly engineMessage?: string;

  constructor(code: LiteErrorCode, message: string, options?: { cause?: unknown; engineMessage?: string }) {
    super(message, options);
    this.name = 'LiteError';
    this.code = code;
    if (options?.engineMessage !== undefined) this.engineMessage = options.engineMessage;
  }
}

/** Internal: turns what the native binding threw into a {@link LiteError} (others pass through). */
export function toLiteError(err: unknown): unknown {
  if (err instanceof LiteError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  // Sync and async failures alike carry the stable code as a property (never inside the text).
  if (typeof code === 'string' && KNOWN_CODES.has(code)) return new LiteError(code as LiteErrorCode, err.message);
  // A value the binding could not convert (napi-rs status "NumberExpected", "InvalidArg", ...):
  // the TS layer checks arguments first, this only keeps a gap from escaping as a foreign error.
  if (typeof code === 'string' && (code === 'InvalidArg' || /^[A-Z][A-Za-z]*Expected$/.test(code))) {
    return new LiteError('LITE_INVALID_ARGUMENT', `the native binding could not take an argument: ${err.message.split('\n')[0] ?? ''}`, { cause: err });
  }
  return err;
}

/** Internal: runs a native call, converting its failure into a {@link LiteError}. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw toLiteError(err);
  }
}

/**
 * Internal: starts a native async call and awaits it, converting its failure into a
 * {@link LiteError} — a rejection, and also an error the native call throws before it returns a
 * promise (e.g. LITE_DISPOSED, or an argument the binding cannot convert).
 */
export async function nativeAsync<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw toLiteError(err);
  }
}

/** A native failure as the binding reports it (a structured value, never a string to parse). */
interface NativeFailureLike {
  code: string;
  message: string;
  engineMessage?: string | null;
}

/** Internal: the LiteError for a failure the native queue reported. */
export function failureError(f: NativeFailureLike): LiteError {
  const code = (KNOWN_CODES.has(f.code) ? f.code : 'LITE_ERROR') as LiteErrorCode;
  return new LiteError(code, f.message.replace(/\s*\n\s*/g, ' '), f.engineMessage == null ? undefined : { engineMessage: f.engineMessage });
}

/**
 * Internal: starts a queued native call (it resolves to an outcome, never rejects for an engine
 * failure) and returns its outcome, throwing the failure as a {@link LiteError}.
 */
export async function queued<O extends { failure?: NativeFailureLike | null }>(start: () => Promise<O>): Promise<O> {
  const outcome = await nativeAsync(start);
  if (outcome.failure) throw failureError(outcome.failure);
  return outcome;
}

/** Internal: throws `LITE_INVALID_ARGUMENT`. */
export function invalid(message: string): never {
  throw new LiteError('LITE_INVALID_ARGUMENT', message);
}

/** Internal: a short description of any value for error messages; never throws. */
export function show(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return 'a function';
    if (value === null || typeof value !== 'object') return String(value);
    if (Array.isArray(value)) {
      return value.length <= 8 && value.every((v) => typeof v === 'number') ? `[${value.join(', ')}]` : `an array of length ${value.length}`;
    }
    const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
  } catch {
    return 'an unprintable value';
  }
}
