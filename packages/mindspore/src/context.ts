import type { MsBuildOptions, MsConfigEntry } from '@lite/binding';
import { invalid, LiteError, show } from './errors.js';

/** Devices a {@link Context} may target. Only `"cpu"` exists in the MindSpore Lite 2.0.0 runtime shipped here. */
export type Target = 'cpu' | 'gpu' | 'ascend';

/** `config_dict`: `{ section: { key: value } }`, as in an ini config file. */
export type ConfigDict = Record<string, Record<string, string>>;

/** CPU settings (`context.cpu`). */
export interface CpuOptions {
  /** Threads of the CPU backend (Python: `thread_num`), an integer in 0..2^31-1; 0 or unset: the engine's default. */
  threadNum?: number;
  /** Operators run in parallel (Python: `inter_op_parallel_num`), an integer in 0..2^31-1 (the engine refuses more than `threadNum`); 0 or unset: the engine's default. */
  interOpParallelNum?: number;
  /** Core binding: 0 none, 1 big cores first, 2 little cores first. */
  threadAffinityMode?: number;
  /** Cores to bind to (wins over the mode): core ids in 0..2^31-1, no holes. */
  threadAffinityCoreList?: number[];
  /** `"enforce_fp32"` (default) or `"preferred_fp16"`. */
  precisionMode?: 'enforce_fp32' | 'preferred_fp16';
}

/** GPU settings (`context.gpu`); accepted, but this runtime has no GPU backend. */
export interface GpuOptions {
  deviceId?: number;
  precisionMode?: string;
}

/** Ascend settings (`context.ascend`); accepted, but this runtime has no Ascend backend. */
export interface AscendOptions {
  deviceId?: number;
  precisionMode?: string;
  /** `"ge"` for the remote (elastic) Ascend service. */
  provider?: string;
}

/** {@link ModelParallelRunner} settings (`context.parallel`). */
export interface ParallelOptions {
  /** Model copies (workers) serving requests concurrently, an integer in 0..2^31-1 (the engine refuses more than it supports); 0 or unset: the engine's default. */
  workersNum?: number;
  /** Config entries handed to every worker. */
  configInfo?: ConfigDict;
  /** A config file handed to every worker. */
  configPath?: string;
}

/**
 * `context.cpu`: each setter checks its value when it is set (as Python's do) with the checks the
 * build makes again; a refused value is LITE_INVALID_ARGUMENT and changes nothing. `undefined`
 * unsets a setting (the engine's default).
 */
class CpuSettings implements CpuOptions {
  #threadNum: number | undefined;
  #interOpParallelNum: number | undefined;
  #threadAffinityMode: number | undefined;
  #threadAffinityCoreList: number[] | undefined;
  #precisionMode: CpuOptions['precisionMode'];

  /** A checked copy of a settings object (null/undefined: defaults); each field is read once. */
  static from(value: unknown): CpuSettings {
    const given = settings(value, 'context.cpu') as CpuOptions;
    const out = new CpuSettings();
    out.threadNum = given.threadNum;
    out.interOpParallelNum = given.interOpParallelNum;
    out.threadAffinityMode = given.threadAffinityMode;
    out.threadAffinityCoreList = given.threadAffinityCoreList;
    out.precisionMode = given.precisionMode;
    return out;
  }

  get threadNum(): number | undefined {
    return this.#threadNum;
  }
  set threadNum(value: number | undefined) {
    this.#threadNum = optionalInt(value, 'context.cpu.threadNum', 0);
  }
  get interOpParallelNum(): number | undefined {
    return this.#interOpParallelNum;
  }
  set interOpParallelNum(value: number | undefined) {
    this.#interOpParallelNum = optionalInt(value, 'context.cpu.interOpParallelNum', 0);
  }
  get threadAffinityMode(): number | undefined {
    return this.#threadAffinityMode;
  }
  set threadAffinityMode(value: number | undefined) {
    this.#threadAffinityMode = optionalInt(value, 'context.cpu.threadAffinityMode', 0, 2);
  }
  get threadAffinityCoreList(): number[] | undefined {
    return this.#threadAffinityCoreList;
  }
  set threadAffinityCoreList(value: number[] | undefined) {
    this.#threadAffinityCoreList = coreList(value);
  }
  get precisionMode(): CpuOptions['precisionMode'] {
    return this.#precisionMode;
  }
  set precisionMode(value: CpuOptions['precisionMode']) {
    this.#precisionMode = checkPrecision(value);
  }

