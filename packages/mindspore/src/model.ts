import { abortable, signalOption } from '@lite/common/internal';
import type { NamedOutputs } from '@lite/common';
import type { MsModel, MsOutcome, MsTensorData } from '@lite/binding';
import { buildOptions, type ConfigDict, type Context } from './context.js';
import { byName, describe, feedOf, predictedTensors, toTensors } from './convert.js';
import { checkTensorSize, viewBytes } from './dtype.js';
import { ModelType } from './enums.js';
import { invalid, LiteError, native, queued, show } from './errors.js';
import { lib } from './native.js';
import type { TensorData } from './dtype.js';
import type { DataType, Format } from './enums.js';
import { checkShape, isTensor, type NdArrayLike, showNonTensor, type Tensor, tensorFromModel, tensorResizePlan } from './tensor.js';

function checkModelType(modelType: unknown): ModelType {
  if (modelType !== ModelType.MINDIR && modelType !== ModelType.MINDIR_LITE) {
    invalid(`modelType must be ModelType.MINDIR or ModelType.MINDIR_LITE, got ${show(modelType)}`);
  }
  return modelType;
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path === '') invalid(`the model path must be a non-empty string, got ${show(path)}`);
  return path;
}

function checkBytes(bytes: unknown): Uint8Array {
  if (!ArrayBuffer.isView(bytes)) invalid(`the model must be a Uint8Array (or another ArrayBufferView), got ${show(bytes)}`);
  return viewBytes(bytes, 'the model bytes');
}

/** A feed of `predict` by input name: a Tensor, or data for the input (a TypedArray, raw bytes, an ndarray). */
export type ModelFeed = Tensor | TensorData | NdArrayLike;

/** Outputs by name, as `predict` returns them for feeds given by name. */
export type ModelOutputs<Out extends string = string> = NamedOutputs<Out, Tensor>;

/** Options of {@link Model.create}. */
export interface ModelCreateOptions {
  /** The model's type (default `ModelType.MINDIR`). */
  modelType?: ModelType;
  /** The build context (default: CPU, the engine's defaults). */
  context?: Context;
}

/** Options of the async predicts ({@link Model.predictAsync}, {@link ModelParallelRunner.predict}). */
export interface PredictAsyncOptions {
  /**
   * Abort the request: the promise rejects at once with `signal.reason`; a call the engine has
   * started finishes in the background.
   */
  signal?: AbortSignal;
}

/** Internal: the `{ signal }` helpers, in @lite/common (shared with @lite/core). */
export { signalOption as signalOf, abortable as withSignal };

/**
 * Internal: predict's inputs as tensors in model order. An array is taken as it is (Python's
 * form); a record by input name is converted: a Tensor is used as it is, data becomes a tensor of
 * the input (a flat TypedArray fixes a dynamic dim from its length, an ndarray brings its shape).
 */
export function feedTensors(inputs: unknown, declared: readonly MsTensorData[], what: string): { list: unknown; named: boolean } {
  if (Array.isArray(inputs) || inputs === null || typeof inputs !== 'object' || isTensor(inputs)) return { list: inputs, named: false };
  const feeds = inputs as Record<string, unknown>;
  const names = declared.map((d) => d.name);
  const missing = names.filter((n) => !Object.hasOwn(feeds, n));
  const unknown = Object.keys(feeds).filter((k) => !names.includes(k));
  if (missing.length > 0 || unknown.length > 0) {
    const parts = [missing.length > 0 ? `missing ${missing.map((n) => show(n)).join(', ')}` : '', unknown.length > 0 ? `unknown ${unknown.map((n) => show(n)).join(', ')}` : ''].filter(Boolean);
    invalid(`${what}: feeds by name must give every input exactly (${parts.join('; ')}); the model's inputs are ${names.map((n) => show(n)).join(', ')}`);
  }
  const list = declared.map((d) => {
    const v = feeds[d.name];
    if (isTensor(v)) return v;
    const t = tensorFromModel(d.name, d.dtype as DataType, d.format as Format, d.shape, d.shape, null);
    t.setData(v as TensorData | NdArrayLike);
    return t;
  });
  return { list, named: true };
}

