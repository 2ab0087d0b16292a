import { checkArrayFits, checkAttached, checkTensorSize, dtypeInfo, dtypeName, dtypeOfArray, hasHostData, isTensorData, zeros, type TensorData } from './dtype.js';
import { DataType, Format } from './enums.js';
import { invalid, show } from './errors.js';

/**
 * A scijs `ndarray`-like view (`data`, `shape`, optional `stride` and `offset`): what
 * `@lite/ndarray` and scijs produce. Strided views are gathered in row-major order. `stride`
 * holds one integer per dim (negative for a flipped dim), `offset` is an integer >= 0, and every
 * element the view addresses must lie inside `data`.
 */
export interface NdArrayLike {
  readonly data: TensorData;
  readonly shape: readonly number[];
  readonly stride?: readonly number[];
  readonly offset?: number;
}

/** Options of `new Tensor(data?, options)`. */
export interface TensorOptions {
  /** Dims; default: `[data.length]`, or `[]` (a scalar) without data. */
  shape?: readonly number[];
  /** Element type; default: what the TypedArray stands for (`Float32Array` → FLOAT32), else FLOAT32. */
  dtype?: DataType;
  /** Layout tag (a {@link Format} value); default NCHW (the runtime's default for new tensors). */
  format?: Format;
  /** Name (a string); default "". */
  name?: string;
}

const MAX_RANK = 8;

/** Internal: checks dims are non-negative safe integers (-1 allowed where `dynamic`). */
export function checkShape(shape: unknown, what: string, dynamic = false): number[] {
  if (!Array.isArray(shape) || shape.length > MAX_RANK) invalid(`${what}: shape must be an array of at most ${MAX_RANK} dims, got ${show(shape)}`);
  const out: number[] = [];
  // An index loop: holes are dims too (`every` and `forEach` would skip them).
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = (shape as unknown[])[i];
    const ok = typeof d === 'number' && Number.isSafeInteger(d) && (d >= 1 || (dynamic && d === -1));
    if (!ok) invalid(`${what}: dims must be integers >= 1, got ${show(shape)}`);
    out.push(d as number);
  }
  return out;
}

/** Internal: checks a {@link Format} value (the constructor and the `format` setter alike). */
export function checkFormat(format: unknown, what: string): Format {
  if (typeof format !== 'number' || !Number.isInteger(format) || Format[format] === undefined) {
    invalid(`${what} must be a Format (e.g. Format.NCHW, Format.NHWC), got ${show(format)}`);
  }
  return format as Format;
}

/** Internal: checks a tensor name. */
function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string') invalid(`${what} must be a string, got ${show(name)}`);
  return name;
}

/** `n` and a noun, singular or plural ("1 float32 element", "2 float32 elements"). */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * Internal: raw bytes as data of `dtype` — @lite/core's rule: any `Uint8Array` (a Node `Buffer`
 * included) carries the raw bytes of any dtype (e.g. an HTTP body of float32 values). The result
 * is a fresh TypedArray of the dtype's kind; its byte length must be a whole number of elements.
 */
export function fromRawBytes(bytes: Uint8Array, dtype: DataType, what: string): TensorData {
  checkAttached(bytes, what);
  const ctor = dtypeInfo(dtype).array;
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    invalid(`${what}: ${count(bytes.byteLength, 'byte')} of raw data are not a whole number of ${dtypeName(dtype)} elements (${count(size, 'byte')} each)`);
  }
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new ctor(copy, 0, bytes.byteLength / size);
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** An ndarray-like value's parts, each read once. */
interface NdParts {
  readonly data: TensorData;
  readonly shape: unknown[];
  readonly stride: unknown;
  readonly offset: unknown;
}

/** The parts of an ndarray-like value (`data` a tensor TypedArray, `shape` an array), else null. */
function ndParts(value: unknown): NdParts | null {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return null;
  const v = value as { data?: unknown; shape?: unknown; stride?: unknown; offset?: unknown };
  const data = v.data;
  const shape = v.shape;
  if (!isTensorData(data) || !Array.isArray(shape)) return null;
  return { data, shape: shape as unknown[], stride: v.stride, offset: v.offset };
}

/**
 * Copies an ndarray-like view (dims checked, size bounded) into a fresh row-major array of
 * `dtype` (whose TypedArray kind `nd.data` was checked to be). Checks `stride` (one safe integer
 * per dim), `offset` (a safe integer >= 0) and that every addressed element lies inside the data.
 */