  /** The settings that are set, as a plain object (for JSON.stringify and logs). */
  toJSON(): CpuOptions {
    return defined({
      threadNum: this.#threadNum,
      interOpParallelNum: this.#interOpParallelNum,
      threadAffinityMode: this.#threadAffinityMode,
      threadAffinityCoreList: this.#threadAffinityCoreList,
      precisionMode: this.#precisionMode,
    });
  }
}

/** `context.parallel`, checked when set like {@link CpuSettings}. */
class ParallelSettings implements ParallelOptions {
  #workersNum: number | undefined;
  #configInfo: ConfigDict | undefined;
  #configPath: string | undefined;

  /** A checked copy of a settings object (null/undefined: defaults); each field is read once. */
  static from(value: unknown): ParallelSettings {
    const given = settings(value, 'context.parallel') as ParallelOptions;
    const out = new ParallelSettings();
    out.workersNum = given.workersNum;
    out.configInfo = given.configInfo;
    out.configPath = given.configPath;
    return out;
  }

  get workersNum(): number | undefined {
    return this.#workersNum;
  }
  set workersNum(value: number | undefined) {
    this.#workersNum = optionalInt(value, 'context.parallel.workersNum', 0);
  }
  // Kept as a checked copy, and read as a fresh copy, as Python's `config_info` (stored in the
  // runner config when set): changing the caller's object afterwards cannot put an unchecked
  // value into a build, where it would be reported under another name.
  get configInfo(): ConfigDict | undefined {
    return copyConfig(this.#configInfo);
  }
  set configInfo(value: ConfigDict | undefined) {
    configEntries(value, 'context.parallel.configInfo');
    this.#configInfo = copyConfig(value ?? undefined);
  }
  get configPath(): string | undefined {
    return this.#configPath;
  }
  set configPath(value: string | undefined) {
    this.#configPath = checkConfigPath(value, 'context.parallel.configPath');
  }

  /** The settings that are set, as a plain object (for JSON.stringify and logs). */
  toJSON(): ParallelOptions {
    return defined({ workersNum: this.#workersNum, configInfo: this.#configInfo, configPath: this.#configPath });
  }
}

/** The entries of `o` that are not undefined. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Build settings (Python: `mindspore_lite.Context`). As in Python, every setting is checked when
 * it is set (`target`, each field of `cpu` and `parallel`, or a whole `cpu` / `parallel` object,
 * which is copied): a bad value is LITE_INVALID_ARGUMENT at the assignment and changes nothing.
 * The build checks the settings again.
 *
 * @example
 * const context = new Context();
 * context.target = ['cpu'];
 * context.cpu.threadNum = 1;
 * context.cpu.threadAffinityMode = 2;
 */
let brand: (value: unknown) => boolean = () => false;

export class Context {
  #target: Target[] = ['cpu'];

  static {
    brand = (value) => typeof value === 'object' && value !== null && #target in value;
  }
  #cpu: CpuSettings = new CpuSettings();
  #parallel: ParallelSettings = new ParallelSettings();
  /** GPU settings (this runtime has no GPU backend: building for `"gpu"` fails with LITE_UNSUPPORTED). */
  gpu: GpuOptions = {};
  /** Ascend settings (this runtime has no Ascend backend: building for `"ascend"` fails with LITE_UNSUPPORTED). */
  ascend: AscendOptions = {};

  /**
   * Devices, in order of preference. Default `["cpu"]`; an empty list means `["cpu"]` (as in
   * Python). Names other than "cpu", "gpu" and "ascend" are refused when set; "gpu" and "ascend"
   * at build (LITE_UNSUPPORTED: this runtime is the CPU build).
   */
  get target(): Target[] {
    return this.#target;
  }
  set target(value: readonly Target[]) {
    this.#target = checkTarget(value, 'context.target');
  }

  /** CPU settings; assigning an object copies its settings (null/undefined: defaults). */
  get cpu(): CpuOptions {
    return this.#cpu;
  }
  set cpu(value: CpuOptions) {
    this.#cpu = CpuSettings.from(value);
  }

  /** ModelParallelRunner settings; assigning an object copies its settings (null/undefined: defaults). */
  get parallel(): ParallelOptions {
    return this.#parallel;
  }
  set parallel(value: ParallelOptions) {
    this.#parallel = ParallelSettings.from(value);
  }

  /** The settings as a plain object (for JSON.stringify and logs). */
  toJSON(): { target: Target[]; cpu: CpuOptions; gpu: GpuOptions; ascend: AscendOptions; parallel: ParallelOptions } {
    return { target: [...this.#target], cpu: this.#cpu.toJSON(), gpu: this.gpu, ascend: this.ascend, parallel: this.#parallel.toJSON() };
  }
}

/** Largest value of the engine's int32 settings (larger numbers would wrap around in native code). */
const INT32_MAX = 2 ** 31 - 1;

function optionalInt(value: unknown, what: string, min: number, max = INT32_MAX): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) invalid(`${what} must be an integer in ${min}..${max}, got ${show(value)}`);
  return value;
}

/** 0 means "the engine's default" (as in Python): the native options leave such a setting unset. */
function unsetIfZero(value: number | undefined): number | undefined {
  return value === 0 ? undefined : value;
}

const TARGETS: readonly string[] = ['cpu', 'gpu', 'ascend'];

/**
 * Internal: `context.target` as a fresh array; an empty list (or null/undefined) means `["cpu"]`,
 * as in Python's `Context.target` setter. Unknown names are LITE_INVALID_ARGUMENT (gpu and ascend
 * pass here and fail at build with LITE_UNSUPPORTED).
 */
export function checkTarget(value: unknown, what: string): Target[] {
  if (value === undefined || value === null) return ['cpu'];
  if (!Array.isArray(value)) invalid(`${what} must be an array of "cpu" | "gpu" | "ascend", got ${show(value)}`);
  if (value.length === 0) return ['cpu'];
  const out: Target[] = [];
  // An index loop: a hole is an unknown target too (`for...of` reads it as undefined, forEach skips it).
  for (let i = 0; i < value.length; i++) {
    const t: unknown = (value as unknown[])[i];
    if (typeof t !== 'string' || !TARGETS.includes(t)) invalid(`unknown target ${show(t)} (expected "cpu", "gpu" or "ascend")`);
    out.push(t as Target);
  }
  return out;
}

/** `precisionMode`: "enforce_fp32", "preferred_fp16" or unset. */
function checkPrecision(value: unknown): CpuOptions['precisionMode'] {
  if (value !== undefined && value !== 'enforce_fp32' && value !== 'preferred_fp16') {
    invalid(`context.cpu.precisionMode must be "enforce_fp32" or "preferred_fp16", got ${show(value)}`);
  }
  return value;
}

/** A config file path: a non-empty string, or unset (null/undefined). */
function checkConfigPath(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') invalid(`${what} must be a non-empty string, got ${show(value)}`);
  return value;
}

/** `threadAffinityCoreList` as a fresh array of core ids 0..2^31-1 (holes are refused). */
function coreList(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  const bad = () => invalid(`context.cpu.threadAffinityCoreList must be an array of core ids in 0..${INT32_MAX}, got ${show(value)}`);
  if (!Array.isArray(value)) return bad();
  const out: number[] = [];
  // An index loop: `every` would skip holes, which the binding cannot convert.
  for (let i = 0; i < value.length; i++) {
    const c: unknown = (value as unknown[])[i];
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0 || c > INT32_MAX) return bad();
    out.push(c);
  }
  return out;
}

/** A settings group (`context.cpu`, `context.parallel`): an object, or unset (null/undefined: defaults). */
function settings(value: unknown, what: string): object {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) invalid(`${what} must be an object of settings, got ${show(value)}`);
  return value;
}

/** A copy of a checked config dict (each section copied too). */
function copyConfig(dict: ConfigDict | undefined): ConfigDict | undefined {
  if (dict === undefined) return undefined;
  return Object.fromEntries(Object.entries(dict).map(([section, entries]) => [section, { ...entries }]));
}

/** Internal: `config_dict` as flat entries. */
export function configEntries(dict: unknown, what: string): MsConfigEntry[] {
  if (dict === undefined || dict === null) return [];
  if (typeof dict !== 'object' || Array.isArray(dict)) invalid(`${what} must be { section: { key: value } }, got ${show(dict)}`);
  const out: MsConfigEntry[] = [];
  for (const [section, entries] of Object.entries(dict as Record<string, unknown>)) {
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) invalid(`${what}.${section} must be { key: value }, got ${show(entries)}`);
    for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
      if (typeof value !== 'string') invalid(`${what}.${section}.${key} must be a string, got ${show(value)}`);
      out.push({ section, key, value });
    }
  }
  return out;
}