/**
 * Internal: an async predict of a model or a runner: the feeds checked and handed to `submit`
 * (the binding copies them during the call), the outputs as given (a list, or by name), the
 * signal honoured (`aborted` runs when it aborts: a runner takes the request out of its queue).
 */
export function submitPredict<Out extends string>(
  inputs: unknown,
  declared: readonly MsTensorData[],
  outputs: readonly MsTensorData[],
  what: string,
  signal: AbortSignal | undefined,
  submit: (shapes: number[][], data: Uint8Array[]) => Promise<MsOutcome>,
  aborted?: () => void,
): Promise<Tensor[] | ModelOutputs<Out>> {
  const { list, named } = feedTensors(inputs, declared, what);
  const feed = feedOf(list, [...declared], false);
  const run = queued(() => submit(feed.shapes, feed.data)).then((o) => {
    if (!o.predicted) throw new LiteError('LITE_ERROR', `${what}: the binding settled without outputs`);
    const out = predictedTensors(o.predicted, outputs);
    return named ? byOutputName<Out>(out) : out;
  });
  return abortable(run, signal, undefined, aborted);
}

/** Internal: outputs by name. */
export function byOutputName<Out extends string>(outputs: Tensor[]): ModelOutputs<Out> {
  const out = {} as Record<string, Tensor>;
  for (const t of outputs) out[t.name] = t;
  return out as ModelOutputs<Out>;
}

/**
 * A MindSpore Lite model (Python: `mindspore_lite.Model`): build once, then predict many times.
 *
 * Sync calls run on the JS thread like Python's; the `…Async` twins run on the model's own native
 * thread. The model's native queue is its one owner: async calls run one after another in call
 * order (the engine model is not re-entrant), and a sync call while one is queued or running
 * throws `LITE_BUSY`. Inputs are copied when a call is made and outputs are copies, so no call
 * ever sees another call's data.
 *
 * @example
 * const model = new Model();
 * model.buildFromFile('lenet.mindir', ModelType.MINDIR, context);
 * const inputs = model.getInputs();
 * inputs[0].setData(new Float32Array(784));
 * const [logits] = model.predict(inputs);
 */
export class Model {
  #native: MsModel | null = null;
  #declared: MsTensorData[] | null = null;
  /** Output descriptions (no data), read at the build: names, dtypes and formats never change. */
  #outputs: MsTensorData[] | null = null;
  #disposed = false;