function gather(nd: NdParts, shape: number[], dtype: DataType, what: string): TensorData {
  const src = nd.data;
  const rank = shape.length;
  const rowMajor = shape.map((_, i) => product(shape.slice(i + 1)));
  let stride = rowMajor;
  if (nd.stride !== undefined && nd.stride !== null) {
    const given = nd.stride;
    if (!Array.isArray(given) || given.length !== rank) {
      invalid(`${what}: the ndarray's stride must be an array of ${rank} integers (one per dim of ${show(shape)}), got ${show(given)}`);
    }
    stride = [];
    for (let k = 0; k < rank; k++) {
      const s: unknown = (given as unknown[])[k];
      if (typeof s !== 'number' || !Number.isSafeInteger(s)) invalid(`${what}: the ndarray's stride must hold integers, got ${show(given)}`);
      stride.push(s as number);
    }
  }
  let offset = 0;
  if (nd.offset !== undefined && nd.offset !== null) {
    const given = nd.offset;
    if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < 0) invalid(`${what}: the ndarray's offset must be an integer >= 0, got ${show(given)}`);
    offset = given as number;
  }
  // The view addresses offset + sum(i[k] * stride[k]) for 0 <= i[k] < shape[k]: its lowest and
  // highest element come from the negative and the positive strides.
  let lowest = offset;
  let highest = offset;
  for (let k = 0; k < rank; k++) {
    const span = ((shape[k] ?? 1) - 1) * (stride[k] ?? 0);
    if (span < 0) lowest += span;
    else highest += span;
  }
  if (lowest < 0 || highest >= src.length) {
    invalid(
      `${what}: the ndarray view (shape ${show(shape)}, stride ${show(stride)}, offset ${offset}) reaches elements ${lowest}..${highest}, outside its data of ${src.length} elements`,
    );
  }
  const n = product(shape);
  const contiguous = stride.every((s, i) => s === rowMajor[i] || shape[i] === 1);
  if (contiguous) return src.slice(offset, offset + n) as TensorData;
  const out = zeros(dtype, n);
  const from = src as unknown as ArrayLike<unknown>;
  const to = out as unknown as unknown[];
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let k = 0; k < rank; k++) at += (index[k] ?? 0) * (stride[k] ?? 0);
    to[i] = from[at];
    for (let k = rank - 1; k >= 0; k--) {
      index[k] = (index[k] ?? 0) + 1;
      if ((index[k] ?? 0) < (shape[k] ?? 0)) break;
      index[k] = 0;
    }
  }
  return out;
}

// Internal access for the model layer, set up by Tensor's static block (kept out of the public type).
let heldData: (t: Tensor) => TensorData | null;
let branded: (value: object) => boolean;
let planResize: (t: Tensor, shape: number[], what: string) => () => void;
let modelTensor: (name: string, dtype: DataType, format: Format, shape: number[], template: number[], data: TensorData | null) => Tensor;

/** Internal: the data a tensor holds (no copy), or null. */
export function tensorData(t: Tensor): TensorData | null {
  return heldData(t);
}

/**
 * Internal: whether `value` is a Tensor made by this package (a brand check: `instanceof` also
 * passes `Object.create(Tensor.prototype)` and a Proxy of a tensor, which have no tensor state).
 */
export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && branded(value);
}

/** Internal: {@link show} for a value that failed {@link isTensor}, naming the look-alikes. */
export function showNonTensor(value: unknown): string {
  let looksLike = false;
  try {
    looksLike = value instanceof Tensor;
  } catch {
    // a Proxy whose getPrototypeOf trap throws
  }
  return looksLike ? 'an object that passes instanceof Tensor without being one (a Proxy of a Tensor or an Object.create(Tensor.prototype))' : show(value);
}

/**
 * Internal: prepares the model's resize of `t` to `shape` (dims checked; data zeroed when the
 * size changes): checks the size and allocates now, and returns what to commit once the engine
 * has accepted the resize (so a refused resize changes nothing).
 */
export function tensorResizePlan(t: Tensor, shape: number[], what: string): () => void {
  return planResize(t, shape, what);
}

/** Internal: a tensor described by the engine (shape may hold -1 dims; `template` = declared dims). */
export function tensorFromModel(name: string, dtype: DataType, format: Format, shape: number[], template: number[], data: TensorData | null): Tensor {
  return modelTensor(name, dtype, format, shape, template, data);
}

/**
 * A tensor: name, shape, dtype, format and (a copy of) its data, held in JS. Tensors handed out by
 * a {@link Model} are snapshots; `predict` copies the inputs' data at the call, so changing a
 * tensor afterwards never affects a call already made.
 *
 * @example
 * const x = new Tensor(new Float32Array(784), { shape: [1, 1, 28, 28] });
 * x.elementNum; // 784
 * x.dataSize;   // 3136
 */
