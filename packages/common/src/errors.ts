/**
 * Stable error codes carried by {@link LiteError.code}: the same code for the same mistake on
 * both engines (never renamed or removed).
 *
 * - `LITE_ERROR` — the engine reported a failure not covered by a more precise code.
 * - `LITE_INVALID_ARGUMENT` — the call was rejected before reaching the engine.
 * - `LITE_DISPOSED` — the object was used after `dispose()`.
 * - `LITE_RUNTIME_NOT_FOUND` — the engine's runtime library (or the native binding) could not be loaded.
 * - `LITE_UNSUPPORTED` — the feature is not available on this machine or runtime (e.g. CUDA, GPU targets).
 * - `LITE_BUSY` — the network or model is running an asynchronous call that excludes this one.
 * - `LITE_FILE_NOT_FOUND` — a model path does not exist, is a directory or cannot be read.
 * - `LITE_INVALID_MODEL` — the data is not a model the engine can load (not a model, corrupt, truncated).
 * - `LITE_DECRYPTION_FAILED` — an encrypted model could not be decrypted (wrong key or method).
 */
export type LiteErrorCode =
  | 'LITE_ERROR'
  | 'LITE_INVALID_ARGUMENT'
  | 'LITE_DISPOSED'
  | 'LITE_RUNTIME_NOT_FOUND'
  | 'LITE_UNSUPPORTED'
  | 'LITE_BUSY'
  | 'LITE_FILE_NOT_FOUND'
  | 'LITE_INVALID_MODEL'
  | 'LITE_DECRYPTION_FAILED';

/**
 * Every {@link LiteErrorCode}, in the order of its documentation.
 *
 * @example
 * LITE_ERROR_CODES.includes('LITE_BUSY'); // true
 */
export const LITE_ERROR_CODES: readonly LiteErrorCode[] = Object.freeze([
  'LITE_ERROR',
  'LITE_INVALID_ARGUMENT',
  'LITE_DISPOSED',
  'LITE_RUNTIME_NOT_FOUND',
  'LITE_UNSUPPORTED',
  'LITE_BUSY',
  'LITE_FILE_NOT_FOUND',
  'LITE_INVALID_MODEL',
  'LITE_DECRYPTION_FAILED',
] as const);

const KNOWN: ReadonlySet<string> = new Set<string>(LITE_ERROR_CODES);

/**
 * Whether `value` is one of the {@link LiteErrorCode}s.
 *
 * @example
 * isLiteErrorCode('LITE_BUSY'); // true
 * isLiteErrorCode('ENOENT'); // false
 */
export function isLiteErrorCode(value: unknown): value is LiteErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Options of the {@link LiteError} constructor. */
export interface LiteErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The engine's full text (see {@link LiteError.engineMessage}). */
  engineMessage?: string | undefined;
}

/**
 * The error every `@lite/*` engine API throws (or rejects with): one class for both engines,
 * so `e instanceof LiteError` holds whichever of `@lite/core` and `@lite/mindspore` threw it (both
 * re-export this class). `code` is stable and safe to switch on. `message` is one line (at most
 * about 200 characters) that names the file or argument and says what to do; it holds no native
 * backtrace, build path or address, so it is safe to log and to return from a service. The
 * engine's full text, when the engine was involved, is on {@link LiteError.engineMessage}.
 *
 * @example
 * try {
 *   net.load('missing.mge');
 * } catch (e) {
 *   if (e instanceof LiteError && e.code === 'LITE_FILE_NOT_FOUND') console.log(e.message);
 * }
 */
export class LiteError extends Error {
  /** Stable machine-readable code. */
  readonly code: LiteErrorCode;
  /**
   * The engine's own message, unabridged (may span lines and hold a native backtrace); for
   * debugging only. `undefined` when the error did not come from the engine.
   */
  readonly engineMessage: string | undefined;

  constructor(code: LiteErrorCode, message: string, options?: LiteErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LiteError';
    this.code = code;
    this.engineMessage = options?.engineMessage;
  }
}
