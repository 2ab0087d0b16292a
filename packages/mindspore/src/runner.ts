import { availableParallelism } from 'node:os';
import type { MsBatching, MsRunner, MsTensorData } from '@lite/binding';
import { buildOptions, Context, isContext } from './context.js';
import { describe, toTensors } from './convert.js';
import { invalid, LiteError, native, queued, show } from './errors.js';
import { lib } from './native.js';
import { type ModelFeed, type ModelOutputs, type PredictAsyncOptions, signalOf, submitPredict } from './model.js';
import type { Tensor } from './tensor.js';

/**
 * Dynamic batching of a {@link ModelParallelRunner}'s requests (beyond Python; the same option as
 * `@lite/core`'s `LiteNetworkPool.create(model, { batching })`). Concurrent requests whose inputs
 * differ only in dim 0 are stacked along dim 0, up to `maxBatch` rows, and run as one engine call;
 * each caller gets exactly its own rows back.
 */
export interface BatchingOptions {
  /** Most rows (the sum of the requests' dim 0) one engine call takes: an integer in 1..65536. A request with more rows runs alone. */
  maxBatch: number;
  /**
   * Longest a request waits, from its arrival, for others to join it when fewer than `maxBatch`
   * rows are queued: milliseconds in 0..60000. 0 stacks only what is already queued.
   */
  maxDelayMs: number;
}

/** Options of {@link ModelParallelRunner.buildFromFile} and {@link ModelParallelRunner.buildFromFileAsync} (beyond Python). */
export interface RunnerBuildOptions {
  /** Batch concurrent requests (see {@link BatchingOptions}); unset: every request runs alone. */
  batching?: BatchingOptions;
}

/** Options of {@link ModelParallelRunner.create}. */
export interface RunnerCreateOptions extends RunnerBuildOptions {
  /** The build context (`context.parallel.workersNum` sets the workers; default: the engine's). */
  context?: Context;
}

/** What a batching runner has run so far ({@link ModelParallelRunner.batchStats}). */
export interface BatchStats {
  /** Engine calls made for requests. */
  runs: number;
  /** Requests those calls served (`requests / runs` is the mean number of requests per call). */
  requests: number;
}

const BATCHING_KEYS = new Set(['maxBatch', 'maxDelayMs']);

/** Internal: `options.batching`, checked (one-line `LITE_INVALID_ARGUMENT` errors). */
function batchingOf(options: unknown, what: string): MsBatching | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') invalid(`${what}: options must be an object, got ${show(options)}`);
  const b = (options as { batching?: unknown }).batching;
  if (b === undefined) return undefined;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) invalid(`${what}: batching must be an object { maxBatch, maxDelayMs }, got ${show(b)}`);
  const unknown = Object.keys(b).filter((k) => !BATCHING_KEYS.has(k));
  if (unknown.length > 0) invalid(`${what}: batching has unknown option(s) ${unknown.map((k) => show(k)).join(', ')}; the options are maxBatch and maxDelayMs`);
  const { maxBatch, maxDelayMs } = b as { maxBatch?: unknown; maxDelayMs?: unknown };
  if (typeof maxBatch !== 'number' || !Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 65536) invalid(`${what}: batching.maxBatch must be an integer in 1..65536, got ${show(maxBatch)}`);
  if (typeof maxDelayMs !== 'number' || !Number.isFinite(maxDelayMs) || maxDelayMs < 0 || maxDelayMs > 60000) invalid(`${what}: batching.maxDelayMs must be a number of milliseconds in 0..60000, got ${show(maxDelayMs)}`);
  return { maxBatch, maxDelayMs };
}

/**
 * Serves one model with `context.parallel.workersNum` model copies (Python:
 * `mindspore_lite.ModelParallelRunner`). `predict` returns a Promise. Requests wait in the
 * runner's native queue and up to `workersNum` of them run at once, on the runner's own threads
 * (never on libuv threads). Each request's inputs are copied at the call.
 *
 * Beyond Python, a runner built with `{ batching: { maxBatch, maxDelayMs } }` (the third argument
 * of {@link buildFromFile} / {@link buildFromFileAsync}, or {@link ModelParallelRunner.create})
 * stacks concurrent requests along dim 0 and runs them as one engine call; see
 * {@link BatchingOptions}.
 *
 * @example
 * const context = new Context();
 * context.parallel.workersNum = 2;
 * const runner = new ModelParallelRunner();
 * await runner.buildFromFileAsync('lenet.mindir', context);
 * const outputs = await Promise.all(batches.map((x) => runner.predict([x])));
 *
 * @example
 * // Dynamic batching: up to 64 rows per engine call, a request waits at most 2 ms for others.
 * const served = await ModelParallelRunner.create('lenet.mindir', { context, batching: { maxBatch: 64, maxDelayMs: 2 } });
 * const [logits] = await served.predict([image]); // image: a Tensor of shape [1, 1, 28, 28]
 */