/**
 * Internal: checks a Context and turns it into native build options. Targets this runtime cannot
 * serve fail here with LITE_UNSUPPORTED; malformed values with LITE_INVALID_ARGUMENT.
 */
/** Internal: whether `value` is a real Context (not a prototype forgery that passes `instanceof`). */
export function isContext(value: unknown): value is Context {
  return brand(value);
}

export function buildOptions(context: Context | undefined, configPath?: unknown, configDict?: unknown): MsBuildOptions {
  const ctx = context ?? new Context();
  if (!(ctx instanceof Context) || !isContext(ctx)) invalid(`context must be a Context made with new Context(), got ${show(ctx)}`);
  const targets = checkTarget(ctx.target, 'context.target');
  for (const t of targets) {
    if (t === 'gpu' || t === 'ascend') {
      throw new LiteError(
        'LITE_UNSUPPORTED',
        `target "${t}" is not available: the MindSpore Lite 2.0.0 runtime on the package index is the CPU build (linux x86_64); ` +
          `a ${t === 'gpu' ? 'GPU (CUDA/TensorRT)' : 'Ascend'} build of MindSpore Lite would be needed`,
      );
    }
  }
  const cpu = settings(ctx.cpu, 'context.cpu') as CpuOptions;
  const precision = checkPrecision(cpu.precisionMode);
  const affinity = optionalInt(cpu.threadAffinityMode, 'context.cpu.threadAffinityMode', 0, 2);
  const cores = coreList(cpu.threadAffinityCoreList);
  const path = checkConfigPath(configPath, 'configPath');
  const parallel = settings(ctx.parallel, 'context.parallel') as ParallelOptions;
  return {
    threadNum: unsetIfZero(optionalInt(cpu.threadNum, 'context.cpu.threadNum', 0)),
    interOpParallelNum: unsetIfZero(optionalInt(cpu.interOpParallelNum, 'context.cpu.interOpParallelNum', 0)),
    affinityMode: affinity,
    coreList: cores,
    enableFp16: precision === 'preferred_fp16',
    configPath: path,
    config: configEntries(configDict, 'configDict'),
    workersNum: unsetIfZero(optionalInt(parallel.workersNum, 'context.parallel.workersNum', 0)),
  };
}
