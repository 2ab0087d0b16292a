import { availableParallelism } from 'node:os';
import type { MsRunner } from '@lite/binding';
import { buildOptions, Context, isContext } from './context.js';
import { feedOf, toTensors } from './convert.js';
import { invalid, LiteError, native, nativeAsync, show } from './errors.js';
import { lib } from './native.js';
import type { Tensor } from './tensor.js';

/**
 * Serves one model with `context.parallel.workersNum` model copies (Python:
 * `mindspore_lite.ModelParallelRunner`). `predict` returns a Promise; up to `workersNum`
 * requests run at once on the libuv pool, the rest wait in order in JS (so they never hold
 * libuv threads while waiting). Each request's inputs are copied at the call.
 *
 * @example
 * const context = new Context();
 * context.parallel.workersNum = 2;
 * const runner = new ModelParallelRunner();
 * runner.buildFromFile('lenet.mindir', context);
 * const outputs = await Promise.all(batches.map((x) => runner.predict([x])));
 */
export class ModelParallelRunner {
  #native: MsRunner | null = null;
  #disposed = false;
  #limit = 1;
  #active = 0;
  #waiting: (() => void)[] = [];

  #runner(): MsRunner {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed');
    if (!this.#native) invalid('the runner is not built yet: call buildFromFile first');
    return this.#native;
  }

  /** Builds the workers from a MindIR file (blocking). */
  buildFromFile(path: string, context?: Context): void {
    if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed');
    if (this.#native) invalid('the runner is already built; create a new ModelParallelRunner to build another');
    if (typeof path !== 'string' || path === '') invalid(`the model path must be a non-empty string, got ${show(path)}`);
    const ctx = context ?? new Context();
    if (!isContext(ctx)) invalid(`context must be a Context made with new Context(), got ${show(ctx)}`);
    const opts = buildOptions(ctx, ctx.parallel?.configPath, ctx.parallel?.configInfo);
    const b = lib();
    this.#native = native(() => b.MsRunner.fromFile(path, opts));
    // Without an explicit count the engine picks its own; JS then admits one request per core.
    this.#limit = opts.workersNum ?? availableParallelism();
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
   * the runner is disposed rejects with `LITE_DISPOSED`.
   */
  async predict(inputs: Tensor[]): Promise<Tensor[]> {
    const r = this.#runner();
    const feed = feedOf(inputs, native(() => r.inputs()), true);
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      if (this.#disposed) throw new LiteError('LITE_DISPOSED', 'the ModelParallelRunner was disposed while the request waited for a worker');
      return toTensors(await nativeAsync(() => r.predictAsync(feed.shapes, feed.data)));
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
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
