import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { NativeNetwork, PendingCallback } from '@lite/binding';
import { LiteConfig, type LiteExtraConfig, LiteIO, LiteNetworkIO } from './config.js';
import { LiteAlgoSelectStrategy, LiteDeviceType, LiteTensorPhase } from './enums.js';
import { LiteError, invalid, isEnumValue, native, nativeAsync, show } from './errors.js';
import { type Feed, type PreparedInput, prepareFeeds } from './feeds.js';
import { LiteLayout } from './layout.js';
import { checkModelFile, loading, loadingAsync } from './model-errors.js';
import { lib } from './native.js';
import { PACKED_MODEL_TAG, isPackedModel, readPackedModel } from './packed.js';
import { BUSY_OWNER, LiteTensor } from './tensor.js';

/** A model to load: a file path, or the model's bytes. */
export type ModelSource = string | Uint8Array | ArrayBuffer;

/**
 * The start/finish callback: IO description → the network's live IO tensor (as in
 * megenginelite). The engine waits while the callback runs, so it can read and change them.
 */
export type IoCallback = (ios: Map<LiteIO, LiteTensor>) => void;

/** `predict`'s result: a tensor per output name (copies owned by the caller). */
export type PredictOutputs<Out extends string = string> = Record<Out, LiteTensor>;

/** @internal what LiteNetworkPool needs of a network (filled in by LiteNetwork's static block). */
export const networkInternals = {} as {
  prepareFeeds(net: LiteNetwork, feeds: unknown, what: string): PreparedInput[];
  declaredInputs(net: LiteNetwork): ReadonlyMap<string, LiteLayout>;
  predictPrepared<Out extends string>(net: LiteNetwork, inputs: readonly PreparedInput[]): Promise<PredictOutputs<Out>>;
};

function busyError(): LiteError {
  return new LiteError('LITE_BUSY', 'the network has an asynchronous call (predict, forwardAsync or loadAsync) queued or running; await it first');
}

function modelBytes(model: Uint8Array | ArrayBuffer): Uint8Array {
  const bytes = model instanceof ArrayBuffer ? new Uint8Array(model) : model;
  if (bytes.byteLength === 0) invalid('the model is empty (0 bytes)');
  return bytes;
}

function checkModel(model: unknown): asserts model is ModelSource {
  if (typeof model === 'string') {
    if (model.length === 0 || model.includes('\0')) invalid('model path must be a non-empty string without NUL');
    checkModelFile(model);
    checkPackedFile(model);
    return;
  }
  if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
    const bytes = modelBytes(model);
    if (isPackedModel(bytes)) readPackedModel(bytes);
    return;
  }
  invalid(`load expects a file path, a Uint8Array or an ArrayBuffer, got ${show(model)}`);
}

// A packed model's flatbuffer is followed by the runtime without bounds checks (a truncated file
// crashes the process), so check its structure first. Unreadable files are left to the engine,
// which reports them.
function checkPackedFile(path: string): void {
  let head: Uint8Array;
  try {
    const fd = openSync(path, 'r');
    try {
      head = new Uint8Array(PACKED_MODEL_TAG.length);
      if (readSync(fd, head, 0, head.length, 0) < head.length) return;
    } finally {
      closeSync(fd);
    }
  } catch {
    return;
  }
  if (!isPackedModel(head)) return;
  let whole: Uint8Array;
  try {
    whole = readFileSync(path);
  } catch {
    return;
  }
  readPackedModel(whole);
}

function pathArg(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) invalid(`${what} must be a non-empty string without NUL, got ${show(value)}`);
  return value;
}

/**
 * A network: load a model, set inputs, run, read outputs (megenginelite's `LiteNetwork`).
 *
 * @example
 * const net = new LiteNetwork();
 * await net.loadAsync('model.mge');
 * const outputs = await net.predict({ data: new Float32Array(3 * 224 * 224) });
 */