  #check(): void {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the Model was disposed');
  }

  #model(): MsModel {
    if (!this.#native) {
      const b = lib();
      this.#native = native(() => new b.MsModel());
    }
    return this.#native;
  }

  #built(): MsModel {
    this.#check();
    if (!this.#native || !this.#declared) invalid('the model is not built yet: call buildFromFile or buildFromBuffer first');
    return this.#native;
  }

  /**
   * Beyond Python, the name onnxruntime-node users know (`InferenceSession.create`): a model
   * built off the JS thread from a file or bytes ({@link buildFromFileAsync} /
   * {@link buildFromBufferAsync}). A failed build disposes it and rejects.
   *
   * @example
   * const model = await Model.create('lenet.mindir');
   * const { [model.outputNames[0] ?? '']: logits } = await model.predictAsync({ [model.inputNames[0] ?? '']: image });
   */
  static async create(model: string | Uint8Array, options: ModelCreateOptions = {}): Promise<Model> {
    if (options === null || typeof options !== 'object') invalid(`Model.create: options must be an object, got ${show(options)}`);
    const m = new Model();
    try {
      const ty = options.modelType ?? ModelType.MINDIR;
      if (typeof model === 'string') await m.buildFromFileAsync(model, ty, options.context);
      else await m.buildFromBufferAsync(model, ty, options.context);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  /** Beyond Python (onnxruntime-node's name): the input names, in model order. */
  get inputNames(): readonly string[] {
    this.#check();
    if (!this.#declared) invalid('inputNames: the model is not built yet: call buildFromFile or buildFromBuffer first');
    return this.#declared.map((d) => d.name);
  }

  /** Beyond Python (onnxruntime-node's name): the output names, in model order. */
  get outputNames(): readonly string[] {
    this.#check();
    if (!this.#outputs) invalid('outputNames: the model is not built yet: call buildFromFile or buildFromBuffer first');
    return this.#outputs.map((o) => o.name);
  }

  /** Whether a build succeeded. */
  get built(): boolean {
    return this.#declared !== null && !this.#disposed;
  }

  /** Checks the arguments of a build and returns the native calls to make (sync and async). */
  #prepare(source: { path: unknown } | { bytes: unknown }, modelType: unknown, context: unknown, configPath: unknown, configDict: unknown) {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the Model was disposed');
    const opts = buildOptions(context as Context | undefined, configPath, configDict);
    // Bytes are copied by the binding during the call (the async twins too).
    const src = 'path' in source ? checkPath(source.path) : checkBytes(source.bytes);
    const ty = checkModelType(modelType);
    const m = this.#model();
    return {
      m,
      sync: () => (typeof src === 'string' ? m.buildFromFile(src, ty, opts) : m.buildFromBuffer(src, ty, opts)),
      async: () => (typeof src === 'string' ? m.buildFromFileAsync(src, ty, opts) : m.buildFromBufferAsync(src, ty, opts)),
    };
  }

  #build(source: { path: unknown } | { bytes: unknown }, modelType: unknown, context: unknown, configPath: unknown, configDict: unknown): void {
    this.#check();
    const { m, sync } = this.#prepare(source, modelType, context, configPath, configDict);
    native(sync);
    this.#declared = native(() => m.declaredInputs());
    this.#outputs = describe(native(() => m.outputs()));
  }

  #buildAsync(source: { path: unknown } | { bytes: unknown }, modelType: unknown, context: unknown, configPath: unknown, configDict: unknown): Promise<void> {
    try {
      const { async } = this.#prepare(source, modelType, context, configPath, configDict);
      // The build's outcome carries the declared inputs and the output descriptions (read on the
      // model's thread: a call queued behind the build may hold the model when it settles).
      return queued(async).then((o) => {
        if (this.#disposed || !o.outputs || !o.outputInfos) return;
        this.#declared = o.outputs;
        this.#outputs = o.outputInfos;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Loads and compiles a model file (Python: `build_from_file`). The file is checked first:
   * `LITE_FILE_NOT_FOUND` unless it is a readable file, `LITE_INVALID_MODEL` when it is empty or
   * (for `ModelType.MINDIR`) fails the structural check that keeps corrupt files away from the
   * engine; engine failures carry the engine's reason. GPU/Ascend targets fail with `LITE_UNSUPPORTED`.
   */
  buildFromFile(path: string, modelType: ModelType, context?: Context, configPath?: string, configDict?: ConfigDict): void {
    this.#build({ path }, modelType, context, configPath, configDict);
  }

  /** `buildFromFile` from bytes (copied by the engine). */
  buildFromBuffer(bytes: Uint8Array, modelType: ModelType, context?: Context, configPath?: string, configDict?: ConfigDict): void {
    this.#build({ bytes }, modelType, context, configPath, configDict);
  }

  /** {@link buildFromFile} on the model's native thread, after the async calls made before it. */
  buildFromFileAsync(path: string, modelType: ModelType, context?: Context, configPath?: string, configDict?: ConfigDict): Promise<void> {
    return this.#buildAsync({ path }, modelType, context, configPath, configDict);
  }

  /** {@link buildFromBuffer} on the model's native thread (the bytes are copied at the call). */
  buildFromBufferAsync(bytes: Uint8Array, modelType: ModelType, context?: Context, configPath?: string, configDict?: ConfigDict): Promise<void> {
    return this.#buildAsync({ bytes }, modelType, context, configPath, configDict);
  }

  /**
   * The inputs (Python: `get_inputs`): name, dtype, format, current shape (-1 for a dynamic dim
   * not yet resized) and a copy of the data they hold.
   */
  getInputs(): Tensor[] {
    const m = this.#built();
    return toTensors(native(() => m.inputs()), this.#declared ?? undefined);
  }

  /** The outputs (Python: `get_outputs`), with copies of the last predict's data. */
  getOutputs(): Tensor[] {
    const m = this.#built();
    return toTensors(native(() => m.outputs()));
  }

  /** The input named `name` (Python: `get_input_by_tensor_name`). */
  getInputByTensorName(name: string): Tensor {
    return byName(this.getInputs(), name, 'getInputByTensorName');
  }

  /** The output named `name` (Python: `get_output_by_tensor_name`). */
  getOutputByTensorName(name: string): Tensor {
    return byName(this.getOutputs(), name, 'getOutputByTensorName');
  }

  /**
   * Resizes inputs (Python: `resize(inputs, dims)`): `inputs` are tensors of this model (by
   * name), `dims` one shape for each; other inputs keep their shape. As in Python, any shape the
   * engine accepts may be given, fixed dims and rank included (e.g. `two_io` [2, 3] → [4, 3]).
   * The given tensors take the new shapes (their data is replaced by zeros when the size changes).
   * Every argument is checked (dims >= 1, a tensor may hold at most 2^31-1 bytes) before the
   * engine is asked; a resize the engine refuses (`LITE_ERROR`, e.g. shapes its graph cannot
   * broadcast) changes nothing and the model stays usable.
   *
   * The 2.0.0 engine also accepts resizes that its graph cannot run (e.g. other channels for a
   * conv input): the next predict fails (`LITE_ERROR`), and any predict after that crashed the
   * engine (SIGSEGV, in Python too), so this model then refuses predicts with `LITE_UNSUPPORTED`.
   */
  resize(inputs: Tensor[], dims: number[][]): void {
    const m = this.#built();
    if (!Array.isArray(inputs) || !Array.isArray(dims) || inputs.length !== dims.length) {
      invalid(`resize: inputs and dims must be arrays of the same length, got ${show(inputs)} and ${show(dims)}`);
    }
    const current = toTensors(native(() => m.inputs()));
    const shapes = current.map((t) => t.shape);
    const given = new Set<number>();
    const commits: (() => void)[] = [];
    // An index loop: holes are checked too (forEach would skip them).
    for (let i = 0; i < inputs.length; i++) {
      const t: unknown = (inputs as unknown[])[i];
      if (!isTensor(t)) invalid(`resize: inputs[${i}] must be a Tensor, got ${showNonTensor(t)}`);
      const at = current.findIndex((c) => c.name === t.name);
      const input = current[at];
      if (input === undefined) invalid(`resize: inputs[${i}] (${show(t.name)}) is not an input of this model`);
      if (given.has(at)) invalid(`resize: inputs[${i}] (${show(t.name)}) is given twice`);
      given.add(at);
      const what = `resize: dims[${i}]`;
      const shape = checkShape((dims as unknown[])[i], what);
      checkTensorSize(shape, input.dtype, what);
      commits.push(tensorResizePlan(t, shape, what));
      shapes[at] = shape;
    }
    native(() => m.resize(shapes));
    for (const commit of commits) commit();
  }

  /**
   * Runs the model (Python: `predict`) on `inputs`, one Tensor per model input in order, and
   * returns the outputs (copies). Inputs whose shape differs from the model's current one (e.g. a
   * new batch size) resize the model first, as {@link resize} would; a shape of another rank is
   * refused with `LITE_INVALID_ARGUMENT` before the engine (call {@link resize} to change the
   * rank). After a predict that failed in the engine, later predicts are refused with
   * `LITE_UNSUPPORTED` (see {@link resize}).
   *
   * Beyond Python (as `@lite/core`'s `predict` and onnxruntime-node's `run`): `inputs` may be a
   * record by input name — every input exactly, each a Tensor or its data (a TypedArray, raw
   * bytes, an ndarray) — and then the outputs come back as a record by output name.
   *
   * @example
   * const { logits } = model.predict<'logits'>({ x: new Float32Array(784) });
   */
  predict(inputs: Tensor[]): Tensor[];
  predict<Out extends string = string>(feeds: Readonly<Record<string, ModelFeed>>): ModelOutputs<Out>;
  predict<Out extends string = string>(inputs: Tensor[] | Readonly<Record<string, ModelFeed>>): Tensor[] | ModelOutputs<Out> {
    const m = this.#built();
    const { list, named } = feedTensors(inputs, this.#declared ?? [], 'predict');
    const feed = feedOf(list, this.#declared ?? [], false);
    const out = predictedTensors(native(() => m.predict(feed.shapes, feed.data)), this.#outputs ?? []);
    return named ? byOutputName<Out>(out) : out;
  }

  /**
   * {@link predict} on the model's native thread. The inputs are copied now; calls on one model
   * run one after another in call order. While an async build runs it rejects with `LITE_BUSY`.
   * `options.signal` aborts the wait (the promise rejects with `signal.reason`; a call the
   * engine has started finishes in the background).
   */
  predictAsync(inputs: Tensor[], options?: PredictAsyncOptions): Promise<Tensor[]>;
  predictAsync<Out extends string = string>(feeds: Readonly<Record<string, ModelFeed>>, options?: PredictAsyncOptions): Promise<ModelOutputs<Out>>;
  predictAsync<Out extends string = string>(inputs: Tensor[] | Readonly<Record<string, ModelFeed>>, options: PredictAsyncOptions = {}): Promise<Tensor[] | ModelOutputs<Out>> {
    try {
      const signal = signalOption(options, 'predictAsync');
      if (signal?.aborted) return Promise.reject(signal.reason);
      this.#check();
      const m = this.#native;
      const outputs = this.#outputs;
      if (!m || !this.#declared || !outputs) {
        if (m && native(() => m.isBusy())) throw new LiteError('LITE_BUSY', 'the model is still building: await buildFromFileAsync or buildFromBufferAsync first');
        invalid('the model is not built yet: call buildFromFile or buildFromBuffer first');
      }
      return submitPredict<Out>(inputs, this.#declared, outputs, 'predictAsync', signal, (shapes, data) => m.predictAsync(shapes, data));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Not available: MindSpore Lite 2.0.0 implements `UpdateWeights` only for the Ascend backend
   * (the CPU runtime answers "Unsupported Feature"). Always throws `LITE_UNSUPPORTED`.
   */
  updateWeights(weights: Tensor[][]): never {
    void weights;
    throw new LiteError(
      'LITE_UNSUPPORTED',
      'updateWeights: MindSpore Lite 2.0.0 updates weights only on the Ascend backend (its CPU runtime returns "Unsupported Feature"); an Ascend build of MindSpore Lite would be needed',
    );
  }

  /**
   * Not available: `get_model_info` (current_pid, shareable_weight_mem_handle for cross-process
   * weight sharing) appeared after MindSpore Lite 2.0.0, for Ascend. Always throws `LITE_UNSUPPORTED`.
   */
  getModelInfo(key: string): never {
    void key;
    throw new LiteError(
      'LITE_UNSUPPORTED',
      'getModelInfo: MindSpore Lite 2.0.0 has no get_model_info (it arrived in later releases, for cross-process weight sharing on Ascend); a newer MindSpore Lite with an Ascend backend would be needed',
    );
  }

  /**
   * Frees the engine model: at once when no async call is queued, else after the calls already
   * made (they finish normally). Later calls throw `LITE_DISPOSED`. Idempotent.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const m = this.#native;
    this.#native = null;
    this.#declared = null;
    if (m) native(() => m.dispose());
  }

  /** Same as {@link dispose} (for `using`). */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
