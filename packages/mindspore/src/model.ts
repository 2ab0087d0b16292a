import type { MsModel, MsTensorData } from '@lite/binding';
import { buildOptions, type ConfigDict, type Context } from './context.js';
import { byName, feedOf, toTensors } from './convert.js';
import { checkTensorSize, viewBytes } from './dtype.js';
import { ModelType } from './enums.js';
import { invalid, LiteError, native, queued, show } from './errors.js';
import { lib } from './native.js';
import { checkShape, isTensor, showNonTensor, type Tensor, tensorResizePlan } from './tensor.js';

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
  }

  #buildAsync(source: { path: unknown } | { bytes: unknown }, modelType: unknown, context: unknown, configPath: unknown, configDict: unknown): Promise<void> {
    try {
      const { async } = this.#prepare(source, modelType, context, configPath, configDict);
      // The build's outcome carries the declared inputs (read on the model's thread).
      return queued(async).then((declared) => {
        if (!this.#disposed && declared) this.#declared = declared;
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
   */
  predict(inputs: Tensor[]): Tensor[] {
    const m = this.#built();
    const feed = feedOf(inputs, this.#declared ?? [], false);
    return toTensors(native(() => m.predict(feed.shapes, feed.data)));
  }

  /**
   * {@link predict} on the model's native thread. The inputs are copied now; calls on one model
   * run one after another in call order. While an async build runs it rejects with `LITE_BUSY`.
   */
  predictAsync(inputs: Tensor[]): Promise<Tensor[]> {
    try {
      this.#check();
      const m = this.#native;
      if (!m || !this.#declared) {
        if (m && native(() => m.isBusy())) throw new LiteError('LITE_BUSY', 'the model is still building: await buildFromFileAsync or buildFromBufferAsync first');
        invalid('the model is not built yet: call buildFromFile or buildFromBuffer first');
      }
      const feed = feedOf(inputs, this.#declared, false);
      // The binding copies the inputs during this call.
      return queued(() => m.predictAsync(feed.shapes, feed.data)).then((out) => toTensors(out ?? []));
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
