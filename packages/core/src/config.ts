import type { NativeConfig, NativeOptions } from '@lite/binding';
import { LiteBackend, LiteDeviceType, LiteIOType } from './enums.js';
import { invalid, isEnumValue, show } from './errors.js';
import { LiteLayout } from './layout.js';

const BOOL_OPTIONS = [
  'weightPreprocess',
  'fusePreprocess',
  'fakeNextExec',
  'varSanityCheckFirstRun',
  'constShape',
  'forceDynamicAlloc',
  'forceOutputDynamicAlloc',
  'forceOutputUseUserSpecifiedMemory',
  'noProfilingOnShapeChange',
  'enableNchw44',
  'enableNchw44Dot',
  'enableNchw88',
  'enableNhwcd4',
  'enableNchw4',
  'enableNchw32',
  'enableNchw64',
] as const;
const INT_OPTIONS = ['jitLevel', 'compNodeSeqRecordLevel', 'graphOptLevel', 'asyncExecLevel'] as const;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** `name: value` pairs as in Python's repr: strings quoted, enums by name, the rest as String(). */
function fields(pairs: readonly (readonly [string, unknown])[]): string {
  return pairs.map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join(', ');
}

/** An enum member by name (shown unquoted by {@link fields}). */
function enumName(e: Record<number, string>, v: number): { toString(): string } {
  const name = e[v] ?? String(v);
  return { toString: () => name };
}

/** Graph options (C `LiteOptions`), with the C defaults. */
export class LiteOptions {
  /** Pre-process weights at load time (faster forward, more memory). */
  weightPreprocess = false;
  /** Fuse pre-processing operators. */
  fusePreprocess = false;
  /** Run a fake execution to pre-allocate memory. */
  fakeNextExec = false;
  /** Check var sanity on the first run. */
  varSanityCheckFirstRun = true;
  /** Treat shapes as constant. */
  constShape = false;
  /** Allocate all memory dynamically. */
  forceDynamicAlloc = false;
  /** Allocate output memory dynamically. */
  forceOutputDynamicAlloc = false;
  /** Outputs are written to memory the user set on the output tensors. */
  forceOutputUseUserSpecifiedMemory = false;
  /** Do not re-profile when input shapes change. */
  noProfilingOnShapeChange = false;
  /** JIT level (0 disables). */
  jitLevel = 0;
  /** Computing sequence record level. */
  compNodeSeqRecordLevel = 0;
  /** Graph optimisation level. */
  graphOptLevel = 2;
  /** Asynchronous execution level. */
  asyncExecLevel = 1;
  /** NCHW44 layout optimisation. */
  enableNchw44 = false;
  /** NCHW44-dot layout optimisation. */
  enableNchw44Dot = false;
  /** NCHW88 layout optimisation. */
  enableNchw88 = false;
  /** NHWCD4 layout optimisation. */
  enableNhwcd4 = false;
  /** NCHW4 layout optimisation. */
  enableNchw4 = false;
  /** NCHW32 layout optimisation. */
  enableNchw32 = false;
  /** NCHW64 layout optimisation. */
  enableNchw64 = false;

  /** @param init fields to override. */
  constructor(init: Partial<LiteOptions> = {}) {
    Object.assign(this, init);
  }

  /** @internal validates and converts to the binding's plain form. */
  toNative(): NativeOptions {
    const out: Record<string, boolean | number> = {};
    for (const k of BOOL_OPTIONS) {
      if (typeof this[k] !== 'boolean') invalid(`LiteOptions.${k} must be a boolean, got ${show(this[k])}`);
      out[k] = this[k];
    }
    for (const k of INT_OPTIONS) {
      if (!Number.isInteger(this[k]) || this[k] < 0 || this[k] > 0x7fffffff) invalid(`LiteOptions.${k} must be a non-negative integer, got ${show(this[k])}`);
      out[k] = this[k];
    }
    return out as unknown as NativeOptions;
  }

  /** Every option, e.g. `LiteOptions(weightPreprocess: false, ..., asyncExecLevel: 1)`. */
  toString(): string {
    return `LiteOptions(${fields([...BOOL_OPTIONS, ...INT_OPTIONS].map((k) => [k, this[k]] as const))})`;
  }

  /** `util.inspect` / `console.log` show {@link toString}. */
  [INSPECT](): string {
    return this.toString();
  }
}

