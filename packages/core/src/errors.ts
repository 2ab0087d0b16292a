/**
 * Stable error codes carried by {@link LiteError.code} (never renamed or removed; see the README
 * for an example of each).
 *
 * - `LITE_ERROR` — the engine reported a failure not covered by a more precise code.
 * - `LITE_INVALID_ARGUMENT` — the call was rejected before reaching the engine.
 * - `LITE_DISPOSED` — the object was used after `dispose()`.
 * - `LITE_RUNTIME_NOT_FOUND` — the MegEngine Lite shared library could not be loaded.
 * - `LITE_UNSUPPORTED` — the feature is not available on this machine or runtime (e.g. CUDA).
 * - `LITE_BUSY` — the network is already running an asynchronous call.
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

/** @internal every {@link LiteErrorCode}. */
export const KNOWN_CODES: ReadonlySet<string> = new Set<LiteErrorCode>([
  'LITE_ERROR',
  'LITE_INVALID_ARGUMENT',
  'LITE_DISPOSED',
  'LITE_RUNTIME_NOT_FOUND',
  'LITE_UNSUPPORTED',
  'LITE_BUSY',
  'LITE_FILE_NOT_FOUND',
  'LITE_INVALID_MODEL',
  'LITE_DECRYPTION_FAILED',
]);

/** Options of the {@link LiteError} constructor. */
export interface LiteErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** The engine's full text (see {@link LiteError.engineMessage}). */
  engineMessage?: string;
}

/**
 * The error every `@lite/*` API throws (or rejects with). `code` is stable and safe to switch on.
 * `message` is one line (at most about 200 characters) that names the file or argument and says
 * what to do; it holds no native backtrace, build path or address, so it is safe to log and to
 * return from a service. The engine's full text, when the engine was involved, is on
 * {@link LiteError.engineMessage}.
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

const MAX_MESSAGE = 200;

/** Shortens `text` to at most `max` characters, ending in "…" when cut. */
export function clip(text: string, max = MAX_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Internal: the gist of an engine message on one line — no backtrace, source path, function
 * signature or address; at most `max` characters.
 */
export function engineSummary(raw: string, max = 160): string {
  let s = raw;
  const bt = s.search(/\n\s*backtrace:/);
  if (bt >= 0) s = s.slice(0, bt);
  // lite's asserts: "Assert ' expr ' failed at file : PATH \nline N : FUNC,\nextra message: TEXT"
  const lite = /Assert ' (.*?) ' failed at file[\s\S]*?extra message:\s*([\s\S]*)$/.exec(s);
  if (lite) s = (lite[2] ?? '').replace(/, Error Code: -?\d+\s*$/, '').trim() || `assertion "${lite[1] ?? ''}" failed`;
  // megbrain's asserts: "assertion `expr' failed at PATH:LINE: FUNC"
  s = s.replace(/(assertion `.*?') failed at \S+:\d+: .*/g, '$1 failed');
  s = s
    .replace(/^(?:Error: )+/, '')
    .replace(/, Error Code: -?\d+\s*$/, '')
    .replace(/(?:\/[\w.+-]+)+\.(?:cpp|cc|cxx|h|hpp|inl)(?::\d+)?/g, '<engine source>')
    .replace(/\b0x[0-9a-fA-F]{6,}\b/g, '<address>')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\.$/, '');
  return clip(s || 'unknown engine error', max);
}

let engineErrorHook: ((err: LiteError) => LiteError) | undefined;

/** Internal (used by crypto-internal.ts): adds context to engine (`LITE_ERROR`) errors. */
export function setEngineErrorHook(hook: (err: LiteError) => LiteError): void {
  engineErrorHook = hook;
}

function engineError(code: LiteErrorCode, message: string): LiteError {
  // Our own messages (from the binding): already actionable; only kept on one line.
  if (code !== 'LITE_ERROR') return new LiteError(code, message.replace(/\s*\n\s*/g, ' '));
  const e = new LiteError(code, engineSummary(message, MAX_MESSAGE), { engineMessage: message });
  return engineErrorHook ? engineErrorHook(e) : e;
}

/** Turns whatever the native binding threw into a {@link LiteError} (other errors pass through). */
export function toLiteError(err: unknown): unknown {
  if (err instanceof LiteError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN_CODES.has(code)) {
      return engineError(code as LiteErrorCode, err.message);
    }
  }
  return err;
}

/** The structured failure of a native job (code, message, the engine's text). */
export interface NativeFailureLike {
  readonly code: string;
  readonly message: string;
  readonly engineMessage?: string | null;
}

/** Internal: a job's structured failure as a {@link LiteError}. */
export function fromFailure(f: NativeFailureLike): LiteError {
  const code = KNOWN_CODES.has(f.code) ? (f.code as LiteErrorCode) : 'LITE_ERROR';
  if (code === 'LITE_DECRYPTION_FAILED') return decryptionError(f.message, f.engineMessage ?? undefined);
  return engineError(code, f.engineMessage ?? f.message);
}

/** Internal: a load that failed because a JS decryptor gave no data (`reason` says why). */
export function decryptionError(reason: string, engineMessage?: string, cause?: unknown): LiteError {
  return new LiteError('LITE_DECRYPTION_FAILED', clip(`model decryption failed: ${engineSummary(reason, 150)}; check the function and its key`), {
    cause,
    engineMessage,
  });
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
