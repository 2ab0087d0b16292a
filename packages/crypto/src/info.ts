import { invalidArgument } from './errors.js';

/** Any JSON value (for `extra_info`). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Device names the `LITE_default` info parser understands (`device.type`). */
export type LiteInfoDeviceType = 'CPU' | 'CUDA' | 'ATLAS' | 'NPU';

/** Data type names the `LITE_default` info parser understands (`IO.*.dtype`). */
export type LiteInfoDType = 'float32' | 'float16' | 'int32' | 'int16' | 'int8' | 'uint8';

/**
 * A layout shape in info JSON: up to four dimensions, which must be given in order from
 * `dim0` (the parser stops at the first missing one).
 */
export interface LiteInfoShape {
  /** First dimension. */
  dim0?: number;
  /** Second dimension. */
  dim1?: number;
  /** Third dimension. */
  dim2?: number;
  /** Fourth dimension. */
  dim3?: number;
}

/** One entry of `IO.inputs` / `IO.outputs`: configures the input or output named `name`. */
export interface LiteInfoIO {
  /** Tensor name in the model; unknown names are added to the network's IO config. */
  name: string;
  /** Whether the tensor lives in host memory. */
  is_host?: boolean;
  /** `"value"` (whole tensor) or `"shape"` (only the shape is used). */
  io_type?: 'value' | 'shape';
  /** Element type of the configured layout. */
  dtype?: LiteInfoDType;
  /** Shape of the configured layout. */
  shape?: LiteInfoShape;
}

/** The `device` section: the device type and per-network settings. */
export interface LiteInfoDevice {
  /** Device type; required when `device` is present. */
  type: LiteInfoDeviceType;
  /** Device id (stored as an int). */
  device_id?: number;
  /** Number of CPU worker threads (stored as a uint32). */
  number_threads?: number;
  /** Whether the model memory may be used in place. */
  enable_inplace_model?: boolean;
  /** Whether to use TensorRT (CUDA builds). */
  use_tensorrt?: boolean;
}

/** The `options` section: members of Lite's `Options`. */
export interface LiteInfoOptions {
  /** Options.weight_preprocess */
  weight_preprocess?: boolean;
  /** Options.fuse_preprocess */
  fuse_preprocess?: boolean;
  /** Options.fake_next_exec */
  fake_next_exec?: boolean;
  /** Options.var_sanity_check_first_run */
  var_sanity_check_first_run?: boolean;
  /** Options.const_shape */
  const_shape?: boolean;
  /** Options.force_dynamic_alloc */
  force_dynamic_alloc?: boolean;
  /** Options.force_output_dynamic_alloc */
  force_output_dynamic_alloc?: boolean;
  /** Options.no_profiling_on_shape_change */
  no_profiling_on_shape_change?: boolean;
  /** Options.jit_level */
  jit_level?: number;
  /** Options.comp_node_seq_record_level */
  comp_node_seq_record_level?: number;
  /** Options.graph_opt_level */
  graph_opt_level?: number;
  /** Options.async_exec_level */
  async_exec_level?: number;
}

/**
 * The JSON model info read by Lite's `LITE_default` info parser, key for key.
 *
 * `name`, `valid` and `version` are required by the parser: `name` must equal the packed
 * model's header name, `valid: false` makes Lite ignore the whole info, and `version` is
 * `"major.minor.patch"` (a version newer than the runtime only logs a warning).
 */
export interface LiteModelInfo {
  /** Model name; must match the header name of the packed model. */
  name: string;
  /** When false, Lite ignores the info. */
  valid: boolean;
  /** `"major.minor.patch"` of the Lite version the info targets. */
  version: string;
  /** Config.has_compression */
  has_compression?: boolean;
  /** Backend; `"MGE"` selects the default backend. */
  backend?: 'MGE';
  /** Device type and per-network device settings. */
  device?: LiteInfoDevice;
  /** Graph options. */
  options?: LiteInfoOptions;
  /** Input and output configuration. */
  IO?: {
    /** Inputs to configure. */
    inputs?: LiteInfoIO[];
    /** Outputs to configure. */
    outputs?: LiteInfoIO[];
  };
  /** Free-form JSON handed back to the application as a string (`extra_info`). */
  extra_info?: JsonValue;
}

