// validateModel: loads a model in a separate Node.js process, so a model that crashes the native
// runtime (MegEngine's graph loader trusts some fields of a well-formed flatbuffer, and a crafted
// or corrupted file can make it read out of bounds) takes down that child, never the caller.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LiteConfig } from './config.js';
import { KNOWN_CODES, LiteError, type LiteErrorCode, invalid } from './errors.js';
import type { ModelSource } from './network.js';
import { checkNotDetached } from './tensor.js';

/** Options of {@link validateModel}. */
export interface ValidateModelOptions {
  /** Configuration to load with (device, options, built-in decryption name, ...). Default: CPU. */
  config?: LiteConfig;
  /** Also run one forward with zero-filled inputs (default true): catches faults at run time too. */
  forward?: boolean;
  /** Milliseconds before the child is killed and the model reported as hanging (default 60 000). */
  timeout?: number;
}

/** Outcome of {@link validateModel}; never thrown, always returned. */
export type ValidateModelResult =
  | {
      /** The model loaded (and ran, unless `forward: false`) in the child process. */
      ok: true;
      /** Input names of the model. */
      inputs: string[];
      /** Output names of the model. */
      outputs: string[];
    }
  | {
      ok: false;
      /**
       * Why it failed: the engine's own `LiteError` (e.g. `LITE_ERROR` "model verification failed"),
       * or a `LITE_ERROR` describing the crash / timeout of the child.
       */
      error: LiteError;
      /** The native runtime crashed on this model (signal or abnormal exit of the child). */
      crashed: boolean;
      /** The child ran longer than `timeout` and was killed. */
      timedOut: boolean;
      /** Signal that ended the child (e.g. `"SIGSEGV"`), if any. */
      signal: string | null;
      /** Exit code of the child, if it exited. */
      exitCode: number | null;
    };

const MARK = '@@lite-validate@@';

// The child: imports @lite/core from `argv[1]`, loads argv[2] (a path, or "-" = bytes on stdin),
// optionally runs one forward with zeros, and prints one marked JSON line.
const CHILD = `
const [entry, source, cfgJson, forward] = process.argv.slice(1);
const mark = ${JSON.stringify(MARK)};
const say = (o) => process.stdout.write(mark + JSON.stringify(o) + '\\n');
try {
  const core = await import(entry);
  const c = JSON.parse(cfgJson);
  const config = new core.LiteConfig(c.deviceType, c.options);
  for (const k of ['hasCompression', 'deviceId', 'backend', 'bareModelCryptionName', 'autoOptimizeInference', 'discreteInputName']) if (k in c) config[k] = c[k];
  let model = source;
  if (source === '-') {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    model = new Uint8Array(Buffer.concat(chunks));
  }
  const net = new core.LiteNetwork(config);
  net.load(model);
  const inputs = net.getAllInputName();
  const outputs = net.getAllOutputName();
  if (forward === '1') {
    for (const n of inputs) net.getIoTensor(n, core.LiteTensorPhase.LITE_INPUT).fillZero();
    net.forward();
    net.wait();
    for (const n of outputs) net.getIoTensor(n, core.LiteTensorPhase.LITE_OUTPUT).toTypedArray();
  }
  net.dispose();
  say({ ok: true, inputs, outputs });
} catch (e) {
  say({ ok: false, code: typeof e?.code === 'string' ? e.code : 'LITE_ERROR', message: String(e?.message ?? e), engineMessage: typeof e?.engineMessage === 'string' ? e.engineMessage : undefined });
}
`;

/** File the child imports @lite/core from: this bundle, or the built one when run from source. */
function coreEntry(): string {
  const here = __filename;
  if (/\.(c|m)?js$/.test(here)) return join(dirname(here), 'index.cjs');
  // Running from TypeScript source (tests): use the built ESM bundle next to src/.
  const built = join(dirname(here), '..', 'dist', 'index.js');
  if (!existsSync(built)) throw new LiteError('LITE_RUNTIME_NOT_FOUND', `validateModel needs the built @lite/core (${built}); run its build first`);
  return built;
}

