// Helpers both engines use to build LiteErrors and their one-line messages.
import { LiteError, type LiteErrorCode, isLiteErrorCode } from './errors.js';

/** Longest `LiteError.message` the helpers make. */
export const MAX_MESSAGE = 200;

/** Shortens `text` to at most `max` characters, ending in "…" when cut. */
export function clip(text: string, max = MAX_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `text` on one line: each line break, with the blanks around it, becomes one space. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Throws `LITE_INVALID_ARGUMENT`. */
export function invalid(message: string): never {
  throw new LiteError('LITE_INVALID_ARGUMENT', message);
}

/**
 * A short description of any value for error messages. Never throws — not on Symbols,
 * `Object.create(null)`, revoked Proxies or objects whose `toString` throws.
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

/** Whether `value` is one of the numeric members of a TypeScript enum object. */
export function isEnumValue(enumObject: Record<string | number, string | number>, value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && typeof enumObject[value] === 'string';
}

/**
 * The structured failure of a native job, as the binding reports it (a value, never a string
 * to parse): its code, our one-line message, and the engine's own text when the engine failed.
 */
export interface NativeFailureLike {
  readonly code: string;
  readonly message: string;
  readonly engineMessage?: string | null;
}

/** The {@link LiteErrorCode} of a native failure (`LITE_ERROR` for a code this version does not know). */
export function failureCode(failure: NativeFailureLike): LiteErrorCode {
  return isLiteErrorCode(failure.code) ? failure.code : 'LITE_ERROR';
}

/**
 * A native failure as a {@link LiteError}: its code, its message on one line, the engine's text
 * as `engineMessage`. (`@lite/core` shortens MegEngine's assertion texts first.)
 */
export function failureError(failure: NativeFailureLike): LiteError {
  return new LiteError(failureCode(failure), oneLine(failure.message), {
    engineMessage: failure.engineMessage ?? undefined,
  });
}

/** Makes the {@link LiteError} for a binding error that carries a known code. */
export type EngineErrorFactory = (code: LiteErrorCode, message: string) => LiteError;

const plainEngineError: EngineErrorFactory = (code, message) => new LiteError(code, oneLine(message));

/**
 * Turns whatever the native binding threw into a {@link LiteError}; other errors pass through.
 * The binding throws `Error`s whose `code` property is a {@link LiteErrorCode} (sync and async
 * alike, never inside the text); `make` builds the LiteError for those. A value the binding
 * could not convert (napi-rs statuses `InvalidArg`, `NumberExpected`, ...) becomes
 * `LITE_INVALID_ARGUMENT`: the TypeScript layers check arguments first, this only keeps a gap
 * from escaping as a foreign error.
 */
export function toLiteError(err: unknown, make: EngineErrorFactory = plainEngineError): unknown {
  if (err instanceof LiteError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  if (isLiteErrorCode(code)) return make(code, err.message);
  if (typeof code === 'string' && (code === 'InvalidArg' || /^[A-Z][A-Za-z]*Expected$/.test(code))) {
    return new LiteError('LITE_INVALID_ARGUMENT', `the native binding could not take an argument: ${err.message.split('\n')[0] ?? ''}`, { cause: err });
  }
  return err;
}
