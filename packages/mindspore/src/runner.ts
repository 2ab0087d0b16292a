import { availableParallelism } from 'node:os';
import type { MsRunner } from '@lite/binding';
import { buildOptions, Context, isContext } from './context.js';
import { toTensors } from './convert.js';
import { invalid, LiteError, native, queued, show } from './errors.js';
import { lib } from './native.js';
import { type ModelFeed, type ModelOutputs, type PredictAsyncOptions, signalOf, submitPredict } from './model.js';
import type { Tensor } from './tensor.js';

/**
 * Serves one model with `context.parallel.workersNum` model copies (Python:
 * `mindspore_lite.ModelParallelRunner`). `predict` returns a Promise. Requests wait in the
 * runner's native queue and up to `workersNum` of them run at once, on the runner's own threads
 * (never on libuv threads). Each request's inputs are copied at the call.
 *
 * @example
 * const context = new Context();
 * context.parallel.workersNum = 2;
 * const runner = new ModelParallelRunner();
 * await runner.buildFromFileAsync('lenet.mindir', context);
 * const outputs = await Promise.all(batches.map((x) => runner.predict([x])));
 */
export class ModelParallelRunner {
  #native: MsRunner | null = null;
  #disposed = false;

  #runner(): MsRunner {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed');
    if (!this.#native) invalid('the runner is not built yet: call buildFromFile first');
    return this.#native;
  }

  /** Checks a build's arguments and makes the native runner (one per build attempt). */
  #prepare(path: unknown, context: unknown): { r: MsRunner; path: string; opts: ReturnType<typeof buildOptions> } {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed');
    if (this.#native) {
      // The native runner decides: LITE_BUSY while a build runs, else "already built".
      const n = this.#native;
      native(() => n.checkBuildable());
    }
    if (typeof path !== 'string' || path === '') invalid(`the model path must be a non-empty string, got ${show(path)}`);
    const ctx = context ?? new Context();
    if (!isContext(ctx)) invalid(`context must be a Context made with new Context(), got ${show(ctx)}`);
    const opts = buildOptions(ctx, ctx.parallel?.configPath, ctx.parallel?.configInfo);
    const b = lib();
    // Without an explicit count the engine picks its own; the queue then runs one request per core.
    const width = opts.workersNum ?? availableParallelism();
    const r = native(() => new b.MsRunner(width));
    return { r, path, opts };
  }

  /** Builds the workers from a MindIR file (blocking; see {@link buildFromFileAsync}). */
  buildFromFile(path: string, context?: Context): void {
    const { r, path: p, opts } = this.#prepare(path, context);
    try {
      native(() => r.buildFromFile(p, opts));
    } catch (err) {
      native(() => r.dispose());
      throw err;
    }
    this.#native = r;
  }

  /**
   * {@link buildFromFile} on a runner thread, so the event loop keeps turning (a build takes
   * hundreds of milliseconds). `predict` rejects with `LITE_BUSY` until it settles.
   */
  async buildFromFileAsync(path: string, context?: Context): Promise<void> {
    const { r, path: p, opts } = this.#prepare(path, context);
    this.#native = r;
    try {
      await queued(() => r.buildFromFileAsync(p, opts));
    } catch (err) {
      if (this.#native === r) this.#native = null;
      native(() => r.dispose());
      throw err;
    }
  }

  /** Input descriptions (shape -1 for dynamic dims), without data. */
  getInputs(): Tensor[] {
    const r = this.#runner();
    return toTensors(native(() => r.inputs()));
  }

  /** Output descriptions, without data. */
  getOutputs(): Tensor[] {
    const r = this.#runner();
    return toTensors(native(() => r.outputs()));
  }

  /**
   * Runs one request; resolves to the outputs (copies). A request still waiting for a worker when
   * the runner is disposed rejects with `LITE_DISPOSED`. As {@link Model.predict}, `inputs` may be
   * a record by input name (then the outputs come back by output name); `options.signal` aborts
   * the wait.
   */
  predict(inputs: Tensor[], options?: PredictAsyncOptions): Promise<Tensor[]>;
  predict<Out extends string = string>(feeds: Readonly<Record<string, ModelFeed>>, options?: PredictAsyncOptions): Promise<ModelOutputs<Out>>;
  predict<Out extends string = string>(inputs: Tensor[] | Readonly<Record<string, ModelFeed>>, options: PredictAsyncOptions = {}): Promise<Tensor[] | ModelOutputs<Out>> {
    try {
      const signal = signalOf(options, 'predict');
      if (signal?.aborted) return Promise.reject(signal.reason);
      const r = this.#runner();
      const declared = native(() => r.inputs());
      return submitPredict<Out>(inputs, declared, 'predict', signal, (shapes, data) => r.predictAsync(shapes, data));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Releases the runner; requests already running finish first (they hold the workers). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const r = this.#native;
    this.#native = null;
    if (r) native(() => r.dispose());
  }

  /** Same as {@link dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