export class LiteNetwork implements Disposable {
  #native: NativeNetwork | null;
  #config: LiteConfig;
  #io: LiteNetworkIO;
  #loaded = false;
  #queue: Promise<unknown> = Promise.resolve();
  // Async calls queued or running. While > 0, sync calls throw LITE_BUSY (except inside #job).
  #pending = 0;
  // True while a queued job's synchronous part runs (it may use the network).
  #inJob = false;
  // Input/output names and the model's declared input layouts, read once per load.
  #inputNames: string[] = [];
  #outputNames: string[] = [];
  #declared = new Map<string, LiteLayout>();
  // IO tensor wrappers by phase/name, so memory shared into an input stays reachable as long as
  // the network is.
  #ioTensors = new Map<string, LiteTensor>();
  #asyncCb: (() => void) | null = null;
  // In async-callback mode, keeps the event loop alive from forward() until the callback ran
  // (the binding's thread-safe function is weak so that an idle network never holds a process).
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  #startCb: IoCallback | null = null;
  #finishCb: IoCallback | null = null;
  // First error thrown by a user callback since the last forward/wait reported one.
  #callbackError: unknown = undefined;
  #hasCallbackError = false;

  /**
   * @param config configuration (default: CPU, C defaults).
   * @param io inputs/outputs to configure (default: as in the model).
   */
  constructor(config?: LiteConfig, io?: LiteNetworkIO) {
    if (config !== undefined && !(config instanceof LiteConfig)) invalid('LiteNetwork config must be a LiteConfig');
    if (io !== undefined && !(io instanceof LiteNetworkIO)) invalid('LiteNetwork io must be a LiteNetworkIO');
    this.#config = config ?? new LiteConfig();
    this.#io = io ?? new LiteNetworkIO();
    const b = lib();
    if (this.#config.deviceType !== LiteDeviceType.LITE_CPU && this.#config.deviceType !== LiteDeviceType.LITE_DEVICE_DEFAULT) {
      const count = native(() => b.getDeviceCount(this.#config.deviceType));
      if (count === 0) throw new LiteError('LITE_UNSUPPORTED', `no ${LiteDeviceType[this.#config.deviceType] ?? this.#config.deviceType} device is available on this machine`);
    }
    const cfg = this.#config.toNative();
    const nio = this.#io.toNative();
    this.#native = native(() => new b.NativeNetwork(cfg, nio));
  }

  /** @internal the native network for a synchronous call: throws `LITE_BUSY` while an async call is queued or running. */
  get native(): NativeNetwork {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteNetwork was disposed');
    if (this.#pending > 0 && !this.#inJob) throw busyError();
    return this.#native;
  }

  /** @internal whether a tensor owned by this network must refuse synchronous calls now. */
  [BUSY_OWNER](): boolean {
    return this.#pending > 0 && !this.#inJob;
  }

  // After every (re)load: the engine replaced its IO tensors; read names and declared layouts.
  #afterLoad(n: NativeNetwork): void {
    this.#inputNames = native(() => n.inputNames());
    this.#outputNames = native(() => n.outputNames());
    this.#declared = new Map(this.#inputNames.map((name) => [name, LiteLayout.fromNative(native(() => n.getIoTensor(name, LiteTensorPhase.LITE_INPUT)).layout())]));
    this.#loaded = true;
  }
  /** The configuration the network was created with. */
  get config(): LiteConfig {
    return this.#config;
  }

  /** The IO description the network was created with. */
  get io(): LiteNetworkIO {
    return this.#io;
  }

  /** Whether a model was loaded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Loads a model from a file path or bytes (blocking; see {@link loadAsync}). Loading again
   * replaces the model; IO tensors obtained before then throw `LITE_DISPOSED` (the engine frees
   * them), so call {@link getIoTensor} again.
   */
  load(model: ModelSource): void {
    checkModel(model);
    const n = this.native;
    // The engine replaces its IO tensors on every load; tensors from before become disposed.
    this.#ioTensors.clear();
    this.#loaded = false;
    loading(model, this.#config, () => {
      if (typeof model === 'string') native(() => n.loadPath(model));
      else {
        const bytes = modelBytes(model);
        native(() => n.loadBytes(bytes));
      }
    });
    this.#afterLoad(n);
  }

  /** Loads a model off the JS thread (libuv pool). */
  loadAsync(model: ModelSource): Promise<void> {
    try {
      checkModel(model);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue(async () => {
      const n = this.#live();
      this.#ioTensors.clear();
      this.#loaded = false;
      await loadingAsync(model, this.#config, () => (typeof model === 'string' ? nativeAsync(n.loadPathAsync(model)) : nativeAsync(n.loadBytesAsync(modelBytes(model)))));
      this.#job(() => this.#afterLoad(n));
    });
  }

  #checkLoaded(what: string): void {
    if (!this.#loaded) throw new LiteError('LITE_INVALID_ARGUMENT', `${what} needs a loaded model; call load() or loadAsync() first`);
  }

  /** Runs inference (blocking unless an async callback is set; then call {@link wait}). */
  forward(): void {
    this.#checkLoaded('forward');
    const n = this.native;
    this.#takeCallbackError();
    try {
      native(() => n.forward());
      if (this.#asyncCb && this.#keepAlive === null) this.#keepAlive = setInterval(() => {}, 0x7fffffff);
    } finally {
      this.#drainPending(n);
    }
    this.#throwCallbackError();
  }

  #release(): void {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
  }

  /**
   * Waits for the inference started by {@link forward}. Throws the error of a callback that
   * threw during that forward (the callback error is wrapped as `LITE_ERROR` with it as `cause`).
   */
  wait(): void {
    const n = this.native;
    try {
      native(() => n.wait());
    } finally {
      this.#drainPending(n);
      this.#release();
    }
    this.#throwCallbackError();
  }

  // Dispatches callbacks that fired on the JS thread inside a sync native call.
  #drainPending(n: NativeNetwork): void {
    for (const p of n.takePendingCallbacks()) this.#dispatch(p);
  }

  // Called on the JS thread (directly, or by the binding's thread-safe function). Never throws:
  // a user error is kept and reported by the forward/wait it belongs to.
  #dispatch = ({ kind, ios, tensors }: PendingCallback): void => {
    try {
      if (kind === 0) {
        this.#release();
        this.#asyncCb?.();
        return;
      }
      const cb = kind === 1 ? this.#startCb : this.#finishCb;
      if (!cb) return;
      const map = new Map<LiteIO, LiteTensor>();
      ios.forEach((io, i) => {
        const t = tensors[i];
        if (t) map.set(LiteIO.fromNative(io), new LiteTensor({ native: t }));
      });
      cb(map);
    } catch (err) {
      if (!this.#hasCallbackError) {
        this.#hasCallbackError = true;
        this.#callbackError = err;
      }
    }
  };

  #takeCallbackError(): unknown {
    const had = this.#hasCallbackError;
    const err = this.#callbackError;
    this.#hasCallbackError = false;
    this.#callbackError = undefined;
    return had ? (err ?? new Error('callback threw')) : undefined;
  }

