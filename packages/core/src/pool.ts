import { availableParallelism } from 'node:os';
import type { JobOutcome, NativePool } from '@lite/binding';
import { LiteConfig, type LiteNetworkIO } from './config.js';
import { LiteDeviceType } from './enums.js';
import { LiteError, fromFailure, invalid, native, show } from './errors.js';
import type { Feed, PreparedInput } from './feeds.js';
import type { LiteLayout } from './layout.js';
import { lib } from './native.js';
import { LiteNetwork, type ModelSource, type PredictOutputs, networkInternals } from './network.js';

/** Options of {@link LiteNetworkPool.create}. */
export interface LiteNetworkPoolOptions {
  /** Number of networks, i.e. of requests run at once. Default: `os.availableParallelism()`. */
  size?: number;
  /** Configuration of every network (default: CPU, C defaults, like `new LiteNetwork()`). */
  config?: LiteConfig;
  /** IO description of every network (default: as in the model). */
  io?: LiteNetworkIO;
  /**
   * Run each CPU network's kernels on the thread that calls it (`enableCpuInplaceMode`).
   * Default `true`: measured fastest for a pool (the engine's default mode adds a dispatch thread
   * per network that spin-waits, so networks compete for cores). Outputs are the same in both
   * modes. Ignored for non-CPU devices.
   */
  cpuInplaceMode?: boolean;
  /** CPU threads per network (`threadsNumber`; default 1: the pool gets its parallelism from `size`). */
  threadsNumber?: number;
  /**
   * Warm every network with one run before `create` resolves, so no request pays for the first,
   * slow run. `true` (default) runs zeros in the model's declared input layouts; feeds run those
   * instead (e.g. a real sample, for models whose zeros are not representative); `false` skips it.
   */
  warmup?: boolean | Readonly<Record<string, Feed>>;
}

/** Options of {@link LiteNetworkPool.predict}. */
export interface PoolPredictOptions {
  /**
   * Abort the request: a queued request leaves the queue; a running one is rejected at once (its
   * network finishes the run in the background and takes the next request). The promise rejects
   * with `signal.reason`.
   */
  signal?: AbortSignal;
}

function disposeOutputs(out: PredictOutputs<string>): void {
  for (const t of Object.values(out)) t.dispose();
}

function zeros(declared: ReadonlyMap<string, LiteLayout>): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const [name, layout] of declared) feeds[name] = new Uint8Array(layout.nbytes);
  return feeds;
}

/**
 * Beyond megenginelite: the serving path. `size` networks share one copy of the weights; requests
 * wait in one FIFO queue in native code, and each network takes the next request on its own
 * thread as soon as it finishes one (the JS thread only copies feeds in, outputs out, and settles
 * promises). `predict` has exactly the guarantees of {@link LiteNetwork.predict} (every input
 * given, feeds copied during the call, declared layouts, outputs owned by the caller).
 *
 * @example
 * const pool = await LiteNetworkPool.create('model.mge');
 * const { prob } = await pool.predict<'prob'>({ data: image }, { signal: AbortSignal.timeout(1000) });
 * await pool.dispose();
 */
export class LiteNetworkPool implements AsyncDisposable {
  readonly #networks: readonly LiteNetwork[];
  readonly #native: NativePool;
  // Requests accepted and not yet answered by the native queue (queued or running): dispose waits for them.
  readonly #inflight = new Set<Promise<JobOutcome>>();
  // Requests whose caller has no answer yet (an aborted one has its answer: the abort reason).
  #unsettled = 0;
  #nextId = 0;
  #disposing: Promise<void> | null = null;

  private constructor(networks: readonly LiteNetwork[], pool: NativePool) {
    this.#networks = networks;
    this.#native = pool;
  }

