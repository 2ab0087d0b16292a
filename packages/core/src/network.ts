import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { abortable, signalOption as checkSignal } from '@lite/common/internal';
import type { JobOutcome, NativeFeed, NativeModelInfo, NativeNetwork, NativeTensor } from '@lite/binding';
import { LiteConfig, type LiteExtraConfig, LiteIO, LiteNetworkIO } from './config.js';
import { type JsDecryption, jsDecryption } from './crypto-internal.js';
import { LiteAlgoSelectStrategy, LiteDeviceType, LiteTensorPhase } from './enums.js';
import { LiteError, fromFailure, invalid, isEnumValue, native, show } from './errors.js';
import { type Feed, type PreparedInput, prepareFeeds } from './feeds.js';
import { LiteLayout } from './layout.js';
import { checkModelFile, loading, loadingAsync, readModelFile } from './model-errors.js';
import { type ProbeSet, needsProbe, probe, probeSync, unsupportedError } from './cpu-probe.js';
import { lib } from './native.js';
import { PACKED_MODEL_TAG, type PackedModelParts, isPackedModel, readPackedModel } from './packed.js';
import { LiteTensor, checkNotDetached } from './tensor.js';

/** A model to load: a file path, or the model's bytes. */
export type ModelSource = string | Uint8Array | ArrayBuffer;

/** Options of {@link LiteNetwork.create}. */
export interface LiteNetworkCreateOptions {
  /** The network's configuration (default: CPU, C defaults). */
  config?: LiteConfig;
  /** Inputs/outputs to configure (default: as in the model). */
  io?: LiteNetworkIO;
}

/** Options of {@link LiteNetwork.predict}. */
export interface PredictOptions {
  /**
   * Abort the request: the promise rejects at once with `signal.reason`; the network finishes
   * the run in the background (its outputs are freed) and takes the next call.
   */
  signal?: AbortSignal;
}

/** Internal: the `{ signal }` helpers, now in @lite/common (kept importable from here). */
export { abortable, checkSignal };

function disposeAll(out: PredictOutputs<string>): void {
  for (const t of Object.values(out)) t.dispose();
}

/**
 * The start/finish callback: IO description → the network's live IO tensor (as in
 * megenginelite). It runs on the JS thread while the engine is not running, so it can read and
 * change them.
 */
export type IoCallback = (ios: Map<LiteIO, LiteTensor>) => void;

/** `predict`'s result: a tensor per output name (copies owned by the caller). */
export type PredictOutputs<Out extends string = string> = Record<Out, LiteTensor>;

/** @internal what LiteNetworkPool needs of a network (filled in by LiteNetwork's static block). */
export const networkInternals = {} as {
  prepareFeeds(net: LiteNetwork, feeds: unknown, what: string): PreparedInput[];
  declaredInputs(net: LiteNetwork): ReadonlyMap<string, LiteLayout>;
  predictPrepared<Out extends string>(net: LiteNetwork, inputs: readonly PreparedInput[]): Promise<PredictOutputs<Out>>;
  native(net: LiteNetwork): NativeNetwork;
  nativeFeeds(net: LiteNetwork, inputs: readonly PreparedInput[]): NativeFeed[];
  outputsOf<Out extends string>(net: LiteNetwork, copies: readonly NativeTensor[]): PredictOutputs<Out>;
  predictError(net: LiteNetwork, err: unknown, inputs: readonly PreparedInput[]): unknown;
};

function busyError(): LiteError {
  return new LiteError('LITE_BUSY', 'the network is busy: an asynchronous call (predict, forwardAsync, loadAsync), a run or a callback holds it; await it first');
}

function modelBytes(model: Uint8Array | ArrayBuffer): Uint8Array {
  checkNotDetached(model, -1, 'the model data');
  const bytes = model instanceof ArrayBuffer ? new Uint8Array(model) : model;
  if (bytes.byteLength === 0) invalid('the model is empty (0 bytes)');
  return bytes;
}

/** A model checked before the engine sees it: a packed model's parts (views into its bytes), or undefined for a bare model. */
interface CheckedModel {
  packed: PackedModelParts | undefined;
}