  #throwCallbackError(): void {
    const err = this.#takeCallbackError();
    if (err === undefined) return;
    const msg = err instanceof Error ? err.message : typeof err === 'string' ? err : show(err);
    throw new LiteError('LITE_ERROR', `a network callback threw: ${msg}`, { cause: err });
  }

  /**
   * Switches the network to async mode (before load, as megenginelite): `forward()` returns at
   * once and `cb` runs on the JS thread when the work is done (then call {@link wait} or just rely
   * on `cb`). If `cb` throws, the next `wait()`/`forward()`/`forwardAsync()` reports it. A forward
   * in flight keeps the process alive until `cb` has run.
   */
  asyncWithCallback(cb: () => void): void {
    if (typeof cb !== 'function') invalid('asyncWithCallback expects a function');
    const n = this.native;
    this.#asyncCb = cb;
    native(() => n.setAsyncCallback(this.#dispatch));
  }

  /**
   * `cb` runs at the start of every forward with a `Map<LiteIO, LiteTensor>` of the inputs: the
   * network's live input tensors, as in megenginelite, so the callback can fill or change them
   * before the engine reads them. It runs on the JS thread while the engine waits for it: inside
   * `forward()`, or, for `forwardAsync()`/async mode, while the pool (engine) thread is held until
   * the callback returned. While it runs, the tensors can be used; calls on the network itself
   * (`getIoTensor`, `forward`, ...) throw `LITE_BUSY`. Kept after the callback, the tensors are the
   * network's IO tensors (`LITE_BUSY` while a later run is in progress). A throw makes that
   * forward fail. (Only while a network is being destroyed does a callback get copies.)
   */
  setStartCallback(cb: IoCallback): void {
    if (typeof cb !== 'function') invalid('setStartCallback expects a function');
    const n = this.native;
    this.#startCb = cb;
    native(() => n.setStartCallback(this.#dispatch));
  }

  /**
   * Like {@link setStartCallback}, with the live output tensors when a forward finished (inside
   * `wait()` for a sync forward).
   */
  setFinishCallback(cb: IoCallback): void {
    if (typeof cb !== 'function') invalid('setFinishCallback expects a function');
    const n = this.native;
    this.#finishCb = cb;
    native(() => n.setFinishCallback(this.#dispatch));
  }

  /**
   * Beyond megenginelite: forward + wait on the libuv pool; the event loop keeps turning.
   * Calls on one network are queued and run one at a time; while one runs, synchronous calls on
   * the network and its IO tensors throw `LITE_BUSY`.
   */
  forwardAsync(): Promise<void> {
    try {
      this.#checkLoaded('forwardAsync');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue(() => this.#forwardAsyncNow());
  }

  async #forwardAsyncNow(): Promise<void> {
    this.#takeCallbackError();
    await nativeAsync(this.#live().forwardAsync());
    this.#throwCallbackError();
  }

  // The native network inside a queued job (no busy check: the job is the one making the network busy).
  #live(): NativeNetwork {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteNetwork was disposed');
    return this.#native;
  }

  // Runs the synchronous part of a queued job, during which the network's own methods work.
  #job<T>(fn: () => T): T {
    const was = this.#inJob;
    this.#inJob = true;
    try {
      return fn();
    } finally {
      this.#inJob = was;
    }
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(job, job);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#pending--;
    });
  }

  /**
   * Beyond megenginelite: sets the named inputs, runs off the JS thread and resolves with a copy
   * of every output, by name. Guarantees:
   *
   * - Every model input must be given; missing or unknown names reject with
   *   `LITE_INVALID_ARGUMENT` naming them (nothing is queued).
   * - The feeds are checked and copied synchronously, inside this call: the caller may change or
   *   reuse its buffers as soon as `predict` returns its promise.
   * - A TypedArray (of the input's dtype, or raw bytes) or a number array must hold exactly the
   *   model's declared input layout. A feed that carries a shape (`{ data, shape }`, a
   *   {@link LiteTensor}, an ndarray) sets the input's shape for this call only.
   * - Outputs are copies that belong to the caller; overlapping calls each get their own.
   * - Calls are queued and run one at a time. While one is queued or running, synchronous calls
   *   on the network and its IO tensors throw `LITE_BUSY` (in the same tick too).
   *
   * Name the outputs for typed access under `noUncheckedIndexedAccess`:
   *
   * @example
   * const { prob } = await net.predict<'prob'>({ data: new Float32Array(3 * 224 * 224) });
   * prob.toFloat32Array();
   */
  predict<Out extends string = string>(feeds: Readonly<Record<string, Feed>>): Promise<PredictOutputs<Out>> {
    let inputs: PreparedInput[];
    try {
      inputs = this.#prepareFeeds(feeds, 'predict');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#predictPrepared<Out>(inputs);
  }

  // Reachable from the pool (same package) through `networkInternals`, not as methods: nothing
  // outside @lite/core can call them with arbitrary arguments.
  static {
    networkInternals.prepareFeeds = (net, feeds, what) => net.#prepareFeeds(feeds, what);
    networkInternals.declaredInputs = (net) => net.#declared;
    networkInternals.predictPrepared = (net, inputs) => net.#predictPrepared(inputs);
  }

  #prepareFeeds(feeds: unknown, what: string): PreparedInput[] {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteNetwork was disposed');
    this.#checkLoaded(what);
    return prepareFeeds(feeds, this.#declared, what);
  }

  #predictPrepared<Out extends string = string>(inputs: readonly PreparedInput[]): Promise<PredictOutputs<Out>> {
    return this.#enqueue(async () => {
      this.#job(() => {
        for (const input of inputs) {
          const t = this.getIoTensor(input.name, LiteTensorPhase.LITE_INPUT).native;
          // The copy taken by prepareFeeds is private to this call: the tensor uses it in place.
          if (t.deviceType() === LiteDeviceType.LITE_CPU) native(() => t.shareBytes(input.bytes, input.layout.toNative()));
          else {
            native(() => t.setLayout(input.layout.toNative()));
            native(() => t.writeBytes(input.bytes));
          }
        }
      });
      try {
        await this.#forwardAsyncNow();
      } catch (e) {
        throw withFeedShapes(e, inputs, this.#declared);
      }
      return this.#job(() => {
        const out = {} as Record<string, LiteTensor>;
        for (const name of this.#outputNames) {
          const t = this.getIoTensor(name, LiteTensorPhase.LITE_OUTPUT).native;
          out[name] = new LiteTensor({ native: native(() => t.cloneToHost()) });
        }
        // A shape given with a feed holds for this call only: the input returns to the declared layout.
        for (const input of inputs) {
          const declared = this.#declared.get(input.name);
          if (!input.shaped || !declared || declared.equals(input.layout)) continue;
          const t = this.getIoTensor(input.name, LiteTensorPhase.LITE_INPUT).native;
          native(() => t.setLayout(declared.toNative()));
        }
        return out as PredictOutputs<Out>;
      });
    });
  }

  /** The input or output tensor called `name`. */
  getIoTensor(name: string, phase: LiteTensorPhase = LiteTensorPhase.LITE_IO): LiteTensor {
    if (typeof name !== 'string') invalid(`tensor name must be a string, got ${typeof name}`);
    if (!isEnumValue(LiteTensorPhase, phase)) invalid(`phase ${show(phase)} is not a LiteTensorPhase`);
    const n = this.native;
    this.#checkLoaded('getIoTensor');
    const isInput = phase !== LiteTensorPhase.LITE_OUTPUT && this.#inputNames.includes(name);
    const key = `${isInput ? 'in' : 'out'}:${name}`;
    const cached = this.#ioTensors.get(key);
    if (cached && !cached.disposed) return cached;
    if (!isInput && (phase === LiteTensorPhase.LITE_INPUT || !this.#outputNames.includes(name))) {
      const names = phase === LiteTensorPhase.LITE_OUTPUT ? this.#outputNames : phase === LiteTensorPhase.LITE_INPUT ? this.#inputNames : [...this.#inputNames, ...this.#outputNames];
      invalid(`no ${phase === LiteTensorPhase.LITE_IO ? 'input or output' : phase === LiteTensorPhase.LITE_INPUT ? 'input' : 'output'} named "${name}" (have: ${names.join(', ')})`);
    }
    const t = new LiteTensor({ native: native(() => n.getIoTensor(name, phase)), owner: this });
    this.#ioTensors.set(key, t);
    return t;
  }

  /** One tensor of the discrete input `name` (see `LiteConfig.discreteInputName`). */
  getDiscreteTensor(name: string, index: number, phase: LiteTensorPhase = LiteTensorPhase.LITE_INPUT): LiteTensor {
    if (typeof name !== 'string') invalid('tensor name must be a string');
    if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) invalid(`index must be a non-negative integer, got ${show(index)}`);
    if (!isEnumValue(LiteTensorPhase, phase)) invalid(`phase ${show(phase)} is not a LiteTensorPhase`);
    this.#checkLoaded('getDiscreteTensor');
    const n = this.native;
    return new LiteTensor({ native: native(() => n.getDiscreteTensor(name, index, phase)), owner: this });
  }

  /** Name of input `index`. */
  getInputName(index: number): string {
    const names = this.getAllInputName();
    if (!Number.isInteger(index) || index < 0 || index >= names.length) invalid(`input index ${show(index)} is out of range [0, ${names.length})`);
    return names[index] as string;
  }

  /** Name of output `index`. */
  getOutputName(index: number): string {
    const names = this.getAllOutputName();
    if (!Number.isInteger(index) || index < 0 || index >= names.length) invalid(`output index ${show(index)} is out of range [0, ${names.length})`);
    return names[index] as string;
  }

  /** All input names. */
  getAllInputName(): string[] {
    void this.native;
    this.#checkLoaded('getAllInputName');
    return [...this.#inputNames];
  }

  /** All output names. */
  getAllOutputName(): string[] {
    void this.native;
    this.#checkLoaded('getAllOutputName');
    return [...this.#outputNames];
  }

  #beforeLoad(what: string): void {
    if (this.#loaded) throw new LiteError('LITE_INVALID_ARGUMENT', `${what} must be set before the model is loaded`);
  }

  /** Device id (set before load). */
  get deviceId(): number {
    const n = this.native;
    return native(() => n.deviceId());
  }

  set deviceId(id: number) {
    if (!Number.isInteger(id) || id < 0) invalid(`deviceId must be a non-negative integer, got ${show(id)}`);
    this.#beforeLoad('deviceId');
    const n = this.native;
    native(() => n.setDeviceId(id));
  }

  /** Stream id (set before load). */
  get streamId(): number {
    const n = this.native;
    return native(() => n.streamId());
  }

  set streamId(id: number) {
    if (!Number.isInteger(id) || id < 0) invalid(`streamId must be a non-negative integer, got ${show(id)}`);
    this.#beforeLoad('streamId');
    const n = this.native;
    native(() => n.setStreamId(id));
  }

  /** CPU threads (set before load). */
  get threadsNumber(): number {
    const n = this.native;
    return native(() => n.threadsNumber());
  }

  set threadsNumber(threads: number) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) invalid(`threadsNumber must be an integer in [1, 1024], got ${show(threads)}`);
    this.#beforeLoad('threadsNumber');
    const n = this.native;
    native(() => n.setThreadsNumber(threads));
  }

  /** Device type. */
  get deviceType(): LiteDeviceType {
    const n = this.native;
    return native(() => n.deviceType()) as LiteDeviceType;
  }

  /** Runs CPU kernels on the calling thread (before load). */
  enableCpuInplaceMode(): void {
    this.#beforeLoad('enableCpuInplaceMode');
    const n = this.native;
    native(() => n.enableCpuInplaceMode());
  }

  /** Whether CPU inplace mode is on. */
  isCpuInplaceMode(): boolean {
    const n = this.native;
    return native(() => n.isCpuInplaceMode());
  }

  /** Uses TensorRT (needs a CUDA build and device; before load). */
  useTensorrt(): void {
    this.#beforeLoad('useTensorrt');
    const n = this.native;
    native(() => n.useTensorrt());
  }

  /** Shares the weights of the loaded network `src` (call before loading this one). */
  shareWeightsWith(src: LiteNetwork): void {
    if (!(src instanceof LiteNetwork)) invalid('shareWeightsWith expects a LiteNetwork');
    if (!src.#loaded) invalid('shareWeightsWith: the source network has no model loaded');
    this.#beforeLoad('shareWeightsWith');
    const n = this.native;
    const s = src.native;
    this.#ioTensors.clear();
    native(() => n.shareWeightsWith(s));
    this.#afterLoad(n);
  }

  /** Shares runtime memory with `src` (Python: `share_runtime_memroy`; before load). */
  shareRuntimeMemoryWith(src: LiteNetwork): void {
    if (!(src instanceof LiteNetwork)) invalid('shareRuntimeMemoryWith expects a LiteNetwork');
    this.#beforeLoad('shareRuntimeMemoryWith');
    const n = this.native;
    const s = src.native;
    native(() => n.shareRuntimeMemoryWith(s));
  }

  /** Writes a profile JSON to `jsonPath` (before load). */
  enableProfilePerformance(jsonPath: string): void {
    const n = this.native;
    native(() => n.enableProfilePerformance(pathArg(jsonPath, 'enableProfilePerformance: jsonPath')));
  }

  /** Workspace limit for algorithms, in bytes (after load). */
  setNetworkAlgoWorkspaceLimit(bytes: number): void {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) invalid(`setNetworkAlgoWorkspaceLimit: bytes must be a non-negative integer, got ${show(bytes)}`);
    this.#checkLoaded('setNetworkAlgoWorkspaceLimit');
    const n = this.native;
    native(() => n.setNetworkAlgoWorkspaceLimit(bytes));
  }

  /** Algorithm selection policy (before or after load); fast-run batch options as in megenginelite. */
  setNetworkAlgoPolicy(policy: LiteAlgoSelectStrategy | number, sharedBatchSize = 0, binaryEqualBetweenBatch = false): void {
    if (typeof policy !== 'number' || !Number.isInteger(policy) || policy < 1 || policy > 15) {
      invalid(`setNetworkAlgoPolicy: policy must be a LiteAlgoSelectStrategy or a bitwise OR of them (1..15), got ${show(policy)}`);
    }
    if (typeof sharedBatchSize !== 'number' || !Number.isInteger(sharedBatchSize) || sharedBatchSize < 0 || sharedBatchSize > 0x7fffffff) {
      invalid(`setNetworkAlgoPolicy: sharedBatchSize must be a non-negative integer, got ${show(sharedBatchSize)}`);
    }
    const n = this.native;
    native(() => n.setNetworkAlgoPolicy(policy, sharedBatchSize, Boolean(binaryEqualBetweenBatch)));
  }

  /** Dumps IO values as text into `path` on each forward. */
  ioTxtDump(path: string): void {
    const n = this.native;
    native(() => n.ioTxtDump(pathArg(path, 'ioTxtDump: path')));
  }

  /** Dumps IO values as binary files into the folder `dir` on each forward. */
  ioBinDump(dir: string): void {
    const n = this.native;
    native(() => n.ioBinDump(pathArg(dir, 'ioBinDump: dir')));
  }

  /** Writes static memory allocation info into `logDir` (after load). */
  getStaticMemoryAllocInfo(logDir = 'logs/test'): void {
    this.#checkLoaded('getStaticMemoryAllocInfo');
    const n = this.native;
    native(() => n.getStaticMemoryAllocInfo(pathArg(logDir, 'getStaticMemoryAllocInfo: logDir')));
  }

  /**
   * Enables the global layout transform (before load). On some x86 CPUs the 1.13 engine's JIT
   * fails while profiling layouts ("bad err=45 in Xbyak::Error") and `load` then never returns;
   * try it on your hardware before relying on it.
   */
  enableGlobalLayoutTransform(): void {
    this.#beforeLoad('enableGlobalLayoutTransform');
    const n = this.native;
    native(() => n.enableGlobalLayoutTransform());
  }

  /** Dumps the layout-transformed model to `path` (after load). */
  dumpLayoutTransformModel(path: string): void {
    this.#checkLoaded('dumpLayoutTransformModel');
    const n = this.native;
    native(() => n.dumpLayoutTransformModel(pathArg(path, 'dumpLayoutTransformModel: path')));
  }

  /** Extra configuration (before load): a {@link LiteExtraConfig}, or a plain object of its fields. */
  extraConfigure(cfg: LiteExtraConfig | { disableConfigureByModelInfo?: boolean }): void {
    if (cfg === null || typeof cfg !== 'object') invalid(`extraConfigure expects a LiteExtraConfig, got ${show(cfg)}`);
    const disable = cfg.disableConfigureByModelInfo ?? false;
    if (typeof disable !== 'boolean') invalid(`extraConfigure: disableConfigureByModelInfo must be a boolean, got ${show(disable)}`);
    this.#beforeLoad('extraConfigure');
    const n = this.native;
    native(() => n.extraConfigure(disable));
  }

  /** Beyond megenginelite: the extra info string packed with the model ("" when none). */
  getModelExtraInfo(): string {
    this.#checkLoaded('getModelExtraInfo');
    const n = this.native;
    return native(() => n.modelExtraInfo());
  }

  /**
   * Releases the network. Its IO tensors stay usable until they are disposed or collected.
   * Throws `LITE_BUSY` while an async call runs.
   */
  dispose(): void {
    if (!this.#native) return;
    if (this.#pending > 0) throw new LiteError('LITE_BUSY', 'cannot dispose a network while an async call on it is pending');
    const n = this.#native;
    native(() => n.dispose());
    this.#native = null;
    this.#ioTensors.clear();
    this.#release();
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** IO info of a model before loading it: its inputs/outputs with names and layouts. */
export function getModelIoInfo(model: ModelSource, config?: LiteConfig): LiteNetworkIO {
  checkModel(model);
  const b = lib();
  const chosen = config ?? new LiteConfig();
  const cfg = chosen.toNative();
  const src = typeof model === 'string' ? model : modelBytes(model);
  return LiteNetworkIO.fromNative(loading(model, chosen, () => native(() => b.getModelIoInfo(src, cfg))));
}

/** Reads a model file into memory (helper for `load(bytes)`). */
export function readModel(path: string): Uint8Array {
  return readFileSync(path);
}

// An engine failure after a feed changed an input's shape: say which shapes were given.
function withFeedShapes(err: unknown, inputs: readonly PreparedInput[], declared: ReadonlyMap<string, LiteLayout>): unknown {
  if (!(err instanceof LiteError) || err.code !== 'LITE_ERROR') return err;
  const shaped = inputs.filter((i) => { const d = declared.get(i.name); return i.shaped && d !== undefined && !d.equals(i.layout); });
  if (shaped.length === 0) return err;
  const what = shaped.map((i) => `"${i.name}" was given [${i.layout.shapes.join(', ')}], the model declares [${declared.get(i.name)?.shapes.join(', ')}]`).join('; ');
  return new LiteError(err.code, `${err.message} (input ${what})`, { cause: err });
}