  /**
   * Loads `model` (a path or its bytes) into `size` weight-sharing networks and warms them.
   * Rejects (and releases everything) if the model cannot be loaded or the warm-up fails.
   */
  static async create(model: ModelSource, options: LiteNetworkPoolOptions = {}): Promise<LiteNetworkPool> {
    if (options === null || typeof options !== 'object') invalid(`LiteNetworkPool.create: options must be an object, got ${show(options)}`);
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1 || size > 256) invalid(`LiteNetworkPool.create: size must be an integer in [1, 256], got ${show(size)}`);
    const threads = options.threadsNumber ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) invalid(`LiteNetworkPool.create: threadsNumber must be an integer in [1, 1024], got ${show(threads)}`);
    const warmup = options.warmup ?? true;
    if (typeof warmup !== 'boolean' && (warmup === null || typeof warmup !== 'object')) invalid(`LiteNetworkPool.create: warmup must be a boolean or feeds, got ${show(warmup)}`);
    const config = options.config ?? new LiteConfig();
    const cpu = config.deviceType === LiteDeviceType.LITE_CPU;
    const inplace = (options.cpuInplaceMode ?? true) && cpu;
    const networks: LiteNetwork[] = [];
    const make = (): LiteNetwork => {
      const net = new LiteNetwork(config, options.io);
      networks.push(net);
      if (inplace) net.enableCpuInplaceMode();
      if (cpu) net.threadsNumber = threads;
      return net;
    };
    try {
      const first = make();
      await first.loadAsync(model);
      for (let i = 1; i < size; i++) make().shareWeightsWith(first);
      if (warmup !== false) {
        const inputs = networkInternals.prepareFeeds(first, warmup === true ? zeros(networkInternals.declaredInputs(first)) : warmup, 'LiteNetworkPool warmup');
        const outs = await Promise.all(networks.map((n) => networkInternals.predictPrepared(n, inputs)));
        outs.forEach(disposeOutputs);
      }
    } catch (e) {
      for (const n of networks) {
        try {
          n.dispose();
        } catch {
          // a network still busy with a failed warm-up is released by its finalizer
        }
      }
      throw e;
    }
    const b = lib();
    const members = networks.map((n) => networkInternals.native(n));
    return new LiteNetworkPool(networks, native(() => new b.NativePool(members)));
  }

  /** Number of networks (requests run at once). */
  get size(): number {
    return this.#networks.length;
  }

  /** Requests whose promise has not settled yet: waiting in the queue or running. */
  get pending(): number {
    return this.#unsettled;
  }

  /** Requests waiting for a network: queued beyond what the free networks are taking now. */
  get queued(): number {
    return this.#native.queued();
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#disposing !== null;
  }

  /**
   * Runs one request on an idle network, or queues it (FIFO). Same feeds and guarantees as
   * {@link LiteNetwork.predict}; a bad feed rejects at once and affects no other request.
   */
  predict<Out extends string = string>(feeds: Readonly<Record<string, Feed>>, options: PoolPredictOptions = {}): Promise<PredictOutputs<Out>> {
    if (this.#disposing) return Promise.reject(new LiteError('LITE_DISPOSED', 'the LiteNetworkPool was disposed'));
    const first = this.#networks[0] as LiteNetwork;
    let signal: AbortSignal | undefined;
    let answer: Promise<JobOutcome>;
    const id = (this.#nextId = (this.#nextId + 1) >>> 0);
    let inputs: PreparedInput[];
    try {
      if (options === null || typeof options !== 'object') invalid(`pool.predict: options must be an object, got ${show(options)}`);
      signal = options.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) invalid(`pool.predict: signal must be an AbortSignal, got ${show(signal)}`);
      if (signal?.aborted) return Promise.reject(signal.reason);
      inputs = networkInternals.prepareFeeds(first, feeds, 'pool.predict');
      const nativeFeeds = networkInternals.nativeFeeds(first, inputs);
      answer = native(() => this.#native.predict(id, nativeFeeds));
    } catch (e) {
      return Promise.reject(e);
    }
    this.#inflight.add(answer);
    void answer.then(() => this.#inflight.delete(answer));
    this.#unsettled++;
    return new Promise<PredictOutputs<Out>>((resolve, reject) => {
      let done = false;
      const onAbort = (): void => {
        if (done) return;
        done = true;
        this.#unsettled--;
        // A queued request leaves the queue; a running one finishes in the background.
        if (this.#native.cancel(id)) this.#inflight.delete(answer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void answer.then((o) => {
        signal?.removeEventListener('abort', onAbort);
        const out = o.failure ? undefined : networkInternals.outputsOf<Out>(first, o.outputs ?? []);
        if (done) {
          if (out) disposeOutputs(out);
          return;
        }
        done = true;
        this.#unsettled--;
        if (o.failure) reject(networkInternals.predictError(first, fromFailure(o.failure), inputs));
        else resolve(out as PredictOutputs<Out>);
      });
    });
  }

  /**
   * Rejects queued requests with `LITE_DISPOSED`, waits for the running ones to settle, then
   * releases the networks. Idempotent; later `predict` calls reject with `LITE_DISPOSED`.
   */
  dispose(): Promise<void> {
    if (this.#disposing) return this.#disposing;
    // Queued requests settle with LITE_DISPOSED; the networks take no more.
    this.#native.close();
    this.#disposing = (async () => {
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      for (const n of this.#networks) n.dispose();
    })();
    return this.#disposing;
  }

  /** Same as {@link dispose}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
