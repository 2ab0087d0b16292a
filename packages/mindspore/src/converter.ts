import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MsConvertOptions } from '@lite/binding';
import { configEntries, type ConfigDict } from './context.js';
import { DataType, FmkType, Format, ModelType } from './enums.js';
import { invalid, LiteError, native, nativeAsync, show } from './errors.js';
import { lib } from './native.js';

/** `optimize` modes of the 2.0 Converter. */
export type OptimizeMode = 'none' | 'general' | 'ascend_oriented';

const IO_DTYPES = new Set<number>([DataType.FLOAT32, DataType.INT8, DataType.UINT8, DataType.UNKNOWN]);
const HEX_KEY = /^(?:[0-9a-fA-F]{2})+$/;

function checkBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') invalid(`${what} must be a boolean, got ${show(value)}`);
  return value;
}

function checkDtype(value: unknown, what: string): DataType {
  if (typeof value !== 'number' || !IO_DTYPES.has(value)) {
    invalid(`${what} must be DataType.FLOAT32, INT8, UINT8 or UNKNOWN, got ${show(value)}`);
  }
  return value as DataType;
}

function checkKey(value: unknown, what: string): string {
  if (typeof value !== 'string' || (value !== '' && !HEX_KEY.test(value))) {
    invalid(`${what} must be a string of hexadecimal byte pairs, got ${show(value)}`);
  }
  return value;
}

/** An existing regular file, or LITE_FILE_NOT_FOUND naming it. */
function checkFile(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') invalid(`${what} must be a non-empty path string, got ${show(value)}`);
  let isFile = false;
  try {
    isFile = statSync(value).isFile();
  } catch {
    throw new LiteError('LITE_FILE_NOT_FOUND', `${what} ${value} does not exist`);
  }
  if (!isFile) throw new LiteError('LITE_FILE_NOT_FOUND', `${what} ${value} is not a file`);
  return value;
}

/** The engine's defaults (read from a fresh 2.0.0 `mindspore::Converter` through its getters). */
const DEFAULTS = {
  weightFp16: false,
  inputDataType: DataType.FLOAT32,
  outputDataType: DataType.FLOAT32,
  saveType: ModelType.MINDIR,
  decryptMode: 'AES-GCM',
} as const;

/**
 * Converts TensorFlow, Caffe, ONNX, TFLite and MindIR models into MindIR with the runtime's own
 * converter (`libmindspore_converter.so` of the pinned MindSpore Lite 2.0.0), the way Python's
 * `mindspore_lite.Converter` does. Settings are properties (camelCase of Python's); only the ones
 * you set are passed to the engine, the rest keep its defaults.
 *
 * The engine converts one model at a time per process: {@link Converter.convertAsync} calls wait
 * for each other off the JS thread, and a sync {@link Converter.convert} while one runs throws
 * `LITE_BUSY`. The converter library (57 MB) is loaded on the first conversion only. The engine's
 * `CONVERT RESULT SUCCESS:0` line is kept off stdout; its log lines become error messages.
 *
 * @example
 * const converter = new Converter();
 * converter.optimize = 'none';
 * const written = converter.convert(FmkType.ONNX, 'lenet.onnx', 'out/lenet'); // 'out/lenet.mindir'
 */
export class Converter {
  #set: Partial<Omit<MsConvertOptions, 'fmkType' | 'modelFile' | 'outputFile' | 'weightFile' | 'configFile'>> = {};
  #optimize: OptimizeMode = 'general';
  #inputShape: Record<string, number[]> = {};
  #config: ConfigDict = {};

  /**
   * Store float32 constants as float16. Default false. In 2.0.0 it takes effect for
   * `saveType = ModelType.MINDIR_LITE` only (LeNet: 250 KB -> 127 KB, logits within 5e-4); a
   * MINDIR output keeps float32 weights.
   */
  get weightFp16(): boolean {
    return this.#set.weightFp16 ?? DEFAULTS.weightFp16;
  }
  set weightFp16(value: boolean) {
    this.#set.weightFp16 = checkBool(value, 'weightFp16');
  }

