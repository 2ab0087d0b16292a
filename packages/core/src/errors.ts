// MegEngine's side of the error helpers: the class, codes and shared helpers live in
// @lite/common (one LiteError for both engines); this file adds what is MegEngine's own (the
// summary of lite's and megbrain's assertion texts, the decryption hook).
import {
  LiteError,
  type LiteErrorCode,
  type NativeFailureLike,
  MAX_MESSAGE,
  clip,
  failureCode,
  oneLine,
  toLiteError as commonToLiteError,
} from '@lite/common/internal';

export { LiteError, type LiteErrorCode, type LiteErrorOptions } from '@lite/common';
export { clip, invalid, isEnumValue, isLiteErrorCode, show, type NativeFailureLike } from '@lite/common/internal';

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
  if (code !== 'LITE_ERROR') return new LiteError(code, oneLine(message));
  const e = new LiteError(code, engineSummary(message, MAX_MESSAGE), { engineMessage: message });
  return engineErrorHook ? engineErrorHook(e) : e;
}

/** Turns whatever the native binding threw into a {@link LiteError} (other errors pass through). */
export function toLiteError(err: unknown): unknown {
  return commonToLiteError(err, engineError);
}

/** Internal: a job's structured failure as a {@link LiteError}. */
export function fromFailure(f: NativeFailureLike): LiteError {
  const code = failureCode(f);
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
