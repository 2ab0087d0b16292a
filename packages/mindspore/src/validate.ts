// validateModel: builds a model (and runs one predict with zeros) in a separate Node.js process,
// so a model that crashes the native runtime takes down that child, never the caller.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModelType } from './enums.js';
import { LiteError, type LiteErrorCode, invalid, show } from './errors.js';

/** Options of {@link validateModel}. */
export interface ValidateModelOptions {
  /** The model's type (default `ModelType.MINDIR`). */
  modelType?: ModelType;
  /** Also run one predict with zero-filled inputs (dynamic dims as 1; default true). */
  predict?: boolean;
  /** Milliseconds before the child is killed and the model reported as hanging (default 60 000). */
  timeout?: number;
}

/** Outcome of {@link validateModel}; never thrown, always returned. */
export type ValidateModelResult =
  | {
      /** The model built (and ran, unless `predict: false`) in the child process. */
      ok: true;
      /** Input names of the model. */
      inputs: string[];
      /** Output names of the model. */
      outputs: string[];
    }
  | {
      ok: false;
      /** Why it failed: the build's or predict's own `LiteError`, or a `LITE_ERROR` describing the crash / timeout of the child. */
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

const MARK = '@@lite-ms-validate@@';

/** The child's one-line report. */
interface ChildReport {
  ok: boolean;
  inputs?: string[];
  outputs?: string[];
  code?: string;
  message?: string;
}
const CODES = new Set<string>(['LITE_ERROR', 'LITE_INVALID_ARGUMENT', 'LITE_DISPOSED', 'LITE_RUNTIME_NOT_FOUND', 'LITE_UNSUPPORTED', 'LITE_BUSY', 'LITE_FILE_NOT_FOUND', 'LITE_INVALID_MODEL']);

// The child: imports @lite/mindspore from argv[1], builds argv[2] (a path, or "-" = bytes on
// stdin) with one CPU thread, optionally predicts once on zeros, and prints one marked JSON line.
const CHILD = `
const [entry, source, modelType, predict] = process.argv.slice(1);
const mark = ${JSON.stringify(MARK)};
const say = (o) => process.stdout.write(mark + JSON.stringify(o) + '\\n');
try {
  const ms = await import(entry);
  const context = new ms.Context();
  context.cpu.threadNum = 1;
  let model = source;
  if (source === '-') {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    model = new Uint8Array(Buffer.concat(chunks));
  }
  const m = new ms.Model();
  if (typeof model === 'string') m.buildFromFile(model, Number(modelType), context);
  else m.buildFromBuffer(model, Number(modelType), context);
  const declared = m.getInputs();
  const inputs = declared.map((t) => t.name);
  if (predict === '1') {
    const shapes = declared.map((t) => t.shape.map((d) => (d < 0 ? 1 : d)));
    if (shapes.some((s, i) => s.join() !== declared[i].shape.join())) m.resize(declared, shapes);
    const feeds = declared.map((t, i) => new ms.Tensor(null, { shape: shapes[i], dtype: t.dtype, name: t.name }));
    m.predict(feeds);
  }
  const outputs = m.getOutputs().map((t) => t.name);
  m.dispose();
  say({ ok: true, inputs, outputs });
} catch (e) {
  say({ ok: false, code: typeof e?.code === 'string' ? e.code : 'LITE_ERROR', message: String(e?.message ?? e) });
}
`;

/** File the child imports @lite/mindspore from: this bundle, or the built one when run from source. */
function entry(): string {
  const here = __filename;
  if (/\.(c|m)?js$/.test(here)) return join(dirname(here), 'index.cjs');
  const built = join(dirname(here), '..', 'dist', 'index.js');
  if (!existsSync(built)) throw new LiteError('LITE_RUNTIME_NOT_FOUND', `validateModel needs the built @lite/mindspore (${built}); run its build first`);
  return built;
}

/**
 * Builds a model in a separate Node.js process (and, by default, runs one predict with zero
 * inputs) and reports whether that worked. The calling process never loads the model, so a model
 * that crashes the native runtime is reported as `{ ok: false, crashed: true }` instead of
 * killing your server.
 *
 * MindIR files are also checked structurally in-process by every build (a corrupt file is
 * `LITE_INVALID_MODEL`); this is the route for what no structural check can see, and for
 * `MINDIR_LITE` files, which are not checked. It costs one process start plus one build
 * (about 1 s). Validate the bytes you will build: read the file once, validate those bytes,
 * then `buildFromBuffer` the same bytes.
 *
 * @example
 * const bytes = readFileSync(uploadPath);
 * const check = await validateModel(bytes);
 * if (!check.ok) throw check.error; // LiteError; check.crashed tells a crash from a clean error
 * model.buildFromBuffer(bytes, ModelType.MINDIR, context);
 */
export async function validateModel(model: string | Uint8Array | ArrayBuffer, options: ValidateModelOptions = {}): Promise<ValidateModelResult> {
  if (typeof model === 'string') {
    if (model.length === 0 || model.includes('\0')) invalid('model path must be a non-empty string without NUL');
  } else if (!(model instanceof Uint8Array) && !(model instanceof ArrayBuffer)) {
    invalid(`validateModel expects a file path, a Uint8Array or an ArrayBuffer, got ${show(model)}`);
  }
  if (options === null || typeof options !== 'object') invalid(`validateModel options must be an object, got ${show(options)}`);
  const modelType = options.modelType ?? ModelType.MINDIR;
  if (modelType !== ModelType.MINDIR && modelType !== ModelType.MINDIR_LITE) invalid(`modelType must be ModelType.MINDIR or ModelType.MINDIR_LITE, got ${show(modelType)}`);
  const timeout = options.timeout ?? 60_000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) invalid(`timeout must be a positive number of milliseconds, got ${show(timeout)}`);
  let bytes: Uint8Array | null = null;
  if (typeof model !== 'string') {
    try {
      bytes = model instanceof ArrayBuffer ? new Uint8Array(model) : model;
      if (bytes.byteLength === 0) invalid('the model is empty (0 bytes)');
    } catch (e) {
      if (e instanceof LiteError) throw e;
      invalid('the model buffer is detached');
    }
  }
  const file = entry();

  return new Promise<ValidateModelResult>((resolve) => {
    const args = ['--input-type=module', '-e', CHILD, file, bytes ? '-' : (model as string), String(modelType), options.predict === false ? '0' : '1'];
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
    // A child that dies before reading all of stdin makes the pipe fail (EPIPE): reported below.
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
      let report: ChildReport | null = null;
      if (line) {
        try {
          report = JSON.parse(line.slice(MARK.length)) as ChildReport;
        } catch {
          report = null;
        }
      }
      if (timedOut) {
        fail(new LiteError('LITE_ERROR', `validateModel: building the model did not finish within ${timeout} ms (the child was killed)`), false, signal, code);
      } else if (report && code === 0) {
        if (report.ok) resolve({ ok: true, inputs: report.inputs ?? [], outputs: report.outputs ?? [] });
        else fail(new LiteError(CODES.has(report.code ?? '') ? (report.code as LiteErrorCode) : 'LITE_ERROR', report.message ?? 'unknown error'), false, null, code);
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
        fail(new LiteError('LITE_ERROR', `the native runtime crashed (${how}) while building or running this model: the model is corrupt or malicious; do not load it`), true, signal, code);
      }
    });
  });
}
