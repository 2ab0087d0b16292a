/**
 * Helpers the engine packages build on (`@lite/core`, `@lite/mindspore`): error conversion,
 * the `{ signal }` option, native loading and the `validateModel` child process. Not part of the
 * public API: no stability promise beyond the versions released together with it.
 *
 * @packageDocumentation
 */
export { LiteError, isLiteErrorCode, type LiteErrorCode } from './errors.js';
export {
  MAX_MESSAGE,
  clip,
  failureCode,
  failureError,
  invalid,
  isEnumValue,
  oneLine,
  show,
  toLiteError,
  type EngineErrorFactory,
  type NativeFailureLike,
} from './messages.js';
export { abortable, signalOption } from './signal.js';
export { CACHED_RUNTIME_ENV, moduleNotFound, packageFiles, packageVersion, runtimeOnce, type EngineThreads, type PackageFiles } from './loader.js';
export { CHILD_PRELUDE, REPORT_MARK, childEntry, modelBytes, runIsolated, timeoutOption, type IsolatedRun, type ValidateModelResult } from './isolated.js';
