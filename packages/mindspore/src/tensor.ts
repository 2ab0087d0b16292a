import { checkArrayFits, dtypeInfo, dtypeName, dtypeOfArray, isTensorData, zeros, type TensorData } from './dtype.js';
import { DataType, Format } from './enums.js';
import { invalid, show } from './errors.js';

/**
 * A scijs `ndarray`-like view (`data`, `shape`, optional `stride` and `offset`): what
 * `@lite/ndarray` and scijs produce. Strided views are gathered in row-major order.
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
  /** Layout tag; default NCHW (the runtime's default for new tensors). */
  format?: Format;
  /** Name; default "". */
  name?: string;
}

const MAX_RANK = 8;

/** Internal: checks dims are non-negative safe integers (-1 allowed where `dynamic`). */
export function checkShape(shape: unknown, what: string, dynamic = false): number[] {
  if (!Array.isArray(shape) || shape.length > MAX_RANK) invalid(`${what}: shape must be an array of at most ${MAX_RANK} dims, got ${show(shape)}`);
  for (const d of shape as unknown[]) {
    const ok = typeof d === 'number' && Number.isSafeInteger(d) && (d >= 1 || (dynamic && d === -1));
    if (!ok) invalid(`${what}: dims must be integers >= 1, got ${show(shape)}`);
  }
  return [...(shape as number[])];
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function isNdArrayLike(value: unknown): value is NdArrayLike {
  if (typeof value !== 'object' || value === null || isTensorData(value)) return false;
  const v = value as { data?: unknown; shape?: unknown };
  return isTensorData(v.data) && Array.isArray(v.shape);
}

/** Copies an ndarray-like view into a fresh row-major array. */
function gather(nd: NdArrayLike, shape: number[]): TensorData {
  const n = product(shape);
  const stride = nd.stride ? [...nd.stride] : shape.map((_, i) => product(shape.slice(i + 1)));
  const offset = nd.offset ?? 0;
  const contiguous = stride.every((s, i) => s === product(shape.slice(i + 1)));
  const src = nd.data;
  if (contiguous) {
    if (offset < 0 || offset + n > src.length) invalid(`setData: the ndarray's data is too short for its shape ${show(shape)}`);
    return src.slice(offset, offset + n) as TensorData;
  }
  const out = new (src.constructor as new (n: number) => TensorData)(n);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let k = 0; k < shape.length; k++) at += (index[k] ?? 0) * (stride[k] ?? 0);
    if (at < 0 || at >= src.length) invalid('setData: the ndarray view reaches outside its data');
    (out as unknown as unknown[])[i] = (src as unknown as unknown[])[at];
    for (let k = shape.length - 1; k >= 0; k--) {
      index[k] = (index[k] ?? 0) + 1;
      if ((index[k] ?? 0) < (shape[k] ?? 0)) break;
      index[k] = 0;
    }
  }
  return out;
}

// Internal access for the model layer, set up by Tensor's static block (kept out of the public type).
let heldData: (t: Tensor) => TensorData | null;
let resized: (t: Tensor, shape: number[]) => void;
let modelTensor: (name: string, dtype: DataType, format: Format, shape: number[], template: number[], data: TensorData | null) => Tensor;

/** Internal: the data a tensor holds (no copy), or null. */
export function tensorData(t: Tensor): TensorData | null {
  return heldData(t);
}