export class Tensor {
  #name: string;
  #dtype: DataType;
  #format: Format;
  #shape: number[];
  /** Dims a model declares for this input (-1: free); data of another batch may resize it. */
  #template: number[];
  #data: TensorData | null;

  static {
    heldData = (t) => t.#data;
    branded = (value) => #data in value;
    planResize = (t, shape, what) => {
      const count = checkTensorSize(shape, t.#dtype, what);
      const data = t.#data !== null && t.#data.length === count ? t.#data : hasHostData(t.#dtype) ? zeros(t.#dtype, count) : null;
      const next = [...shape];
      return () => {
        t.#shape = next;
        t.#data = data;
      };
    };
    modelTensor = (name, dtype, format, shape, template, data) => {
      const t = new this(null, { dtype: DataType.UINT8 });
      t.#name = name;
      t.#dtype = dtype;
      t.#format = format;
      t.#shape = [...shape];
      t.#template = [...template];
      t.#data = data;
      return t;
    };
  }

  constructor(data?: TensorData | NdArrayLike | null, options: TensorOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid(`Tensor: options must be an object, got ${show(options)}`);
    // Each option is read once (a getter could answer differently on a second read).
    const { shape: shapeOption, dtype: dtypeOption, format: formatOption, name: nameOption } = options as TensorOptions;
    const src: unknown = data ?? null;
    let array: TensorData | null = null;
    let nd: NdParts | null = null;
    let raw = false;
    if (src !== null) {
      // Raw bytes first: a Buffer is a Uint8Array, but not one of the TypedArray kinds below.
      if (src instanceof Uint8Array) {
        array = src;
        raw = true;
      } else if (isTensorData(src)) array = src;
      else {
        nd = ndParts(src);
        if (nd === null) invalid(`Tensor: data must be a TypedArray or an ndarray, got ${show(src)}`);
        array = nd.data;
      }
      checkAttached(array, 'Tensor');
    }
    const dtype = dtypeOption ?? (array ? (raw ? DataType.UINT8 : dtypeOfArray(array)) : DataType.FLOAT32);
    dtypeInfo(dtype);
    if (raw && array !== null) array = fromRawBytes(array as Uint8Array, dtype, 'Tensor');
    const format = checkFormat(formatOption ?? Format.NCHW, 'Tensor: format');
    const name = checkName(nameOption ?? '', 'Tensor: name');
    const shape = checkShape(shapeOption ?? (array === null ? [] : nd ? nd.shape : [array.length]), 'Tensor');
    const count = checkTensorSize(shape, dtype, 'Tensor');
    this.#name = name;
    this.#dtype = dtype;
    this.#format = format;
    this.#shape = shape;
    this.#template = [...shape];
    this.#data = null;
    if (src === null) this.#data = zeros(dtype, count);
    else this.#setData(nd ?? (array as TensorData), 'Tensor');
  }

  /** Name in the model ("" for tensors made here without a name). */
  get name(): string {
    return this.#name;
  }

  /** Element type. */
  get dtype(): DataType {
    return this.#dtype;
  }

  /** Layout tag. */
  get format(): Format {
    return this.#format;
  }

  set format(format: Format) {
    this.#format = checkFormat(format, 'format');
  }

  /** Dims (a copy); -1 marks a dynamic dim not yet known. */
  get shape(): number[] {
    return [...this.#shape];
  }

  /**
   * Sets the dims (Python: `tensor.shape = ...`). The data is kept when the element count stays
   * the same, otherwise it is replaced by zeros of the new size. A refused shape changes nothing.
   */
  set shape(shape: readonly number[]) {
    const next = checkShape(shape, 'shape');
    this.#checkTemplate(next, 'shape');
    const count = checkTensorSize(next, this.#dtype, 'shape');
    // Allocate before assigning anything, so that a failure leaves the tensor as it was.
    const data = this.#data !== null && count === this.#data.length ? this.#data : zeros(this.#dtype, count);
    this.#shape = next;
    this.#data = data;
  }

  /** Number of elements (0 while a dim is dynamic). */
  get elementNum(): number {
    return this.#shape.some((d) => d < 0) ? 0 : product(this.#shape);
  }

  /** Bytes of data (`elementNum` × element size). */
  get dataSize(): number {
    return this.elementNum * dtypeInfo(this.#dtype).array.BYTES_PER_ELEMENT;
  }

  /**
   * A model input with a dynamic dim keeps its rank: a flat `[1, 784]` for `[-1, 1, 28, 28]` is a
   * mistake that the engine would only report at predict (after which 2.0.0 refuses the model's
   * predicts). Other dims may change, as the engine allows; `model.resize` may change the rank.
   */
  #checkTemplate(shape: number[], what: string): void {
    const t = this.#template;
    if (t.length !== shape.length && t.some((d) => d < 0)) {
      invalid(`${what}: ${show(shape)} has ${shape.length} dims, the model input ${show(this.#name)} is declared as ${show(t)} (call model.resize first to change the rank)`);
    }
  }

  /**
   * Copies data in (Python: `set_data_from_numpy`). The array must carry the tensor's dtype
   * (float16 as raw halves in a `Uint16Array`, bool in a `Uint8Array`), or be raw bytes: any
   * `Uint8Array`, a Node `Buffer` included, is read as the bytes of the tensor's dtype (as in
   * `@lite/core`; its byte length must be a whole number of elements). An ndarray brings its
   * shape; a flat TypedArray must have `elementNum` elements, or — for a model input with one
   * dynamic dim — a multiple that fixes that dim (e.g. 4 × 784 floats for `[-1, 1, 28, 28]`).
   */
  setData(data: TensorData | NdArrayLike): void {
    const src: unknown = data;
    if (src instanceof Uint8Array) return this.#setData(fromRawBytes(src, this.#dtype, 'setData'), 'setData');
    if (isTensorData(src)) return this.#setData(src, 'setData');
    const nd = ndParts(src);
    if (nd === null) return invalid(`setData: expected a TypedArray or an ndarray, got ${show(src)}`);
    this.#setData(nd, 'setData');
  }

  /** Checks everything first, then assigns shape and data together (a refusal changes nothing). */
  #setData(src: TensorData | NdParts, what: string): void {
    let array: TensorData;
    let shape: number[];
    if (isTensorData(src)) {
      checkAttached(src, what);
      checkArrayFits(this.#dtype, src, what);
      shape = this.#shapeForLength(src.length, what);
      checkTensorSize(shape, this.#dtype, what);
      array = src.slice() as TensorData;
    } else {
      shape = checkShape(src.shape, what);
      checkAttached(src.data, what);
      checkArrayFits(this.#dtype, src.data, what);
      checkTensorSize(shape, this.#dtype, what);
      array = gather(src, shape, this.#dtype, what);
    }
    if (!this.#sameShape(shape)) this.#checkTemplate(shape, what);
    if (!this.#sameShape(shape) && !this.#template.some((d) => d < 0) && product(shape) !== this.elementNum) {
      invalid(`${what}: the tensor ${show(this.#shape)} holds ${this.elementNum} elements, got ${product(shape)}`);
    }
    this.#shape = shape;
    this.#data = array;
  }

  #sameShape(shape: readonly number[]): boolean {
    return shape.length === this.#shape.length && shape.every((d, i) => d === this.#shape[i]);
  }

  #shapeForLength(length: number, what: string): number[] {
    if (!this.#shape.some((d) => d < 0) && length === product(this.#shape)) return [...this.#shape];
    const free = this.#template.filter((d) => d < 0).length;
    const fixed = product(this.#template.filter((d) => d >= 0));
    if (free === 1 && fixed > 0 && length % fixed === 0 && length > 0) {
      return this.#template.map((d) => (d < 0 ? length / fixed : d));
    }
    const dtype = dtypeName(this.#dtype);
    if (this.#shape.some((d) => d < 0)) {
      const multiple = free === 1 ? `pass a non-empty multiple of ${count(fixed, `${dtype} element`)} (the dynamic dim follows from the length), ` : '';
      return invalid(
        `${what}: the tensor ${show(this.#name)} ${show(this.#shape)} has a dynamic dim (-1), so its size is not known yet: ` +
          `${multiple}set a shape first (tensor.shape = [...] or model.resize), or pass an ndarray that carries its shape; got ${count(length, `${dtype} element`)}`,
      );
    }
    return invalid(
      `${what}: the tensor ${show(this.#name)} ${show(this.#shape)} needs ${count(this.elementNum, `${dtype} element`)}, got ${length}` +
        (free > 0 ? ' (set a shape first, or pass an ndarray that carries its shape)' : ''),
    );
  }

  /** A copy of the data (Python: `get_data_to_numpy`), typed by dtype; empty when there is none yet. */
  getData(): TensorData {
    return this.#data ? (this.#data.slice() as TensorData) : zeros(this.#dtype, 0);
  }
}
