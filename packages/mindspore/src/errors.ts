// MindSpore's side of the error helpers. The class, the codes and the conversion of what the
// binding throws live in @lite/common (one LiteError for both engines, so `instanceof` holds
// across @lite/core and @lite/mindspore); this file adds the queued-call helpers of this package.
import { type NativeFailureLike, failureError, toLiteError } from '@lite/common/internal';

export { LiteError, type LiteErrorCode, type LiteErrorOptions } from '@lite/common';
export { failureError, invalid, show, toLiteError } from '@lite/common/internal';

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

/**
 * Internal: starts a queued native call (it resolves to an outcome, never rejects for an engine
 * failure) and returns its outcome, throwing the failure as a {@link LiteError}.
 */
export async function queued<O extends { failure?: NativeFailureLike | null }>(start: () => Promise<O>): Promise<O> {
  const outcome = await nativeAsync(start);
  if (outcome.failure) throw failureError(outcome.failure);
  return outcome;
}
