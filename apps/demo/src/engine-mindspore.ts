import { availableParallelism } from 'node:os';
import { Context, Model, ModelParallelRunner, ModelType, Tensor } from '@lite/mindspore';
import type { Inference } from './engine.js';
import { checkInput } from './engine.js';
import { MS_MODEL_PATH } from './paths.js';

const SHAPE = [1, 1, 28, 28];

function probOf(outputs: Tensor[]): Float32Array {
  const out = outputs.find((t) => t.name === 'prob');
  if (!out) throw new Error(`model has no output "prob" (got ${outputs.map((t) => t.name).join(', ')})`);
  const data = out.getData();
  if (!(data instanceof Float32Array)) throw new Error('output "prob" is not float32');
  return data;
}

/** One input tensor "data" 1x1x28x28 holding a copy of `input`. */
function feed(input: Float32Array): Tensor[] {
  checkInput(input);
  return [new Tensor(input, { shape: SHAPE, name: 'data' })];
}

export interface MsClassifierOptions {
  modelPath?: string;
  /** CPU threads of the model (`context.cpu.threadNum`). Default 1. */
  threads?: number;
}

/**
 * The digit classifier on @lite/mindspore: the same trained network as mnist.mge, converted to
 * MindIR (tools/models/export_mnist_mindspore.py), in one `Model` built off the JS thread.
 * `classify` uses `predictAsync` (calls on one model run one after another in call order),
 * `classifySync` uses `predict`.
 */
export class MsDigitClassifier implements Disposable {
  readonly model: Model;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(model: Model) {
    this.model = model;
  }

  static async create(opts: MsClassifierOptions = {}): Promise<MsDigitClassifier> {
    const context = new Context();
    context.cpu.threadNum = opts.threads ?? 1;
    const model = new Model();
    try {
      await model.buildFromFileAsync(opts.modelPath ?? MS_MODEL_PATH, ModelType.MINDIR, context);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return new MsDigitClassifier(model);
  }

  /** Async path: `predictAsync([data])` -> `prob`. */
  classify(input: Float32Array): Promise<Inference> {
    const inputs = feed(input);
    const run = async (): Promise<Inference> => {
      const t0 = performance.now();
      const outputs = await this.model.predictAsync(inputs);
      return { prob: probOf(outputs), ms: performance.now() - t0 };
    };
    // a sync call while an async one is pending is LITE_BUSY: keep our own calls in order
    const result = this.pending.then(run, run);
    this.pending = result.catch(() => undefined);
    return result;
  }

  /** Sync path: `predict([data])` -> `prob`, blocking the JS thread. */
  classifySync(input: Float32Array): Inference {
    const inputs = feed(input);
    const t0 = performance.now();
    const prob = probOf(this.model.predict(inputs));
    return { prob, ms: performance.now() - t0 };
  }

  dispose(): void {
    this.model.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export interface MsRunnerOptions {
  modelPath?: string;
  /** Model copies (`context.parallel.workersNum`), i.e. requests classified at once. Default: the available parallelism. */
  size?: number;
}

/**
 * The web server's MindSpore path, beside the MegEngine {@link DigitPool}: a
 * `ModelParallelRunner` with one 1-thread worker per core, so concurrent requests run at once.
 */
export class MsDigitRunner implements AsyncDisposable {
  readonly runner: ModelParallelRunner;
  readonly size: number;

  private constructor(runner: ModelParallelRunner, size: number) {
    this.runner = runner;
    this.size = size;
  }

  static create(opts: MsRunnerOptions = {}): MsDigitRunner {
    const size = opts.size ?? availableParallelism();
    const context = new Context();
    context.cpu.threadNum = 1;
    context.parallel.workersNum = size;
    const runner = new ModelParallelRunner();
    try {
      runner.buildFromFile(opts.modelPath ?? MS_MODEL_PATH, context);
    } catch (e) {
      runner.dispose();
      throw e;
    }
    return new MsDigitRunner(runner, size);
  }

  async classify(input: Float32Array): Promise<Inference> {
    const inputs = feed(input);
    const t0 = performance.now();
    const outputs = await this.runner.predict(inputs);
    return { prob: probOf(outputs), ms: performance.now() - t0 };
  }

  dispose(): Promise<void> {
    this.runner.dispose();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