  /**
   * Input shapes by input name, e.g. `{ x: [1, 1, 28, 28] }` (fixes dynamic dims at conversion).
   * The engine keeps these names in a process-wide table across conversions (as Python does).
   */
  get inputShape(): Record<string, number[]> {
    return Object.fromEntries(Object.entries(this.#inputShape).map(([k, v]) => [k, [...v]]));
  }
  set inputShape(value: Record<string, number[]>) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`inputShape must be { name: dims }, got ${show(value)}`);
    const copy: Record<string, number[]> = {};
    for (const [name, dims] of Object.entries(value as Record<string, unknown>)) {
      const bad = () => invalid(`inputShape.${name} must be an array of integers >= -1, got ${show(dims)}`);
      if (!Array.isArray(dims)) bad();
      const checked: number[] = [];
      // An index loop: `every` would skip holes, which the binding cannot convert.
      for (let i = 0; i < (dims as unknown[]).length; i++) {
        const d: unknown = (dims as unknown[])[i];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < -1) bad();
        checked.push(d as number);
      }
      copy[name] = checked;
    }
    this.#inputShape = copy;
  }

  /**
   * Layout the converted model's inputs take: `Format.NCHW` or `Format.NHWC` (an NCHW model then
   * gets NHWC inputs, e.g. [-1,28,28,1]). Unset (`Format.DEFAULT`): the model's own layout for
   * MINDIR output; MINDIR_LITE output is NHWC either way.
   */
  get inputFormat(): Format {
    return (this.#set.inputFormat as Format | undefined) ?? Format.DEFAULT;
  }
  set inputFormat(value: Format) {
    if (value !== Format.NCHW && value !== Format.NHWC) invalid(`inputFormat must be Format.NCHW or Format.NHWC, got ${show(value)}`);
    this.#set.inputFormat = value;
  }

  /** Input data type of a quantized model: FLOAT32 (default), INT8, UINT8 or UNKNOWN. */
  get inputDataType(): DataType {
    return (this.#set.inputDataType as DataType | undefined) ?? DEFAULTS.inputDataType;
  }
  set inputDataType(value: DataType) {
    this.#set.inputDataType = checkDtype(value, 'inputDataType');
  }

  /** Output data type of a quantized model: FLOAT32 (default), INT8, UINT8 or UNKNOWN. */
  get outputDataType(): DataType {
    return (this.#set.outputDataType as DataType | undefined) ?? DEFAULTS.outputDataType;
  }
  set outputDataType(value: DataType) {
    this.#set.outputDataType = checkDtype(value, 'outputDataType');
  }

  /** What to write: `ModelType.MINDIR` (default, `.mindir`) or `ModelType.MINDIR_LITE` (`.ms`). */
  get saveType(): ModelType {
    return (this.#set.saveType as ModelType | undefined) ?? DEFAULTS.saveType;
  }
  set saveType(value: ModelType) {
    if (value !== ModelType.MINDIR && value !== ModelType.MINDIR_LITE) invalid(`saveType must be ModelType.MINDIR or ModelType.MINDIR_LITE, got ${show(value)}`);
    this.#set.saveType = value;
  }

  /**
   * `"general"` (default: constant folding and fusions for CPU), `"none"` (no graph optimisation
   * at conversion; done at build instead) or `"ascend_oriented"` (needs the Ascend plugin, which
   * the 2.0.0 CPU runtime lacks: conversions then fail with `LITE_UNSUPPORTED`).
   */
  get optimize(): OptimizeMode {
    return this.#optimize;
  }
  set optimize(value: OptimizeMode) {
    if (value !== 'none' && value !== 'general' && value !== 'ascend_oriented') {
      invalid(`optimize must be "none", "general" or "ascend_oriented", got ${show(value)}`);
    }
    this.#optimize = value;
    this.#set.noFusion = value === 'none';
    if (value === 'ascend_oriented') this.#set.device = 'Ascend';
  }

  /** Target device of the optimisation: `""` (default) or `"Ascend"` (unsupported by this runtime, see {@link optimize}). */
  get device(): string {
    return this.#set.device ?? '';
  }
  set device(value: string) {
    if (value !== 'Ascend') invalid(`device must be "Ascend" (the only value 2.0 accepts), got ${show(value)}`);
    this.#set.device = value;
  }

  /**
   * Pre-inference at the end of the conversion (Python's `infer`). Default false. Setting it to
   * true makes {@link convert} fail with `LITE_UNSUPPORTED`: with 2.0.0 on CPU the conversion
   * "succeeds" but the written model is broken (its predict fails with "MindrtRun failed"; with a
   * fixed input shape its build fails with "InferSubgraph ... failed").
   */
  get infer(): boolean {
    return this.#set.infer ?? false;
  }
  set infer(value: boolean) {
    this.#set.infer = checkBool(value, 'infer');
  }

  /** Encrypt the output (AES-GCM with {@link encryptKey}). Default false. */
  get enableEncryption(): boolean {
    return this.#set.enableEncryption ?? false;
  }
  set enableEncryption(value: boolean) {
    this.#set.enableEncryption = checkBool(value, 'enableEncryption');
  }

  /** Key of the output encryption, hexadecimal (16 bytes for AES-GCM). */
  get encryptKey(): string {
    return this.#set.encryptKey ?? '';
  }
  set encryptKey(value: string) {
    this.#set.encryptKey = checkKey(value, 'encryptKey');
  }

  /** Key of an encrypted input model, hexadecimal. */
  get decryptKey(): string {
    return this.#set.decryptKey ?? '';
  }
  set decryptKey(value: string) {
    this.#set.decryptKey = checkKey(value, 'decryptKey');
  }

  /** Cipher of an encrypted input model: `"AES-GCM"` (default) or `"AES-CBC"`. */
  get decryptMode(): 'AES-GCM' | 'AES-CBC' {
    return (this.#set.decryptMode as 'AES-GCM' | 'AES-CBC' | undefined) ?? DEFAULTS.decryptMode;
  }
  set decryptMode(value: 'AES-GCM' | 'AES-CBC') {
    if (value !== 'AES-GCM' && value !== 'AES-CBC') invalid(`decryptMode must be "AES-GCM" or "AES-CBC", got ${show(value)}`);
    this.#set.decryptMode = value;
  }

  /**
   * Sets one section of the converter's configuration (what a config file's `[section]` holds),
   * e.g. `setConfigInfo('common_quant_param', { quant_type: 'WEIGHT_QUANT', bit_num: '8' })`.
   * A section set again is replaced.
   */
  setConfigInfo(section: string, configInfo: Record<string, string>): void {
    if (typeof section !== 'string' || section === '') invalid(`section must be a non-empty string, got ${show(section)}`);
    configEntries({ [section]: configInfo }, 'configInfo');
    this.#config = { ...this.#config, [section]: { ...configInfo } };
  }

  /** The sections set by {@link setConfigInfo} (copies). */
  getConfigInfo(): ConfigDict {
    return Object.fromEntries(Object.entries(this.#config).map(([k, v]) => [k, { ...v }]));
  }

  /**
   * Converts `modelFile` and writes `outputFile` plus the suffix of {@link saveType} (`.mindir`
   * or `.ms`, always appended, as in Python). Returns the path written.
   *
   * @param fmkType The source framework: ONNX, TF (`.pb`), TFLITE, CAFFE (`.prototxt` + weightFile) or MINDIR.
   * @param weightFile The Caffe weights (`.caffemodel`); required for CAFFE only.
   * @param configFile A converter config file (`key = value` sections: quantization, ...).
   * @throws LiteError `LITE_FILE_NOT_FOUND` (a missing input, weight or config file),
   *   `LITE_INVALID_ARGUMENT` (bad arguments or settings, a missing output folder, or settings
   *   the engine rejects), `LITE_UNSUPPORTED` (PYTORCH, Ascend, infer), `LITE_INVALID_MODEL` (the engine
   *   could not convert the model: the message carries its reason), `LITE_BUSY` (another
   *   conversion is running).
   */
  convert(fmkType: FmkType, modelFile: string, outputFile: string, weightFile?: string, configFile?: string): string {
    const { options, written } = this.#prepare(fmkType, modelFile, outputFile, weightFile, configFile);
    try {
      native(() => lib().msConvert(options));
    } catch (err) {
      throw modelError(err, options.modelFile);
    }
    return written;
  }

  /** {@link convert} off the JS thread (the libuv pool); resolves to the path written. */
  async convertAsync(fmkType: FmkType, modelFile: string, outputFile: string, weightFile?: string, configFile?: string): Promise<string> {
    const { options, written } = this.#prepare(fmkType, modelFile, outputFile, weightFile, configFile);
    try {
      await nativeAsync(() => lib().msConvertAsync(options));
    } catch (err) {
      throw modelError(err, options.modelFile);
    }
    return written;
  }

  #prepare(fmkType: unknown, modelFile: unknown, outputFile: unknown, weightFile: unknown, configFile: unknown) {
    if (fmkType === FmkType.PYTORCH) {
      throw new LiteError('LITE_UNSUPPORTED', 'FmkType.PYTORCH: the MindSpore Lite 2.0.0 converter shipped here has no PyTorch parser');
    }
    if (typeof fmkType !== 'number' || FmkType[fmkType] === undefined) {
      invalid(`fmkType must be FmkType.TF, CAFFE, ONNX, MINDIR or TFLITE, got ${show(fmkType)}`);
    }
    if (this.#set.device === 'Ascend') {
      throw new LiteError(
        'LITE_UNSUPPORTED',
        'device "Ascend" / optimize "ascend_oriented": the MindSpore Lite 2.0.0 CPU runtime has no Ascend converter plugin (libascend_pass_plugin.so)',
      );
    }
    if (this.#set.infer === true) {
      throw new LiteError(
        'LITE_UNSUPPORTED',
        'infer = true: the MindSpore Lite 2.0.0 CPU converter then writes a model whose predict fails ("MindrtRun failed"); leave infer false',
      );
    }
    const model = checkFile(modelFile, 'modelFile');
    const weight = weightFile === undefined || weightFile === '' ? undefined : checkFile(weightFile, 'weightFile');
    const config = configFile === undefined || configFile === '' ? undefined : checkFile(configFile, 'configFile');
    if (fmkType === FmkType.CAFFE && weight === undefined) invalid('FmkType.CAFFE needs the weightFile (.caffemodel)');
    if (typeof outputFile !== 'string' || outputFile === '') invalid(`outputFile must be a non-empty path string, got ${show(outputFile)}`);
    const folder = dirname(resolve(outputFile));
    let folderOk = false;
    try {
      folderOk = statSync(folder).isDirectory();
    } catch {
      folderOk = false;
    }
    if (!folderOk) invalid(`outputFile ${outputFile}: the folder ${folder} does not exist`);
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      invalid(`outputFile ${outputFile}: the folder ${folder} is not writable`);
    }
    const written = `${outputFile}${this.saveType === ModelType.MINDIR_LITE ? '.ms' : '.mindir'}`;
    const options: MsConvertOptions = {
      ...this.#set,
      fmkType,
      modelFile: model,
      outputFile,
      weightFile: weight,
      configFile: config,
      inputShape: Object.entries(this.#inputShape).map(([name, dims]) => ({ name, dims })),
      config: configEntries(this.#config, 'configInfo'),
    };
    return { options, written };
  }
}

/** Engine failures of a conversion are about the model: LITE_ERROR becomes LITE_INVALID_MODEL. */
function modelError(err: unknown, modelFile: string): unknown {
  if (err instanceof LiteError && err.code === 'LITE_ERROR') {
    return new LiteError('LITE_INVALID_MODEL', `cannot convert ${modelFile}: ${err.message}`, { cause: err });
  }
  return err;
}