/** Internal: the model was resized to `shape` (checked to fit the declared dims); data is zeroed when the size changes. */
export function tensorResized(t: Tensor, shape: number[]): void {
  resized(t, shape);
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
    resized = (t, shape) => {
      if (t.#data === null || t.#data.length !== product(shape)) t.#data = zeros(t.#dtype, product(shape));
      t.#shape = [...shape];
    };
    modelTensor = (name, dtype, format, shape, template, data) => {
      const t = new Tensor(null, { dtype: DataType.UINT8 });
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
    const src = data ?? null;
    if (src !== null && !isTensorData(src) && !isNdArrayLike(src)) {
      invalid(`Tensor: data must be a TypedArray or an ndarray, got ${show(src)}`);
    }
    const array = src === null ? null : isTensorData(src) ? src : src.data;
    this.#dtype = options.dtype ?? (array ? dtypeOfArray(array) : DataType.FLOAT32);
    dtypeInfo(this.#dtype);
    this.#format = options.format ?? Format.NCHW;
    if (!Number.isInteger(this.#format)) invalid(`Tensor: format must be a Format, got ${show(options.format)}`);
    this.#name = options.name ?? '';
    const defaultShape = src === null ? [] : isTensorData(src) ? [src.length] : [...src.shape];
    this.#shape = checkShape(options.shape ?? defaultShape, 'Tensor');
    this.#template = [...this.#shape];
    this.#data = null;
    if (src === null) this.#data = zeros(this.#dtype, this.elementNum);
    else this.setData(src);
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
    if (!Number.isInteger(format) || Format[format] === undefined) invalid(`format must be a Format, got ${show(format)}`);
    this.#format = format;
  }

  /** Dims (a copy); -1 marks a dynamic dim not yet known. */
  get shape(): number[] {
    return [...this.#shape];
  }

  /**
   * Sets the dims (Python: `tensor.shape = ...`). The data is kept when the element count stays
   * the same, otherwise it is replaced by zeros of the new size.
   */
  set shape(shape: readonly number[]) {
    const next = checkShape(shape, 'shape');
    this.#checkTemplate(next, 'shape');
    const keep = this.#data !== null && product(next) === this.#data.length;
    this.#shape = next;
    if (!keep) this.#data = zeros(this.#dtype, product(next));
  }

  /** Number of elements (0 while a dim is dynamic). */
  get elementNum(): number {
    return this.#shape.some((d) => d < 0) ? 0 : product(this.#shape);
  }

  /** Bytes of data (`elementNum` × element size). */
  get dataSize(): number {
    return this.elementNum * dtypeInfo(this.#dtype).array.BYTES_PER_ELEMENT;
  }

  #checkTemplate(shape: number[], what: string): void {
    const t = this.#template;
    const fits = t.length === shape.length && t.every((d, i) => d < 0 || d === shape[i]);
    if (!fits && t.some((d) => d < 0)) {
      invalid(`${what}: ${show(shape)} does not fit the model input ${JSON.stringify(this.#name)} declared as ${show(t)} (-1 is a dynamic dim)`);
    }
  }

  /**
   * Copies data in (Python: `set_data_from_numpy`). The array must carry the tensor's dtype
   * (float16 as raw halves in a `Uint16Array`, bool in a `Uint8Array`). An ndarray brings its
   * shape; a flat TypedArray must have `elementNum` elements, or — for a model input with one
   * dynamic dim — a multiple that fixes that dim (e.g. 4 × 784 floats for `[-1, 1, 28, 28]`).
   */
  setData(data: TensorData | NdArrayLike): void {
    let array: TensorData;
    let shape: number[];
    if (isNdArrayLike(data)) {
      shape = checkShape([...data.shape], 'setData');
      checkArrayFits(this.#dtype, data.data, 'setData');
      array = gather(data, shape);
    } else if (isTensorData(data)) {
      checkArrayFits(this.#dtype, data, 'setData');
      shape = this.#shapeForLength(data.length);
      array = data.slice() as TensorData;
    } else {
      return invalid(`setData: expected a TypedArray or an ndarray, got ${show(data)}`);
    }
    if (!this.#sameShape(shape)) this.#checkTemplate(shape, 'setData');
    if (!this.#sameShape(shape) && !this.#template.some((d) => d < 0) && product(shape) !== this.elementNum) {
      invalid(`setData: the tensor ${show(this.#shape)} holds ${this.elementNum} elements, got ${product(shape)}`);
    }
    this.#shape = shape;
    this.#data = array;
  }

  #sameShape(shape: readonly number[]): boolean {
    return shape.length === this.#shape.length && shape.every((d, i) => d === this.#shape[i]);
  }

  #shapeForLength(length: number): number[] {
    if (!this.#shape.some((d) => d < 0) && length === product(this.#shape)) return [...this.#shape];
    const free = this.#template.filter((d) => d < 0).length;
    const fixed = product(this.#template.filter((d) => d >= 0));
    if (free === 1 && fixed > 0 && length % fixed === 0 && length > 0) {
      return this.#template.map((d) => (d < 0 ? length / fixed : d));
    }
    return invalid(
      `setData: the tensor ${JSON.stringify(this.#name)} ${show(this.#shape)} needs ${this.elementNum} ${dtypeName(this.#dtype)} elements, got ${length}` +
        (free > 0 ? ' (set a shape first, or pass an ndarray that carries its shape)' : ''),
    );
  }

  /** A copy of the data (Python: `get_data_to_numpy`), typed by dtype; empty when there is none yet. */
  getData(): TensorData {
    return this.#data ? (this.#data.slice() as TensorData) : zeros(this.#dtype, 0);
  }
}
