// The `{ signal }` option of async predicts, the same on both engines.
import { invalid, show } from './messages.js';

/**
 * The `signal` of an async call's options, checked: `LITE_INVALID_ARGUMENT` when `options` is
 * not an object or `signal` is not an `AbortSignal`.
 */
export function signalOption(options: unknown, what: string): AbortSignal | undefined {
  if (options === null || typeof options !== 'object') invalid(`${what}: options must be an object, got ${show(options)}`);
  const signal = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid(`${what}: signal must be an AbortSignal, got ${show(signal)}`);
  return signal;
}

/**
 * `run`, or `signal.reason` as soon as the signal aborts (at once when it already has). The
 * native call is not cancelled: a result that arrives after the abort is handed to `drop` (to
 * free it), and a late failure is ignored. `aborted` runs right after the abort rejected the
 * promise (e.g. to take a request that has not started out of a native queue).
 */
export function abortable<T>(run: Promise<T>, signal: AbortSignal | undefined, drop?: (late: T) => void, aborted?: () => void): Promise<T> {
  if (!signal) return run;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(signal.reason);
      aborted?.();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    run.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          resolve(v);
        } else drop?.(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          reject(e);
        }
      },
    );
  });
}