/** Network configuration (C `LiteConfig`), with the C defaults. */
export class LiteConfig {
  /** Whether the model is compressed. */
  hasCompression = false;
  /** Device id. */
  deviceId = 0;
  /** Device the network runs on. */
  deviceType: LiteDeviceType;
  /** Backend. */
  backend: LiteBackend = LiteBackend.LITE_DEFAULT;
  /** Name of the decryption method of an encrypted model ("" = plain). */
  bareModelCryptionName = '';
  /** Graph options. */
  options: LiteOptions;
  /** Let the runtime pick optimisations for the machine. */
  autoOptimizeInference = false;
  /** Name of the input that is fed as discrete tensors ("" = none). */
  discreteInputName = '';

  /**
   * @param deviceType device, default `LITE_CPU`.
   * @param options graph options (an instance or a partial object).
   */
  constructor(deviceType: LiteDeviceType = LiteDeviceType.LITE_CPU, options?: LiteOptions | Partial<LiteOptions>) {
    this.deviceType = deviceType;
    this.options = options instanceof LiteOptions ? options : new LiteOptions(options ?? {});
  }

  /** @internal validates and converts to the binding's plain form. */
  toNative(): NativeConfigInit {
    if (!isEnumValue(LiteDeviceType, this.deviceType)) invalid(`LiteConfig.deviceType ${show(this.deviceType)} is not a LiteDeviceType`);
    if (!isEnumValue(LiteBackend, this.backend)) invalid(`LiteConfig.backend ${show(this.backend)} is not a LiteBackend`);
    if (!Number.isInteger(this.deviceId) || this.deviceId < -1) invalid(`LiteConfig.deviceId must be an integer >= -1, got ${show(this.deviceId)}`);
    for (const k of ['bareModelCryptionName', 'discreteInputName'] as const) {
      if (typeof this[k] !== 'string' || this[k].includes('\0')) invalid(`LiteConfig.${k} must be a string without NUL characters`);
    }
    const options = this.options instanceof LiteOptions ? this.options : new LiteOptions(this.options as Partial<LiteOptions>);
    return {
      hasCompression: Boolean(this.hasCompression),
      deviceId: this.deviceId,
      deviceType: this.deviceType,
      backend: this.backend,
      bareModelCryptionName: this.bareModelCryptionName,
      options: options.toNative(),
      autoOptimizeInference: Boolean(this.autoOptimizeInference),
      discreteInputName: this.discreteInputName,
    };
  }

  /** Every field, enums by name, e.g. `LiteConfig(deviceType: LITE_CPU, ..., options: LiteOptions(...))`. */
  toString(): string {
    return `LiteConfig(${fields([
      ['deviceType', enumName(LiteDeviceType, this.deviceType)],
      ['deviceId', this.deviceId],
      ['backend', enumName(LiteBackend, this.backend)],
      ['hasCompression', this.hasCompression],
      ['bareModelCryptionName', this.bareModelCryptionName],
      ['autoOptimizeInference', this.autoOptimizeInference],
      ['discreteInputName', this.discreteInputName],
      ['options', this.options],
    ])})`;
  }

  /** `util.inspect` / `console.log` show {@link toString}. */
  [INSPECT](): string {
    return this.toString();
  }
}

/** Extra configuration applied before load (C `LiteExtraConfig`; `LiteNetwork.extraConfigure`). */
export class LiteExtraConfig {
  /** Ignore the configuration packed with the model (its info section). */
  disableConfigureByModelInfo: boolean;

  /** @param disableConfigureByModelInfo ignore the model's packed configuration (default false). */
  constructor(disableConfigureByModelInfo = false) {
    if (typeof disableConfigureByModelInfo !== 'boolean') invalid(`LiteExtraConfig: disableConfigureByModelInfo must be a boolean, got ${show(disableConfigureByModelInfo)}`);
    this.disableConfigureByModelInfo = disableConfigureByModelInfo;
  }

  /** `LiteExtraConfig(disableConfigureByModelInfo: false)`. */
  toString(): string {
    return `LiteExtraConfig(${fields([['disableConfigureByModelInfo', this.disableConfigureByModelInfo]])})`;
  }

  /** `util.inspect` / `console.log` show {@link toString}. */
  [INSPECT](): string {
    return this.toString();
  }
}

/** @internal plain config for the binding. */
export type NativeConfigInit = NativeConfig;

/** @internal plain IO for the binding. */
export interface NativeIoInit {
  name: string;
  isHost: boolean;
  ioType: number;
  configLayout: { shapes: number[]; dataType: number };
}

/** One input or output of a network (C `LiteIO`). */
export class LiteIO {
  /** Tensor name in the model. */
  name: string;
  /** Whether the data lives in host memory. */
  isHost: boolean;
  /** Value or shape only. */
  ioType: LiteIOType;
  /** Layout to configure (an empty layout means "as in the model"). */
  configLayout: LiteLayout;

