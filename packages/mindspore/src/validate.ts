// validateModel: builds a model (and runs one predict with zeros) in a separate Node.js process,
// so a model that crashes the native runtime takes down that child, never the caller.
import { CHILD_PRELUDE, type ValidateModelResult, childEntry, modelBytes, runIsolated, timeoutOption } from '@lite/common/internal';
import { ModelType } from './enums.js';
import { invalid, show } from './errors.js';

/** Options of {@link validateModel}. */
export interface ValidateModelOptions {
  /** The model's type (default `ModelType.MINDIR`). */
  modelType?: ModelType;
  /** Also run one predict with zero-filled inputs (dynamic dims as 1; default true). */
  predict?: boolean;
  /** Milliseconds before the child is killed and the model reported as hanging (default 60 000). */
  timeout?: number;
}

export type { ValidateModelResult } from '@lite/common';

// The child: imports @lite/mindspore from argv[1], builds argv[2] (a path, or "-" = bytes on
// stdin) with one CPU thread, optionally predicts once on zeros, and prints one marked JSON line.
const CHILD = `
${CHILD_PRELUDE}
const [entry, source, modelType, predict] = process.argv.slice(1);
try {
  const ms = await import(entry);
  const context = new ms.Context();
  context.cpu.threadNum = 1;
  const model = await readModel(source);
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
  fail(e);
}
`;

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
  const bytes = modelBytes(model);
  if (options === null || typeof options !== 'object') invalid(`validateModel options must be an object, got ${show(options)}`);
  const modelType = options.modelType ?? ModelType.MINDIR;
  if (modelType !== ModelType.MINDIR && modelType !== ModelType.MINDIR_LITE) invalid(`modelType must be ModelType.MINDIR or ModelType.MINDIR_LITE, got ${show(modelType)}`);
  const timeout = timeoutOption(options.timeout);
  return runIsolated({
    script: CHILD,
    args: [childEntry(__filename, '@lite/mindspore'), bytes ? '-' : (model as string), String(modelType), options.predict === false ? '0' : '1'],
    stdin: bytes,
    timeout,
    doing: 'building',
  });
}
