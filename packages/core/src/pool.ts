import { availableParallelism } from 'node:os';
import type { JobOutcome, NativePool, NativePoolStats } from '@lite/binding';
import { LiteConfig, type LiteNetworkIO } from './config.js';
import { LiteDeviceType } from './enums.js';
import { LiteError, fromFailure, invalid, native, show } from './errors.js';
import type { Feed, PreparedInput } from './feeds.js';
import { LiteLayout } from './layout.js';
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
  /**
   * Dynamic batching (default: off). Concurrent requests whose inputs differ only in dim 0 (the
   * batch) are stacked, up to `maxBatch` rows, and run as one forward; each caller gets exactly
   * its own rows of every output. See {@link LiteNetworkPoolBatching}.
   *
   * @example
   * const pool = await LiteNetworkPool.create('mnist.mge', { size: 2, batching: { maxBatch: 16, maxDelayMs: 2 } });
   */
  batching?: LiteNetworkPoolBatching;
}

/**
 * Dynamic batching of a {@link LiteNetworkPool}.
 *
 * A free network takes the oldest request and, behind it in the queue, every request that can
 * join it: the same inputs, each with the same dtype and the same dims except dim 0, rows
 * (dim 0) summed at most `maxBatch`. Short of `maxBatch` rows, it waits for more (on its own
 * thread) until `maxDelayMs` after the oldest request arrived. A request that cannot join (other
 * dims or dtype, more rows than `maxBatch`, inputs that disagree on dim 0) runs alone or with
 * requests of its own shape, in its turn: the oldest request is always served next.
 *
 * Every request keeps the guarantees of {@link LiteNetworkPool.predict}: feeds copied during the
 * call; an aborted queued request leaves the queue and adds no rows; one aborted inside a running
 * batch rejects at once and its rows are discarded; `dispose` rejects queued requests and lets
 * running batches finish. If a batched forward fails, each of its requests is run again alone, so
 * that each settles exactly as without batching (its own outputs or its own error).
 *
 * `create` checks that the model batches: it runs the first network with 1 and 2 rows (zeros)
 * and rejects with `LITE_UNSUPPORTED`, naming the output, when an output's dim 0 does not follow
 * the rows. Batching helps small models under many concurrent small requests; it does not help
 * a model that already keeps the cores busy, and `maxDelayMs` adds latency when traffic is light
 * (see the serving guide).
 */
export interface LiteNetworkPoolBatching {
  /** Most rows (dim 0, summed over the requests) run in one forward: an integer in [1, 65536]. */
  maxBatch: number;
  /**
   * How long a batch short of `maxBatch` rows may wait for more, in milliseconds from the arrival
   * of its oldest request: a number in [0, 2^31 - 1] (0 never waits: a free network runs what is
   * queued).
   */
  maxDelayMs: number;
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

/** What a pool's native queue handed out (for tests and benchmarks, through `@lite/core/internal`). */
export const poolInternals = {} as { stats(pool: LiteNetworkPool): NativePoolStats };

// The longest setTimeout delay (about 24.8 days): a finite bound the native side can always add to a time.
const MAX_DELAY_MS = 2 ** 31 - 1;

function checkBatching(batching: unknown): LiteNetworkPoolBatching | undefined {
  if (batching === undefined) return undefined;
  if (batching === null || typeof batching !== 'object') invalid(`LiteNetworkPool.create: batching must be { maxBatch, maxDelayMs }, got ${show(batching)}`);
  const { maxBatch, maxDelayMs } = batching as Record<string, unknown>;
  if (typeof maxBatch !== 'number' || !Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 65536) {
    invalid(`LiteNetworkPool.create: batching.maxBatch must be an integer in [1, 65536], got ${show(maxBatch)}`);
  }
  if (typeof maxDelayMs !== 'number' || !Number.isFinite(maxDelayMs) || maxDelayMs < 0 || maxDelayMs > MAX_DELAY_MS) {
    invalid(`LiteNetworkPool.create: batching.maxDelayMs must be a number of ms in [0, ${MAX_DELAY_MS}], got ${show(maxDelayMs)}`);
  }
  return { maxBatch, maxDelayMs };
}

// Batching splits every output along dim 0: run zeros with 1 and with 2 rows (dim 0 of every
// input) and require each output's dim 0 to be the rows.
async function checkBatchable(net: LiteNetwork): Promise<void> {
  const declared = networkInternals.declaredInputs(net);
  for (const [name, layout] of declared) {
    if (layout.ndim === 0) throw new LiteError('LITE_UNSUPPORTED', `LiteNetworkPool.create: batching needs a batch dim (dim 0) on every input; input "${name}" declares no shape`);
  }
  const outputNames = net.outputNames;
  for (const rows of [1, 2]) {
    const feeds: Record<string, Feed> = {};
    for (const [name, layout] of declared) {
      const shape = [rows, ...layout.shapes.slice(1)];
      feeds[name] = { data: new Uint8Array(new LiteLayout(shape, layout.dataType).nbytes), shape };
    }
    const inputs = networkInternals.prepareFeeds(net, feeds, 'LiteNetworkPool batching check');
    let out: PredictOutputs<string>;
    try {
      out = await networkInternals.predictPrepared(net, inputs);
    } catch (e) {
      const engineMessage = e instanceof LiteError ? (e.engineMessage ?? e.message) : String(e);
      throw new LiteError('LITE_UNSUPPORTED', `LiteNetworkPool.create: batching needs the model to run with ${rows} rows (dim 0 of every input), and it failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, engineMessage });
    }
    try {
      for (const o of outputNames) {
        const shape = out[o]?.layout.shapes ?? [];
        if (shape[0] !== rows) {
          throw new LiteError(
            'LITE_UNSUPPORTED',
            `LiteNetworkPool.create: batching needs every output's dim 0 to follow the batch, but output "${o}" has shape [${shape.join(', ')}] for ${rows} row${rows > 1 ? 's' : ''} (dim 0 of every input)`,
          );
        }
      }
    } finally {
      disposeOutputs(out);
    }
  }
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

  static {
    poolInternals.stats = (pool) => pool.#native.stats();
  }

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
    const batching = checkBatching(options.batching);
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
      if (batching) await checkBatchable(first);
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
    return new LiteNetworkPool(networks, native(() => new b.NativePool(members, batching)));
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