export class ModelParallelRunner {
  #native: MsRunner | null = null;
  #disposed = false;
  #tickets = 0;
  /** The built runner's input and output descriptions, read by its first predict (they never change). */
  #io: { r: MsRunner; inputs: MsTensorData[]; outputs: MsTensorData[] } | null = null;

  /**
   * Beyond Python: a runner built from `path` (off the JS thread), optionally batching.
   * Throws `LITE_UNSUPPORTED` with batching on when the model's first input dim is not dynamic or
   * its outputs do not follow it.
   */
  static async create(path: string, options: RunnerCreateOptions = {}): Promise<ModelParallelRunner> {
    if (options === null || typeof options !== 'object') invalid(`ModelParallelRunner.create: options must be an object, got ${show(options)}`);
    const r = new ModelParallelRunner();
    try {
      await r.buildFromFileAsync(path, options.context, options.batching === undefined ? {} : { batching: options.batching });
    } catch (e) {
      r.dispose();
      throw e;
    }
    return r;
  }

  #runner(): MsRunner {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed');
    if (!this.#native) invalid('the runner is not built yet: call buildFromFile first');
    return this.#native;
  }

  /** Checks a build's arguments and makes the native runner (one per build attempt). */
  #prepare(path: unknown, context: unknown, options: unknown, what: string): { r: MsRunner; path: string; opts: ReturnType<typeof buildOptions>; batching: MsBatching | undefined } {
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
    const batching = batchingOf(options, what);
    const b = lib();
    // Without an explicit count the engine picks its own; the queue then runs one request per core.
    const width = opts.workersNum ?? availableParallelism();
    const r = native(() => new b.MsRunner(width));
    return { r, path, opts, batching };
  }

  /**
   * Builds the workers from a MindIR file (blocking; see {@link buildFromFileAsync}).
   * `options.batching` (beyond Python) turns dynamic batching on: the model is checked first (its
   * first input dim must be dynamic and its outputs must follow it, by two probe runs), else
   * `LITE_UNSUPPORTED`.
   */
  buildFromFile(path: string, context?: Context, options?: RunnerBuildOptions): void {
    const { r, path: p, opts, batching } = this.#prepare(path, context, options, 'buildFromFile');
    try {
      native(() => r.buildFromFile(p, opts, batching));
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
  async buildFromFileAsync(path: string, context?: Context, options?: RunnerBuildOptions): Promise<void> {
    const { r, path: p, opts, batching } = this.#prepare(path, context, options, 'buildFromFileAsync');
    this.#native = r;
    try {
      await queued(() => r.buildFromFileAsync(p, opts, batching));
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
   * Beyond Python: with batching on, the engine calls made so far and the requests they served;
   * `null` when the runner does not batch.
   */
  get batchStats(): BatchStats | null {
    const r = this.#runner();
    const c = native(() => r.batchCounts);
    return c ? { runs: c.runs, requests: c.requests } : null;
  }

  /**
   * Runs one request; resolves to the outputs (copies). A request still waiting for a worker when
   * the runner is disposed rejects with `LITE_DISPOSED`. As {@link Model.predict}, `inputs` may be
   * a record by input name (then the outputs come back by output name); `options.signal` aborts:
   * the promise rejects at once, a request still queued leaves the queue, and one already running
   * (alone or in a batch) finishes with its rows discarded. With batching on, a request is
   * stacked with others whose inputs have the same dims but dim 0, and resolves to its own rows.
   */
  predict(inputs: Tensor[], options?: PredictAsyncOptions): Promise<Tensor[]>;
  predict<Out extends string = string>(feeds: Readonly<Record<string, ModelFeed>>, options?: PredictAsyncOptions): Promise<ModelOutputs<Out>>;
  predict<Out extends string = string>(inputs: Tensor[] | Readonly<Record<string, ModelFeed>>, options: PredictAsyncOptions = {}): Promise<Tensor[] | ModelOutputs<Out>> {
    try {
      const signal = signalOf(options, 'predict');
      if (signal?.aborted) return Promise.reject(signal.reason);
      const r = this.#runner();
      let io = this.#io;
      if (io?.r !== r) {
        // Throws LITE_BUSY while an async build runs: nothing is kept until the runner is built.
        io = { r, inputs: native(() => r.inputs()), outputs: describe(native(() => r.outputs())) };
        this.#io = io;
      }
      const ticket = signal ? (this.#tickets = (this.#tickets + 1) % 0x1_0000_0000) : undefined;
      return submitPredict<Out>(
        inputs,
        io.inputs,
        io.outputs,
        'predict',
        signal,
        (shapes, data) => r.predictAsync(shapes, data, ticket),
        ticket === undefined ? undefined : () => r.withdraw(ticket),
      );
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
    this.#io = null;
    if (r) native(() => r.dispose());
  }

  /** Same as {@link dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
