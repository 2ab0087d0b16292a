// Load failures a user can act on: the model path is checked before the engine sees it, and the
// engine's load errors are sorted into LITE_INVALID_MODEL / LITE_DECRYPTION_FAILED with a short
// message naming the model (the engine's text stays on `engineMessage`).
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { LiteConfig } from './config.js';
import { LiteError, clip, engineSummary, show } from './errors.js';

/** The built-in decryption methods of the 1.13 runtime. */
const BUILTIN_CRYPTION = ['AES_default', 'RC4_default', 'SIMPLE_FAST_RC4_default'];

/** How a model source is named in messages: the path as given (shortened), or its size. */
export function describeModel(model: string | Uint8Array | ArrayBuffer): string {
  if (typeof model === 'string') return JSON.stringify(model.length > 80 ? `…${model.slice(-79)}` : model);
  return `the model data (${model.byteLength} bytes)`;
}

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/**
 * Throws `LITE_FILE_NOT_FOUND` unless `path` names a readable regular file. `what` names the
 * argument ("model file", ...).
 */
export function checkModelFile(path: string, what = 'model file'): void {
  const name = describeModel(path);
  let isFile: boolean;
  let size: number;
  try {
    const st = statSync(path);
    isFile = st.isFile();
    size = st.size;
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new LiteError('LITE_FILE_NOT_FOUND', clip(`${what} ${name} does not exist; check the path (relative paths start at ${show(process.cwd())})`), { cause: e });
    }
    throw new LiteError('LITE_FILE_NOT_FOUND', clip(`${what} ${name} cannot be read (${code}); check the path and its permissions`), { cause: e });
  }
  if (!isFile) throw new LiteError('LITE_FILE_NOT_FOUND', clip(`${what} ${name} is not a file (a directory?); pass the path of the model file itself`));
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new LiteError('LITE_FILE_NOT_FOUND', clip(`${what} ${name} cannot be read (${errnoOf(e)}); check its permissions`), { cause: e });
  }
  if (size === 0) throw new LiteError('LITE_INVALID_MODEL', clip(`${what} ${name} is empty (0 bytes); re-export or re-download the model`));
}

/**
 * Reads a model file on the JS thread (one {@link checkModelFile} accepted), for a JavaScript
 * decryptor that runs there on all of its bytes anyway; a file that went away or became
 * unreadable since is `LITE_FILE_NOT_FOUND`, as {@link checkModelFile} says.
 */
export function readModelFile(path: string, what = 'model file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    checkModelFile(path, what);
    throw new LiteError('LITE_FILE_NOT_FOUND', clip(`${what} ${describeModel(path)} cannot be read (${errnoOf(e)}); check the path and its permissions`), { cause: e });
  }
}

// What the 1.13 engine says when the bytes are not a loadable model: its format check, the
// bounds checks of its graph reader, or a flatbuffer verification failure.
const NOT_A_MODEL = /invalid model format|model verification failed|m_offset \+ size <= m_size|serialization|flatbuffer|unknown model format|magic/i;
const NOT_REGISTERED = /decryption method (.*?) is not regist/i;
// SIMPLE_FAST_RC4_default carries a checksum: there the engine itself knows decryption failed.
const CHECKSUM_FAILED = /checksum of the file cannot be verified/i;

const STRUCTURAL = 'not a valid MegEngine model: ';

/**
 * Sorts an error from loading `model` with `config`: engine errors that mean "not a model" become
 * `LITE_INVALID_MODEL`, or `LITE_DECRYPTION_FAILED` when a decryption method was configured (a
 * wrong key or method yields bytes that are not a model, which the engine cannot tell from a
 * corrupt file); an unknown decryption name becomes `LITE_INVALID_ARGUMENT`. Other errors pass.
 */
export function classifyLoadError(err: unknown, model: string | Uint8Array | ArrayBuffer, config: LiteConfig): unknown {
  // The binding's structural check (before the engine's loader) names what is wrong.
  if (err instanceof LiteError && err.code === 'LITE_INVALID_MODEL' && err.message.startsWith(STRUCTURAL)) {
    return new LiteError('LITE_INVALID_MODEL', clip(`${describeModel(model)} is not a valid MegEngine model: ${err.message.slice(STRUCTURAL.length)}`), { cause: err });
  }
  if (!(err instanceof LiteError) || err.code !== 'LITE_ERROR' || err.engineMessage === undefined) return err;
  const raw = err.engineMessage;
  const name = describeModel(model);
  const method = config.bareModelCryptionName;
  const options = { cause: err, engineMessage: raw };
  const unregistered = NOT_REGISTERED.exec(raw);
  if (unregistered) {
    return new LiteError(
      'LITE_INVALID_ARGUMENT',
      clip(`decryption method ${show(unregistered[1] ?? method)} is not registered: use one of ${BUILTIN_CRYPTION.join(', ')} or register it with @lite/crypto first`),
      options,
    );
  }
  if (CHECKSUM_FAILED.test(raw)) {
    return new LiteError(
      'LITE_DECRYPTION_FAILED',
      clip(`${name} failed the ${show(method)} checksum: the key or method is wrong, or the file is corrupt; check the key (updateDecryptionKey)`),
      options,
    );
  }
  if (!NOT_A_MODEL.test(raw)) return new LiteError('LITE_ERROR', clip(`loading ${name} failed: ${engineSummary(raw, 150)}`), options);
  if (method !== '') {
    return new LiteError(
      'LITE_DECRYPTION_FAILED',
      clip(`${name} could not be decrypted with ${show(method)}: the key or method is wrong, or the file is not encrypted with it; check the key (updateDecryptionKey)`),
      options,
    );
  }
  if (isMindir(model)) {
    return new LiteError('LITE_UNSUPPORTED', clip(`${name} is a MindSpore MindIR model, not a MegEngine one: build it with @lite/mindspore (new Model().buildFromFile(path, ModelType.MINDIR))`), options);
  }
  return new LiteError('LITE_INVALID_MODEL', clip(`${name} is not a valid MegEngine model (not a model, corrupt or truncated); re-export it or check the file`), options);
}

/** The head of every MindIR file: ModelProto field 1 (ir_version) first, then field 2, producer "MindSpore". */
const MINDIR_PRODUCER = new TextEncoder().encode('\x12\x09MindSpore');

/** Whether `model` (bytes, or the start of the file) is a MindSpore MindIR model. */
export function isMindir(model: string | Uint8Array | ArrayBuffer): boolean {
  let head: Uint8Array;
  try {
    if (typeof model === 'string') {
      head = new Uint8Array(64);
      const fd = openSync(model, 'r');
      try {
        head = head.subarray(0, readSync(fd, head, 0, 64, 0));
      } finally {
        closeSync(fd);
      }
    } else {
      head = (model instanceof ArrayBuffer ? new Uint8Array(model) : model).subarray(0, 64);
    }
  } catch {
    return false;
  }
  if (head[0] !== 0x0a) return false;
  outer: for (let i = 1; i + MINDIR_PRODUCER.length <= head.length; i++) {
    for (let j = 0; j < MINDIR_PRODUCER.length; j++) if (head[i + j] !== MINDIR_PRODUCER[j]) continue outer;
    return true;
  }
  return false;
}

/** Runs a load of `model`, sorting its failure with {@link classifyLoadError}. */
export function loading<T>(model: string | Uint8Array | ArrayBuffer, config: LiteConfig, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw classifyLoadError(e, model, config);
  }
}

/** Async form of {@link loading}. */
export async function loadingAsync<T>(model: string | Uint8Array | ArrayBuffer, config: LiteConfig, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw classifyLoadError(e, model, config);
  }
}