const DEVICE_TYPES: readonly string[] = ['CPU', 'CUDA', 'ATLAS', 'NPU'];
const DTYPES: readonly string[] = ['float32', 'float16', 'int32', 'int16', 'int8', 'uint8'];
const BOOL_OPTIONS: readonly string[] = [
  'weight_preprocess',
  'fuse_preprocess',
  'fake_next_exec',
  'var_sanity_check_first_run',
  'const_shape',
  'force_dynamic_alloc',
  'force_output_dynamic_alloc',
  'no_profiling_on_shape_change',
];
const INT_OPTIONS: readonly string[] = [
  'jit_level',
  'comp_node_seq_record_level',
  'graph_opt_level',
  'async_exec_level',
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, what: string): never {
  throw invalidArgument(`model info: ${path} ${what}`);
}

function checkBool(obj: Record<string, unknown>, key: string, path: string): void {
  if (key in obj && typeof obj[key] !== 'boolean') fail(`${path}${key}`, 'must be a boolean');
}

function checkInt(obj: Record<string, unknown>, key: string, path: string, min: number, max: number): void {
  if (!(key in obj)) return;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`${path}${key}`, `must be an integer in ${min}..${max}`);
  }
}

function checkIO(list: unknown, path: string): void {
  if (!Array.isArray(list)) fail(path, 'must be an array');
  list.forEach((entry: unknown, i: number) => {
    const p = `${path}[${i}].`;
    if (!isObject(entry)) fail(`${path}[${i}]`, 'must be an object');
    if (typeof entry.name !== 'string') fail(`${p}name`, 'must be a string');
    checkBool(entry, 'is_host', p);
    if ('io_type' in entry && entry.io_type !== 'value' && entry.io_type !== 'shape') {
      fail(`${p}io_type`, 'must be "value" or "shape"');
    }
    if ('dtype' in entry && !DTYPES.includes(entry.dtype as string)) {
      fail(`${p}dtype`, `must be one of ${DTYPES.join(', ')}`);
    }
    if ('shape' in entry) {
      const shape = entry.shape;
      if (!isObject(shape)) fail(`${p}shape`, 'must be an object');
      let ended = false;
      for (let d = 0; d < 4; d++) {
        const key = `dim${d}`;
        if (!(key in shape)) {
          ended = true;
          continue;
        }
        if (ended) fail(`${p}shape.${key}`, `is given but dim${d - 1} is not (Lite would drop it)`);
        checkInt(shape, key, `${p}shape.`, 0, Number.MAX_SAFE_INTEGER);
      }
    }
  });
}

/**
 * Checks a parsed info object against what Lite's `LITE_default` parser accepts, so that
 * mistakes surface here instead of as a load failure. Unknown keys are allowed (Lite
 * ignores them).
 *
 * @param info the parsed JSON info
 * @throws LiteCryptoError (`LITE_INVALID_ARGUMENT`) naming the first offending key
 */
export function validateModelInfo(info: unknown): asserts info is LiteModelInfo {
  if (!isObject(info)) fail('root', 'must be a JSON object');
  if (typeof info.name !== 'string') fail('name', 'must be a string');
  if (typeof info.valid !== 'boolean') fail('valid', 'must be a boolean');
  if (typeof info.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(info.version)) {
    fail('version', 'must be a "major.minor.patch" string');
  }
  checkBool(info, 'has_compression', '');
  if ('backend' in info && info.backend !== 'MGE') fail('backend', 'must be "MGE"');
  if ('device' in info) {
    const device = info.device;
    if (!isObject(device)) fail('device', 'must be an object');
    if (!DEVICE_TYPES.includes(device.type as string)) {
      fail('device.type', `must be one of ${DEVICE_TYPES.join(', ')}`);
    }
    checkInt(device, 'device_id', 'device.', -(2 ** 31), 2 ** 31 - 1);
    checkInt(device, 'number_threads', 'device.', 0, 2 ** 32 - 1);
    checkBool(device, 'enable_inplace_model', 'device.');
    checkBool(device, 'use_tensorrt', 'device.');
  }
  if ('options' in info) {
    const options = info.options;
    if (!isObject(options)) fail('options', 'must be an object');
    for (const key of BOOL_OPTIONS) checkBool(options, key, 'options.');
    for (const key of INT_OPTIONS) checkInt(options, key, 'options.', -(2 ** 31), 2 ** 31 - 1);
  }
  if ('IO' in info) {
    const io = info.IO;
    if (!isObject(io)) fail('IO', 'must be an object');
    if ('inputs' in io) checkIO(io.inputs, 'IO.inputs');
    if ('outputs' in io) checkIO(io.outputs, 'IO.outputs');
  }
}