  /**
   * @param name tensor name.
   * @param isHost host memory (default true).
   * @param ioType `LITE_IO_VALUE` (default) or `LITE_IO_SHAPE`.
   * @param layout layout to configure, default: from the model.
   */
  constructor(name: string, isHost = true, ioType: LiteIOType = LiteIOType.LITE_IO_VALUE, layout?: LiteLayout) {
    if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) invalid(`LiteIO name must be a non-empty string without NUL, got ${show(name)}`);
    if (!isEnumValue(LiteIOType, ioType)) invalid(`LiteIO ioType ${show(ioType)} is not a LiteIOType`);
    if (layout !== undefined && !(layout instanceof LiteLayout)) invalid('LiteIO layout must be a LiteLayout');
    this.name = name;
    this.isHost = Boolean(isHost);
    this.ioType = ioType;
    this.configLayout = layout ?? new LiteLayout();
  }

  /** @internal */
  toNative(): NativeIoInit {
    return { name: this.name, isHost: this.isHost, ioType: this.ioType, configLayout: this.configLayout.toNative() };
  }

  /** @internal */
  static fromNative(n: NativeIoInit): LiteIO {
    return new LiteIO(n.name, n.isHost, n.ioType as LiteIOType, LiteLayout.fromNative(n.configLayout));
  }

  /** `LiteIO(name: "data", isHost: true, ioType: LITE_IO_VALUE, configLayout: LiteLayout([1, 3], float32))`. */
  toString(): string {
    return `LiteIO(${fields([
      ['name', this.name],
      ['isHost', this.isHost],
      ['ioType', enumName(LiteIOType, this.ioType)],
      ['configLayout', this.configLayout],
    ])})`;
  }

  /** `util.inspect` / `console.log` show {@link toString}. */
  [INSPECT](): string {
    return this.toString();
  }
}

/** Constructor arguments of a {@link LiteIO}, as an array. */
export type LiteIOArgs = [name: string, isHost?: boolean, ioType?: LiteIOType, layout?: LiteLayout];

function toIO(io: LiteIO | LiteIOArgs | string): LiteIO {
  if (io instanceof LiteIO) return io;
  if (typeof io === 'string') return new LiteIO(io);
  if (Array.isArray(io)) return new LiteIO(...io);
  return invalid('expected a LiteIO, a name or LiteIO constructor arguments');
}

/** Inputs and outputs to configure on a network (C `LiteNetworkIO`). */
export class LiteNetworkIO {
  /** Inputs. */
  inputs: LiteIO[];
  /** Outputs. */
  outputs: LiteIO[];

  /** @param inputs LiteIO objects, names or constructor argument arrays; likewise outputs. */
  constructor(inputs: readonly (LiteIO | LiteIOArgs | string)[] = [], outputs: readonly (LiteIO | LiteIOArgs | string)[] = []) {
    this.inputs = inputs.map(toIO);
    this.outputs = outputs.map(toIO);
  }

  /** Adds an input (a LiteIO, or the LiteIO constructor arguments). */
  addInput(io: LiteIO | string, isHost = true, ioType: LiteIOType = LiteIOType.LITE_IO_VALUE, layout?: LiteLayout): void {
    this.inputs.push(io instanceof LiteIO ? io : new LiteIO(io, isHost, ioType, layout));
  }

  /** Adds an output (a LiteIO, or the LiteIO constructor arguments). */
  addOutput(io: LiteIO | string, isHost = true, ioType: LiteIOType = LiteIOType.LITE_IO_VALUE, layout?: LiteLayout): void {
    this.outputs.push(io instanceof LiteIO ? io : new LiteIO(io, isHost, ioType, layout));
  }

  /** @internal */
  toNative(): { inputs: NativeIoInit[]; outputs: NativeIoInit[] } {
    return { inputs: this.inputs.map((io) => toIO(io).toNative()), outputs: this.outputs.map((io) => toIO(io).toNative()) };
  }

  /** @internal */
  static fromNative(n: { inputs: NativeIoInit[]; outputs: NativeIoInit[] }): LiteNetworkIO {
    return new LiteNetworkIO(n.inputs.map(LiteIO.fromNative), n.outputs.map(LiteIO.fromNative));
  }

  /** `LiteNetworkIO(inputs: [LiteIO(...)], outputs: [...])`. */
  toString(): string {
    return `LiteNetworkIO(inputs: [${this.inputs.join(', ')}], outputs: [${this.outputs.join(', ')}])`;
  }

  /** `util.inspect` / `console.log` show {@link toString}. */
  [INSPECT](): string {
    return this.toString();
  }
}
