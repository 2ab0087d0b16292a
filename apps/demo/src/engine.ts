import { LiteNetwork, LiteNetworkPool } from '@lite/core';
import { PIXELS } from './heldout.js';
import { MODEL_PATH } from './paths.js';

export interface Inference {
  /** Softmax probabilities of the digits 0..9. */
  prob: Float32Array;
  /** Wall time of the inference (input copy + forward + output copy), in milliseconds. */
  ms: number;
}

/** The engines the demo runs the same trained network on. */
export type EngineName = 'megengine' | 'mindspore';
export const ENGINE_NAMES: readonly EngineName[] = ['megengine', 'mindspore'];

/** Something that classifies one 28x28 input (the server takes any, tests can inject one). */
export type ClassifyFn = (input: Float32Array) => Promise<Inference>;

export interface ClassifierOptions {
  modelPath?: string;
  /** CPU threads of the network (set before load). Default 1. */
  threads?: number;
}

/**
 * The digit classifier on @lite/core: one LiteNetwork, loaded off the JS thread (`loadAsync`).
 * `classify` uses `predict` (input copy + forward off the JS thread + output), one at a time:
 * concurrent calls are queued because a network runs one forward at a time.
 */
export class DigitClassifier implements Disposable {
  readonly network: LiteNetwork;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(network: LiteNetwork) {
    this.network = network;
  }

  static async create(opts: ClassifierOptions = {}): Promise<DigitClassifier> {
    const network = new LiteNetwork();
    try {
      network.threadsNumber = opts.threads ?? 1;
      await network.loadAsync(opts.modelPath ?? MODEL_PATH);
    } catch (e) {
      network.dispose();
      throw e;
    }
    return new DigitClassifier(network);
  }

  /** Async path (what the server uses): `predict({ data })` -> `prob`. */
  classify(input: Float32Array): Promise<Inference> {
    checkInput(input);
    const run = async (): Promise<Inference> => {
      const t0 = performance.now();
      const outputs = await this.network.predict<'prob'>({ data: input });
      return { prob: probOf(outputs), ms: performance.now() - t0 };
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Sync path: setDataByCopy + forward() + wait() + toTypedArray(), blocking the JS thread. */
  classifySync(input: Float32Array): Inference {
    checkInput(input);
    const t0 = performance.now();
    this.network.getIoTensor('data').setDataByCopy(input);
    this.network.forward();
    this.network.wait();
    const prob = this.network.getIoTensor('prob').toTypedArray() as Float32Array;
    return { prob, ms: performance.now() - t0 };
  }

  dispose(): void {
    this.network.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Throws a RangeError unless `input` is a Float32Array of 784 values. */
export function checkInput(input: Float32Array): void {
  if (!(input instanceof Float32Array) || input.length !== PIXELS) {
    throw new RangeError(`expected a Float32Array of ${PIXELS} values (1x1x28x28)`);
  }
}

function probOf(outputs: Partial<Record<'prob', { toFloat32Array(): Float32Array; dispose(): void }>>): Float32Array {
  const t = outputs.prob;
  if (!t) throw new Error(`model has no output "prob" (got ${Object.keys(outputs).join(', ')})`);
  const prob = t.toFloat32Array();
  t.dispose();
  return prob;
}

export interface PoolOptions {
  modelPath?: string;
  /** Networks sharing the weights, i.e. requests classified at once. Default: the available parallelism. */
  size?: number;
}

/**
 * What the web server uses: a {@link LiteNetworkPool} (networks sharing one copy of the weights,
 * warmed at start), so concurrent requests run on every core instead of queueing on one network.
 */
export class DigitPool implements AsyncDisposable {
  readonly pool: LiteNetworkPool;

  private constructor(pool: LiteNetworkPool) {
    this.pool = pool;
  }

  static async create(opts: PoolOptions = {}): Promise<DigitPool> {
    const pool = await LiteNetworkPool.create(opts.modelPath ?? MODEL_PATH, opts.size === undefined ? {} : { size: opts.size });
    return new DigitPool(pool);
  }

  /** Classifies one input on an idle network (or after the requests queued before it). */
  async classify(input: Float32Array): Promise<Inference> {
    checkInput(input);
    const t0 = performance.now();
    const outputs = await this.pool.predict<'prob'>({ data: input });
    return { prob: probOf(outputs), ms: performance.now() - t0 };
  }

  dispose(): Promise<void> {
    return this.pool.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
