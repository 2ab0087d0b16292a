import type { MsBuildOptions, MsConfigEntry } from '@lite/binding';
import { invalid, LiteError, show } from './errors.js';

/** Devices a {@link Context} may target. Only `"cpu"` exists in the MindSpore Lite 2.0.0 runtime shipped here. */
export type Target = 'cpu' | 'gpu' | 'ascend';

/** `config_dict`: `{ section: { key: value } }`, as in an ini config file. */
export type ConfigDict = Record<string, Record<string, string>>;

/** CPU settings (`context.cpu`). */
export interface CpuOptions {
  /** Threads of the CPU backend (Python: `thread_num`), an integer in 1..2^31-1; default: the engine's. */
  threadNum?: number;
  /** Operators run in parallel (Python: `inter_op_parallel_num`), an integer in 1..2^31-1 (the engine refuses more than `threadNum`). */
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
  /** Model copies (workers) serving requests concurrently, an integer in 1..2^31-1 (the engine refuses more than it supports); default: the engine's. */
  workersNum?: number;
  /** Config entries handed to every worker. */
  configInfo?: ConfigDict;
  /** A config file handed to every worker. */
  configPath?: string;
}

/**
 * Build settings (Python: `mindspore_lite.Context`).
 *
 * @example
 * const context = new Context();
 * context.target = ['cpu'];
 * context.cpu.threadNum = 1;
 * context.cpu.threadAffinityMode = 2;
 */
export class Context {
  /** Devices, in order of preference. Default `["cpu"]`. */
  target: Target[] = ['cpu'];
  /** CPU settings. */
  cpu: CpuOptions = {};
  /** GPU settings (this runtime has no GPU backend: building for `"gpu"` fails with LITE_UNSUPPORTED). */
  gpu: GpuOptions = {};
  /** Ascend settings (this runtime has no Ascend backend: building for `"ascend"` fails with LITE_UNSUPPORTED). */
  ascend: AscendOptions = {};
  /** ModelParallelRunner settings. */
  parallel: ParallelOptions = {};
}

/** Largest value of the engine's int32 settings (larger numbers would wrap around in native code). */
const INT32_MAX = 2 ** 31 - 1;

function optionalInt(value: unknown, what: string, min: number, max = INT32_MAX): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) invalid(`${what} must be an integer in ${min}..${max}, got ${show(value)}`);
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
export function buildOptions(context: Context | undefined, configPath?: unknown, configDict?: unknown): MsBuildOptions {
  const ctx = context ?? new Context();
  if (!(ctx instanceof Context)) invalid(`context must be a Context, got ${show(ctx)}`);
  if (!Array.isArray(ctx.target) || ctx.target.length === 0) invalid(`context.target must be a non-empty array of "cpu" | "gpu" | "ascend", got ${show(ctx.target)}`);
  for (const t of ctx.target as unknown[]) {
    if (t === 'gpu' || t === 'ascend') {
      throw new LiteError(
        'LITE_UNSUPPORTED',
        `target "${t}" is not available: the MindSpore Lite 2.0.0 runtime on the package index is the CPU build (linux x86_64); ` +
          `a ${t === 'gpu' ? 'GPU (CUDA/TensorRT)' : 'Ascend'} build of MindSpore Lite would be needed`,
      );
    }
    if (t !== 'cpu') invalid(`unknown target ${show(t)} (expected "cpu", "gpu" or "ascend")`);
  }
  const cpu = settings(ctx.cpu, 'context.cpu') as CpuOptions;
  const precision = cpu.precisionMode;
  if (precision !== undefined && precision !== 'enforce_fp32' && precision !== 'preferred_fp16') {
    invalid(`context.cpu.precisionMode must be "enforce_fp32" or "preferred_fp16", got ${show(precision)}`);
  }
  const affinity = optionalInt(cpu.threadAffinityMode, 'context.cpu.threadAffinityMode', 0, 2);
  const cores = coreList(cpu.threadAffinityCoreList);
  if (configPath !== undefined && configPath !== null && (typeof configPath !== 'string' || configPath === '')) {
    invalid(`configPath must be a non-empty string, got ${show(configPath)}`);
  }
  const parallel = settings(ctx.parallel, 'context.parallel') as ParallelOptions;
  return {
    threadNum: optionalInt(cpu.threadNum, 'context.cpu.threadNum', 1),
    interOpParallelNum: optionalInt(cpu.interOpParallelNum, 'context.cpu.interOpParallelNum', 1),
    affinityMode: affinity,
    coreList: cores,
    enableFp16: precision === 'preferred_fp16',
    configPath: (configPath as string | undefined) ?? undefined,
    config: configEntries(configDict, 'configDict'),
    workersNum: optionalInt(parallel.workersNum, 'context.parallel.workersNum', 1),
  };
}