/**
 * Loads a model in a separate Node.js process (and, by default, runs one forward with zero
 * inputs) and reports whether that worked. The calling process never loads the model, so a model
 * that crashes the native runtime is reported as `{ ok: false, crashed: true }` instead of
 * killing your server.
 *
 * When to use it: before loading a model you do not control (uploads, downloads, user files).
 * MegEngine 1.13's loader verifies the file's structure, but a structurally valid file with
 * corrupt contents can still make it crash (SIGSEGV) — no in-process API can catch that. Models
 * you built and ship yourself do not need it. It costs one process start plus one load (~0.3–1 s).
 *
 * Validate the bytes you will load: read the file once, validate those bytes, then
 * `net.load(bytes)` the same bytes (validating a path and loading it later leaves a window in
 * which the file can change). Custom decryptors registered in this process are not available in
 * the child; built-in decryption names work (with their default keys).
 *
 * @example
 * const bytes = readModel(uploadPath);
 * const check = await validateModel(bytes);
 * if (!check.ok) throw check.error; // LiteError; check.crashed tells a crash from a clean error
 * net.load(bytes);
 */
export async function validateModel(model: ModelSource, options: ValidateModelOptions = {}): Promise<ValidateModelResult> {
  if (typeof model === 'string') {
    if (model.length === 0 || model.includes('\0')) invalid('model path must be a non-empty string without NUL');
  } else if (!(model instanceof Uint8Array) && !(model instanceof ArrayBuffer)) {
    invalid(`validateModel expects a file path, a Uint8Array or an ArrayBuffer, got ${model === null ? 'null' : typeof model}`);
  }
  if (options === null || typeof options !== 'object') invalid('validateModel options must be an object');
  const config = options.config ?? new LiteConfig();
  if (!(config instanceof LiteConfig)) invalid('validateModel options.config must be a LiteConfig');
  config.toNative(); // validates it here, with a clear error, before spawning anything
  const timeout = options.timeout ?? 60_000;
  if (!Number.isFinite(timeout) || timeout <= 0) invalid(`timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  if (typeof model !== 'string') checkNotDetached(model, -1, 'the model data');
  const bytes = typeof model === 'string' ? null : model instanceof ArrayBuffer ? new Uint8Array(model) : model;
  if (bytes && bytes.byteLength === 0) invalid('the model is empty (0 bytes)');
  const entry = coreEntry();

  return new Promise<ValidateModelResult>((resolve) => {
    const args = ['--input-type=module', '-e', CHILD, entry, bytes ? '-' : (model as string), JSON.stringify(config), options.forward === false ? '0' : '1'];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4000);
    });
    // A child that dies before reading all of stdin makes the pipe fail (EPIPE): that is reported
    // through the exit status below, not as an exception here.
    child.stdin.on('error', () => undefined);
    if (bytes) child.stdin.end(bytes);
    else child.stdin.end();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    const fail = (error: LiteError, crashed: boolean, signal: string | null, exitCode: number | null): void =>
      resolve({ ok: false, error, crashed, timedOut, signal, exitCode });
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(new LiteError('LITE_ERROR', `validateModel could not start a child process: ${e.message}`), false, null, null);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      let report: { ok: boolean; inputs?: string[]; outputs?: string[]; code?: string; message?: string; engineMessage?: string } | null = null;
      if (line) {
        try {
          report = JSON.parse(line.slice(MARK.length));
        } catch {
          report = null;
        }
      }
      if (timedOut) {
        fail(new LiteError('LITE_ERROR', `validateModel: loading the model did not finish within ${timeout} ms (the child was killed)`), false, signal, code);
      } else if (report && code === 0) {
        if (report.ok) resolve({ ok: true, inputs: report.inputs ?? [], outputs: report.outputs ?? [] });
        else fail(new LiteError(KNOWN_CODES.has(report.code ?? '') ? (report.code as LiteErrorCode) : 'LITE_ERROR', report.message ?? 'unknown error', { engineMessage: report.engineMessage }), false, null, code);
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
        const tail = err.trim().split('\n').slice(-3).join(' | ');
        fail(new LiteError('LITE_ERROR', `the native runtime crashed (${how}) while loading or running this model: the model is corrupt or malicious; do not load it`, { engineMessage: tail || undefined }), true, signal, code);
      }
    });
  });
}
