// validateModel: loads a model in a separate Node.js process, so a model that crashes the native
// runtime (MegEngine's graph loader trusts some fields of a well-formed flatbuffer, and a crafted
// or corrupted file can make it read out of bounds) takes down that child, never the caller.
import { CHILD_PRELUDE, type ValidateModelResult, childEntry, modelBytes, runIsolated, timeoutOption } from '@lite/common/internal';
import { LiteConfig } from './config.js';
import { invalid } from './errors.js';
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

export type { ValidateModelResult } from '@lite/common';

// The child: imports @lite/core from `argv[1]`, loads argv[2] (a path, or "-" = bytes on stdin),
// optionally runs one forward with zeros, and prints one marked JSON line.
const CHILD = `
${CHILD_PRELUDE}
const [entry, source, cfgJson, forward] = process.argv.slice(1);
try {
  const core = await import(entry);
  const c = JSON.parse(cfgJson);
  const config = new core.LiteConfig(c.deviceType, c.options);
  for (const k of ['hasCompression', 'deviceId', 'backend', 'bareModelCryptionName', 'autoOptimizeInference', 'discreteInputName']) if (k in c) config[k] = c[k];
  const model = await readModel(source);
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
  fail(e);
}
`;

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
  if (typeof model !== 'string' && (model instanceof Uint8Array || model instanceof ArrayBuffer)) checkNotDetached(model, -1, 'the model data');
  const bytes = modelBytes(model);
  if (options === null || typeof options !== 'object') invalid('validateModel options must be an object');
  const config = options.config ?? new LiteConfig();
  if (!(config instanceof LiteConfig)) invalid('validateModel options.config must be a LiteConfig');
  config.toNative(); // validates it here, with a clear error, before spawning anything
  const timeout = timeoutOption(options.timeout);
  const entry = childEntry(__filename, '@lite/core');
  return runIsolated({
    script: CHILD,
    args: [entry, bytes ? '-' : (model as string), JSON.stringify(config), options.forward === false ? '0' : '1'],
    stdin: bytes,
    timeout,
    doing: 'loading',
  });
}