function checkModel(model: unknown): CheckedModel {
  if (typeof model === 'string') {
    if (model.length === 0 || model.includes('\0')) invalid('model path must be a non-empty string without NUL');
    checkModelFile(model);
    return { packed: checkPackedFile(model) };
  }
  if (model instanceof Uint8Array || model instanceof ArrayBuffer) {
    const bytes = modelBytes(model);
    return { packed: isPackedModel(bytes) ? readPackedModel(bytes) : undefined };
  }
  return invalid(`load expects a file path, a Uint8Array or an ArrayBuffer, got ${show(model)}`);
}

// A packed model's flatbuffer is followed by the runtime without bounds checks (a truncated file
// crashes the process), so check its structure first; its parts are returned. Unreadable files
// are left to the engine, which reports them.
function checkPackedFile(path: string): PackedModelParts | undefined {
  let head: Uint8Array;
  try {
    const fd = openSync(path, 'r');
    try {
      head = new Uint8Array(PACKED_MODEL_TAG.length);
      if (readSync(fd, head, 0, head.length, 0) < head.length) return undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!isPackedModel(head)) return undefined;
  let whole: Uint8Array;
  try {
    whole = readFileSync(path);
  } catch {
    return undefined;
  }
  return readPackedModel(whole);
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
  /** Whether enableGlobalLayoutTransform() was called (it reaches the engine only at load). */
  #layoutTransform = false;
  #io: LiteNetworkIO;
  #loaded = false;
  /** loadAsync() calls not settled yet (calls that need the model then throw LITE_BUSY). */
  #loading = 0;
  /** The decryption name the engine network was configured with (the config may change later). */
  #cryptName: string;
  // Input/output names and the model's declared input layouts, read once per load.
  #inputNames: string[] = [];
  #outputNames: string[] = [];
  #declared = new Map<string, LiteLayout>();
  // IO tensor wrappers by phase/name, so memory shared into an input stays reachable as long as
  // the network is.
  #ioTensors = new Map<string, LiteTensor>();
  // The user's callbacks live here only (the binding holds no JS function), so a network with
  // callbacks is collected like any other. Whether the network is busy is the binding's
  // executor's business alone: this class asks it (`isBusy`), and the network's tensors are
  // refused by the binding itself while the executor holds the network.
  #asyncCb: (() => void) | null = null;
  #startCb: IoCallback | null = null;
  #finishCb: IoCallback | null = null;
  // The async-mode forward in flight: its callbacks are delivered once, by wait() or when the
  // engine reports completion, whichever comes first.
  #asyncRun: { delivered: boolean } | null = null;
  // First error thrown by an async-mode callback, reported by the next forward/wait.
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
    this.#cryptName = cfg.bareModelCryptionName;
    this.#native = native(() => new b.NativeNetwork(cfg, nio));
  }

  /**
   * Beyond megenginelite, the name onnxruntime-node users know (`InferenceSession.create`): a
   * network with `options.config` and `options.io`, with `model` loaded off the JS thread
   * ({@link loadAsync}). A failed load disposes the network and rejects.
   *
   * @example
   * const net = await LiteNetwork.create('mnist.mge');
   * const { [net.outputNames[0] ?? '']: prob } = await net.predict({ [net.inputNames[0] ?? '']: image });
   */
  static async create(model: ModelSource, options: LiteNetworkCreateOptions = {}): Promise<LiteNetwork> {
    if (options === null || typeof options !== 'object') invalid(`LiteNetwork.create: options must be an object, got ${show(options)}`);
    const net = new LiteNetwork(options.config, options.io);
    try {
      await net.loadAsync(model);
    } catch (e) {
      net.dispose();
      throw e;
    }
    return net;
  }

  /** Beyond megenginelite (onnxruntime-node's name): the model's input names, in model order. */
  get inputNames(): readonly string[] {
    return this.getAllInputName();
  }

  /** Beyond megenginelite (onnxruntime-node's name): the model's output names, in model order. */
  get outputNames(): readonly string[] {
    return this.getAllOutputName();
  }

  /** @internal the native network for a synchronous call: throws `LITE_BUSY` while the executor holds it. */
  get native(): NativeNetwork {
    const n = this.#live();
    if (n.isBusy()) throw busyError();
    return n;
  }

  // After every (re)load: the engine replaced its IO tensors; keep the names and declared layouts.
  #afterLoad(info: NativeModelInfo): void {
    this.#ioTensors.clear();
    this.#inputNames = info.inputs;
    this.#outputNames = info.outputs;
    this.#declared = new Map(info.inputs.map((name, i) => [name, LiteLayout.fromNative(info.inputLayouts[i] as { shapes: number[]; dataType: number })]));
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
    const { packed } = checkModel(model);
    const n = this.native;
    // The engine calls this thread's JS decryptors itself, here on the JS thread; another
    // thread's are refused.
    jsDecryption(packed, this.#cryptName);
    const set = this.#checkOptions();
    if (needsProbe(set)) {
      const v = probeSync(set);
      if (!v.ok) throw unsupportedError(set, v);
    }
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
    this.#afterLoad(native(() => n.modelInfo()));
  }

  /**
   * Loads a model off the JS thread (on the network's own thread, after the calls queued before
   * it).
   *
   * A model that the engine would decrypt with a JavaScript decryptor (`@lite/crypto`'s
   * `registerDecryptionAndKey`: named by `bareModelCryptionName` for a bare model, or by a packed
   * model's header) is decrypted first, in this call on the JS thread (where a JavaScript function
   * runs anyway; a bare model file is read there too): the decryptor runs once per part with the
   * stored bytes and its key, as the engine would call it, and the network's thread then loads the
   * decrypted model as a plain one. The network's thread never waits for the JS thread. The
   * built-in decryptors run in the engine, on the network's thread.
   */
  async loadAsync(model: ModelSource): Promise<void> {
    const { packed } = checkModel(model);
    const n = this.#live();
    const set = this.#checkOptions();
    if (needsProbe(set)) {
      const v = await probe(set);
      if (!v.ok) throw unsupportedError(set, v);
    }
    const decryption = jsDecryption(packed, this.#cryptName);
    this.#loading++;
    try {
      const o = await loadingAsync(model, this.#config, () => settled(this.#queueLoad(n, model, decryption)));
      this.#afterLoad(o.info as NativeModelInfo);
    } catch (e) {
      this.#ioTensors.clear();
      this.#loaded = false;
      throw e;
    } finally {
      this.#loading--;
    }
  }

  // Queues the load of `model` on `n` and returns the job's promise. A model for a JavaScript
  // decryptor is decrypted now, on this thread (the job then loads it as a plain model).
  #queueLoad(n: NativeNetwork, model: ModelSource, decryption: JsDecryption | undefined): Promise<JobOutcome> {
    if (decryption === undefined) {
      return native(() => (typeof model === 'string' ? n.loadPathAsync(model) : n.loadBytesAsync(modelBytes(model))));
    }
    // A packed file's parts were read by checkModel; a bare file is read here.
    const stored = typeof model !== 'string' ? modelBytes(model) : decryption.needsBytes ? readModelFile(model) : new Uint8Array(0);
    const plain = decryption.apply(stored);
    return native(() => n.loadDecryptedAsync(plain));
  }

  /**
   * Refuses options this runtime cannot run (LITE_UNSUPPORTED, before the engine sees them) and
   * returns the settings that must pass the CPU probe first (see cpu-probe.ts).
   */
  #checkOptions(): ProbeSet {
    const o = this.#config.options;
    if (o.jitLevel > 0 || o.graphOptLevel === 3) {
      const what = o.jitLevel > 0 ? `options.jitLevel ${o.jitLevel}` : 'options.graphOptLevel 3 (graph JIT fusion)';
      throw new LiteError('LITE_UNSUPPORTED', `${what} needs a JIT compiler backend that this MegEngine runtime (1.13 CPU build) does not have; use graphOptLevel 0-2 and jitLevel 0`);
    }
    if (o.enableNhwcd4 && (process.arch === 'x64' || process.arch === 'ia32')) {
      throw new LiteError('LITE_UNSUPPORTED', 'options.enableNhwcd4 is a layout for mobile GPUs and ARM: the engine\'s x86 convolutions refuse it ("invalid conv format"); leave it off on x86 (enableNchw88 is the x86 layout)');
    }
    return { nchw88: o.enableNchw88, layoutTransform: this.#layoutTransform };
  }

  #checkLoaded(what: string): void {
    // While a loadAsync() runs, the model (or the one it replaces) is in flux: the same rule as
    // for every other call that finds the network held.
    if (this.#loading > 0) throw new LiteError('LITE_BUSY', `${what} needs the model that loadAsync() is still loading; await the loadAsync() first`);
    if (!this.#loaded) throw new LiteError('LITE_INVALID_ARGUMENT', `${what} needs a loaded model; call load() or loadAsync() first`);
  }

  /** Runs inference (blocking unless an async callback is set; then call {@link wait}). */
  forward(): void {
    this.#checkLoaded('forward');
    const n = this.native;
    this.#checkSharedInputs();
    this.#throwCallbackError();
    if (this.#startCb) this.#callbackTurn(n, true, this.#startCb, true);
    if (this.#asyncCb) {
      const run = { delivered: false };
      const done = native(() => n.forwardInAsyncMode());
      this.#asyncRun = run;
      // The pending promise keeps the process alive until the engine reports completion.
      void done.then(() => this.#deliverAsync(run));
    } else {
      native(() => n.forward());
    }
  }

  /**
   * Waits for the inference started by {@link forward}, then runs the finish callback. Throws the
   * error of a callback that threw (wrapped as `LITE_ERROR` with it as `cause`).
   */
  wait(): void {
    const n = this.#live();
    const ended = native(() => n.wait());
    const run = this.#asyncRun;
    if (run && !run.delivered) this.#deliverAsync(run);
    else if (ended && this.#finishCb) this.#callbackTurn(n, false, this.#finishCb, true);
    this.#throwCallbackError();
  }

  // An async-mode run ended: the async callback, then the finish callback (megenginelite's order).
  // Never throws: an error is kept for the next forward()/wait().
  #deliverAsync(run: { delivered: boolean }): void {
    if (run.delivered) return;
    run.delivered = true;
    if (this.#asyncRun === run) this.#asyncRun = null;
    const n = this.#native;
    try {
      this.#asyncCb?.();
      if (n && this.#finishCb) this.#callbackTurn(n, false, this.#finishCb, true);
    } catch (err) {
      if (!this.#hasCallbackError) {
        this.#hasCallbackError = true;
        this.#callbackError = err;
      }
    }
  }

  // Runs a start (inputs) or finish (outputs) callback on the JS thread in a turn: the engine is
  // not running, the network's live IO tensors are lent to the callback, calls on the network
  // itself are LITE_BUSY. `takeTurn`: take the turn here (a job's turn is taken by the executor).
  #callbackTurn(n: NativeNetwork, inputs: boolean, cb: IoCallback, takeTurn = false): void {
    if (takeTurn) native(() => n.beginTurn());
    try {
      const { ios, tensors } = native(() => n.turnIo(inputs));
      const map = new Map<LiteIO, LiteTensor>();
      ios.forEach((io, i) => {
        const t = tensors[i];
        if (t) map.set(LiteIO.fromNative(io), new LiteTensor({ native: t, owner: this }));
      });
      try {
        cb(map);
      } catch (err) {
        throw callbackFailed(err);
      }
    } finally {
      if (takeTurn) n.endTurn();
    }
  }

  #throwCallbackError(): void {
    if (!this.#hasCallbackError) return;
    const err = this.#callbackError;
    this.#hasCallbackError = false;
    this.#callbackError = undefined;
    throw err instanceof LiteError ? err : callbackFailed(err);
  }

  // Memory shared into an input by setDataByShare is pinned (untransferable); if it was detached
  // anyway (e.g. by another addon), refuse to run rather than let the engine read freed memory.
  #checkSharedInputs(): void {
    for (const [key, t] of this.#ioTensors) {
      if (!key.startsWith('in:') || t.disposed) continue;
      for (const r of t.retained) {
        const buffer = r.source instanceof ArrayBuffer ? r.source : r.source.buffer;
        if (buffer.byteLength === 0 && r.byteLength > 0) {
          throw new LiteError('LITE_INVALID_ARGUMENT', `input "${key.slice(3)}": the memory shared into it by setDataByShare was detached (transferred); share or copy the data again before running`);
        }
      }
    }
  }

  /**
   * Switches the network to async mode (before load, as megenginelite): `forward()` returns at
   * once and `cb` runs on the JS thread when the work is done (then call {@link wait} or just rely
   * on `cb`). If `cb` throws, the next `wait()`/`forward()` reports it. A forward in flight keeps
   * the process alive until `cb` has run.
   */
  asyncWithCallback(cb: () => void): void {
    if (typeof cb !== 'function') invalid('asyncWithCallback expects a function');
    const n = this.native;
    if (this.#asyncCb === null) native(() => n.setAsyncMode());
    this.#asyncCb = cb;
  }

  /**
   * `cb` runs at the start of every forward with a `Map<LiteIO, LiteTensor>` of the inputs: the
   * network's live input tensors, as in megenginelite, so the callback can fill or change them
   * before the engine reads them. It runs on the JS thread, right before the engine part of the
   * run (inside `forward()`; for `forwardAsync()`/`predict` when the run reaches the network),
   * and the engine never waits for JS: the run starts when the callback returned. While it runs,
   * the tensors can be used; calls on the network itself (`getIoTensor`, `forward`, ...) throw
   * `LITE_BUSY`. Kept after the callback, the tensors are the network's IO tensors (`LITE_BUSY`
   * while a later run is in progress). A throw makes that forward fail (`LITE_ERROR`, the error as
   * `cause`). The network holds the callback; the callback does not keep the network alive.
   */
  setStartCallback(cb: IoCallback): void {
    if (typeof cb !== 'function') invalid('setStartCallback expects a function');
    void this.native;
    this.#startCb = cb;
  }

  /**
   * Like {@link setStartCallback}, with the live output tensors when a forward finished (inside
   * `wait()` for a sync forward; before the promise of `forwardAsync()`/`predict` settles).
   */
  setFinishCallback(cb: IoCallback): void {
    if (typeof cb !== 'function') invalid('setFinishCallback expects a function');
    void this.native;
    this.#finishCb = cb;
  }

  /**
   * Beyond megenginelite: forward + wait off the JS thread, on the network's own thread; the
   * event loop keeps turning. Calls on one network are queued and run one at a time; while one is
   * queued or running, synchronous calls on the network and its IO tensors throw `LITE_BUSY`.
   */
  async forwardAsync(): Promise<void> {
    this.#checkLoaded('forwardAsync');
    const n = this.#live();
    this.#checkSharedInputs();
    this.#throwCallbackError();
    await this.#runJob(n, (start, finish) => n.forwardAsync(start, finish));
    if (this.#asyncCb) this.#asyncCb();
  }

  // Submits a job and plays its callback turns: the start turn (the job is parked until
  // `resume()`), then the finish turn (the network is held until `endTurn()`), in which
  // `finishWork` reads what the job produced.
  async #runJob<T>(n: NativeNetwork, submit: (start: boolean, finish: boolean) => Promise<JobOutcome>, finishWork?: () => T): Promise<{ outcome: JobOutcome; extra: T | undefined }> {
    const startCb = this.#startCb;
    const finishCb = this.#finishCb;
    let outcome = await settled(native(() => submit(startCb !== null, finishCb !== null)));
    if (startCb) {
      try {
        this.#callbackTurn(n, true, startCb);
      } catch (e) {
        n.abandon();
        throw e;
      }
      outcome = await settled(n.resume());
    }
    let extra: T | undefined;
    if (outcome.turn) {
      try {
        if (finishCb) this.#callbackTurn(n, false, finishCb);
        extra = finishWork?.();
      } finally {
        n.endTurn();
      }
    }
    return { outcome, extra };
  }

  // The native network (no busy check: the executor decides, per call).
  #live(): NativeNetwork {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteNetwork was disposed');
    return this.#native;
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
   *   {@link LiteTensor}, an ndarray) sets the input's shape for this call only; it must keep the
   *   declared rank (`LITE_INVALID_ARGUMENT` before the engine, naming both shapes).
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
  predict<Out extends string = string>(feeds: Readonly<Record<string, Feed>>, options: PredictOptions = {}): Promise<PredictOutputs<Out>> {
    let inputs: PreparedInput[];
    let signal: AbortSignal | undefined;
    try {
      signal = checkSignal(options, 'predict');
      if (signal?.aborted) return Promise.reject(signal.reason);
      inputs = this.#prepareFeeds(feeds, 'predict');
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#predictPrepared<Out>(inputs);
    return signal ? abortable(run, signal, disposeAll) : run;
  }

  // Reachable from the pool (same package) through `networkInternals`, not as methods: nothing
  // outside @lite/core can call them with arbitrary arguments.
  static {
    networkInternals.prepareFeeds = (net, feeds, what) => net.#prepareFeeds(feeds, what);
    networkInternals.declaredInputs = (net) => net.#declared;
    networkInternals.predictPrepared = (net, inputs) => net.#predictPrepared(inputs);
    networkInternals.native = (net) => net.#live();
    networkInternals.nativeFeeds = (net, inputs) => net.#nativeFeeds(inputs);
    networkInternals.outputsOf = <Out extends string>(net: LiteNetwork, copies: readonly NativeTensor[]) => net.#outputsOf<Out>(copies);
    networkInternals.predictError = (net, err, inputs) => withFeedShapes(err, inputs, net.#declared);
  }

  // predict's inputs for the binding, each with the declared layout to restore when its feed
  // carried another shape.
  #nativeFeeds(inputs: readonly PreparedInput[]): NativeFeed[] {
    return inputs.map((input) => {
      const d = this.#declared.get(input.name);
      const restore = input.shaped && d !== undefined && !d.equals(input.layout) ? d.toNative() : undefined;
      return { name: input.name, layout: input.layout.toNative(), bytes: input.bytes, restore };
    });
  }

  // The host copies of the outputs (in output order) by output name.
  #outputsOf<Out extends string>(copies: readonly NativeTensor[]): PredictOutputs<Out> {
    const out = {} as Record<string, LiteTensor>;
    copies.forEach((t, i) => {
      out[this.#outputNames[i] as string] = new LiteTensor({ native: t });
    });
    return out as PredictOutputs<Out>;
  }

  #prepareFeeds(feeds: unknown, what: string): PreparedInput[] {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteNetwork was disposed');
    this.#checkLoaded(what);
    return prepareFeeds(feeds, this.#declared, what);
  }

  async #predictPrepared<Out extends string = string>(inputs: readonly PreparedInput[]): Promise<PredictOutputs<Out>> {
    const n = this.#live();
    const declared = this.#declared;
    const feeds = this.#nativeFeeds(inputs);
    let result: { outcome: JobOutcome; extra: NativeTensor[] | undefined };
    try {
      result = await this.#runJob(n, (start, finish) => n.predict(feeds, start, finish), () => native(() => n.turnOutputs()));
    } catch (e) {
      throw withFeedShapes(e, inputs, declared);
    }
    return this.#outputsOf<Out>(result.outcome.outputs ?? result.extra ?? []);
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
    this.#afterLoad(native(() => n.modelInfo()));
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
   * Enables the global layout transform (before load). It profiles the NCHW88 layout with the
   * engine's MKL-DNN kernels, which fail on some x86 CPUs (non-Intel ones with AVX-512) and end
   * the process: the first `load` with it on a CPU runs it in a child process first (once per
   * CPU, runtime and option set; the verdict is cached in `~/.cache/lite-node/cpu-probe/`), and
   * `load` throws `LITE_UNSUPPORTED` on CPUs where it fails.
   */
  enableGlobalLayoutTransform(): void {
    this.#beforeLoad('enableGlobalLayoutTransform');
    const n = this.native;
    native(() => n.enableGlobalLayoutTransform());
    this.#layoutTransform = true;
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
   * Releases the network: at once when idle, else after the calls already made (queued or
   * running async calls, a `forward()` awaiting its `wait()`) finish; they settle normally. Later
   * calls throw `LITE_DISPOSED`. The same rule as `@lite/mindspore`'s `Model.dispose()`. Its IO
   * tensors stay usable until they are disposed or collected. Idempotent.
   */
  dispose(): void {
    if (!this.#native) return;
    const n = this.#native;
    native(() => n.dispose());
    this.#native = null;
    this.#ioTensors.clear();
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

// A job's promise never rejects: its failure is a structured value, turned into a LiteError here.
async function settled(p: Promise<JobOutcome>): Promise<JobOutcome> {
  const o = await p;
  if (o.failure) throw fromFailure(o.failure);
  return o;
}

function callbackFailed(err: unknown): LiteError {
  const msg = err instanceof Error ? err.message : typeof err === 'string' ? err : show(err);
  return new LiteError('LITE_ERROR', `a network callback threw: ${msg}`, { cause: err });
}

/** IO info of a model before loading it: its inputs/outputs with names and layouts. */
export function getModelIoInfo(model: ModelSource, config?: LiteConfig): LiteNetworkIO {
  const { packed } = checkModel(model);
  const b = lib();
  const chosen = config ?? new LiteConfig();
  const cfg = chosen.toNative();
  // As for load(): this thread's JS decryptors are called by the engine here; another thread's are refused.
  jsDecryption(packed, cfg.bareModelCryptionName);
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
