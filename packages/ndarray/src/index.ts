/**
 * Interop between `@lite/core`'s {@link LiteTensor} and scijs
 * [`ndarray`](https://github.com/scijs/ndarray): shape, dtype and strides carried over,
 * zero-copy where the memory allows it. `@lite/mindspore` Tensors work too ({@link toNdarray},
 * {@link setFromNdarray}), recognised by their shape ({@link isMindsporeTensor}): this package
 * does not depend on `@lite/mindspore`, and neither engine's runtime is needed to install it.
 *
 * Importing this package also teaches `LiteTensor.setDataByCopy` / `setDataByShare` to accept
 * ndarrays (through `@lite/core`'s `registerDataConverter` hook).
 *
 * @packageDocumentation
 * @module @lite/ndarray
 */
import type { TensorData } from '@lite/common';
import ndarray from 'ndarray';
// Types by name: a default import in the declarations would need esModuleInterop (TS1259) in
// the consumer's tsconfig under node10/node16, since @types/ndarray uses `export =`.
import type { NdArray } from 'ndarray';
import {
  type DTypeLike,
  LiteDataType,
  LiteDeviceType,
  LiteError,
  LiteLayout,
  LiteTensor,
  type LiteNumberArray,
  type LiteTypedArray,
  MAX_NDIM,
  type NdArrayLike as CoreNdArrayLike,
  dataTypeOfArray,
  dtypeArray,
  registerDataConverter,
  toDataType,
} from '@lite/core';

/** A scijs ndarray whose data is a TypedArray a tensor's data travels in. */
export type TensorNdArray = NdArray<TensorNdData>;

/**
 * The TypedArrays a {@link TensorNdArray} holds (one per dtype; float16 as raw halves in a
 * `Uint16Array`). All hold numbers (the 1.13 runtime has no int64 tensors), so `get()` is a number.
 */
export type TensorNdData = LiteNumberArray;

/**
 * The structural part of an ndarray this package reads (`@lite/core`'s interface): any scijs
 * `ndarray` matches it. `data` may also be a plain array or a `get`-style generic array when
 * `options.dtype` says what to convert it to.
 */
export type NdArrayLike = CoreNdArrayLike;

/**
 * The part of an `@lite/mindspore` `Tensor` this package uses, matched structurally (this
 * package does not import `@lite/mindspore`). `dtype` is MindSpore's `DataType` number.
 */
export interface MindsporeTensorLike {
  /** Dims (-1: a dynamic dim not yet known). */
  readonly shape: number[];
  /** MindSpore `DataType` (e.g. 43 float32, 42 float16). */
  readonly dtype: number;
  /** MindSpore `Format`. */
  readonly format: number;
  /** Element count (0 while a dim is dynamic). */
  readonly elementNum: number;
  /** A copy of the data, typed by dtype. */
  getData(): MindsporeNdData;
  /** Copies data in; an ndarray view brings its shape. */
  setData(data: MindsporeNdView): void;
}

/** An ndarray view over data of an `@lite/mindspore` Tensor's dtype (what its `setData` takes). */
export interface MindsporeNdView {
  readonly data: MindsporeNdData;
  readonly shape: readonly number[];
  readonly stride?: readonly number[];
  readonly offset?: number;
}

/** The TypedArrays an `@lite/mindspore` Tensor's data travels in (float16 as raw halves in a `Uint16Array`, bool in a `Uint8Array`). */
export type MindsporeNdData = TensorData;

/** MindSpore `DataType` numbers -> the dtype names of `@lite/core` (float64 and uint64 have none). */
const MINDSPORE_DTYPES = new Map<number, DTypeLike>([
  [30, 'uint8'], // bool, one byte each
  [32, 'int8'],
  [33, 'int16'],
  [34, 'int32'],
  [35, 'int64'],
  [37, 'uint8'],
  [38, 'uint16'],
  [39, 'uint32'],
  [42, 'float16'],
  [43, 'float32'],
]);
const MINDSPORE_FLOAT16 = 42;

/**
 * An ndarray over an `@lite/mindspore` Tensor's data (what {@link toNdarray} returns for one;
 * the data is always ArrayBuffer-backed).
 */
export type MindsporeNdArray = NdArray<
  | Exclude<MindsporeNdData, BigInt64Array | BigUint64Array>
  | BigInt64Array<ArrayBuffer>
  | BigUint64Array<ArrayBuffer>
>;

/**
 * Whether a value looks like an `@lite/mindspore` `Tensor` (getData/setData, numeric dtype and
 * format, shape array, elementNum) and is not a `LiteTensor`.
 */
export function isMindsporeTensor(value: unknown): value is MindsporeTensorLike {
  if (value === null || typeof value !== 'object' || value instanceof LiteTensor) return false;
  const v = value as Partial<Record<keyof MindsporeTensorLike, unknown>>;
  return (
    typeof v.getData === 'function' &&
    typeof v.setData === 'function' &&
    typeof v.dtype === 'number' &&
    typeof v.format === 'number' &&
    typeof v.elementNum === 'number' &&
    Array.isArray(v.shape)
  );
}

/** Options of {@link toNdarray}. */
export interface ToNdarrayOptions {
  /**
   * Return a zero-copy view of the tensor's memory when possible (contiguous tensor on the CPU
   * or in pinned host memory); writes through the ndarray then show in the tensor and back.
   * Otherwise (default, or when sharing is impossible) the data is copied.
   */
  share?: boolean;
}

/** Options of {@link fromNdarray}. */
export interface FromNdarrayOptions {
  /**
   * Share the ndarray's memory instead of copying it, when the ndarray is C-contiguous, needs no
   * dtype conversion and the tensor is a CPU (or pinned host) tensor; otherwise the data is
   * copied. Default false.
   */
  share?: boolean;
  /**
   * dtype of the tensor. Default: the natural dtype of `nd.data` (`Uint16Array` → uint16, or
   * float16 for ndarrays tagged by {@link markFloat16} / returned by {@link toNdarray}).
   * `'float16'` takes raw IEEE halves in a `Uint16Array`. Any other dtype different from the
   * data's converts the values (e.g. a `Float64Array` or a plain array to `'float32'`).
   */
  dtype?: DTypeLike;
  /** Device of the new tensor (default `LITE_CPU`). */
  deviceType?: LiteDeviceType;
  /** Device id (default 0). */
  deviceId?: number;
  /** Pinned host memory (needs CUDA; default false). */
  isPinnedHost?: boolean;
}

/** Options of {@link setFromNdarray}. */
export interface SetFromNdarrayOptions {
  /** As {@link FromNdarrayOptions.dtype}; default: float16 when the tensor is float16 and the data a `Uint16Array`, else the data's dtype. */
  dtype?: DTypeLike;
}

const float16Tagged = new WeakSet<object>();

/**
 * Tags an ndarray whose `Uint16Array` holds raw float16 halves, so that `fromNdarray`,
 * `setDataByCopy` and `setDataByShare` give a float16 tensor instead of a uint16 one.
 * Returns `nd` itself.
 */
export function markFloat16<T extends NdArrayLike>(nd: T): T {
  if (!(nd.data instanceof Uint16Array)) invalid(`markFloat16 needs an ndarray over a Uint16Array (raw halves), got ${describe(nd.data)}`);
  float16Tagged.add(nd);
  return nd;
}

/** Whether `nd` is tagged as raw float16 halves (see {@link markFloat16}). */
export function isFloat16(nd: NdArrayLike): boolean {
  return float16Tagged.has(nd);
}

/** Whether a value looks like a scijs ndarray (data + shape + stride + offset). */
export function isNdarray(value: unknown): value is NdArrayLike {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  const v = value as Partial<NdArrayLike>;
  return Array.isArray(v.shape) && Array.isArray(v.stride) && typeof v.offset === 'number' && v.data !== null && typeof v.data === 'object';
}

/**
 * The tensor's data as an ndarray of its shape, typed by its dtype (float16 as raw halves in a
 * `Uint16Array`, tagged by {@link markFloat16}).
 *
 * @example
 * const nd = toNdarray(net.getIoTensor('prob'));   // a copy
 * const view = toNdarray(tensor, { share: true }); // zero-copy when contiguous on the CPU
 */
export function toNdarray(tensor: LiteTensor, options?: ToNdarrayOptions): TensorNdArray;
/**
 * An `@lite/mindspore` Tensor's data as an ndarray of its shape: always a copy (`share` is
 * ignored). Those tensors hold their data in JS by design and hand out copies only (predict
 * copies its inputs at the call and returns output copies), so there is no engine memory to
 * share. float16 comes as raw halves in a `Uint16Array`, tagged by {@link markFloat16}.
 */
export function toNdarray(tensor: MindsporeTensorLike, options?: ToNdarrayOptions): MindsporeNdArray;
export function toNdarray(tensor: LiteTensor | MindsporeTensorLike, options: ToNdarrayOptions = {}): TensorNdArray | MindsporeNdArray {
  if (isMindsporeTensor(tensor)) {
    const shape = tensor.shape;
    if (shape.some((d) => d < 0)) invalid(`toNdarray: the tensor's shape ${JSON.stringify(shape)} has a dynamic dim; set its data or shape first`);
    const nd: MindsporeNdArray = ndarray(tensor.getData() as MindsporeNdArray['data'], shape);
    if (tensor.dtype === MINDSPORE_FLOAT16) float16Tagged.add(nd);
    return nd;
  }
  if (!(tensor instanceof LiteTensor)) invalid(`toNdarray expects a LiteTensor or an @lite/mindspore Tensor, got ${describe(tensor)}`);
  const layout = tensor.layout;
  const shareable = options.share === true && tensor.isContinue && (tensor.deviceType === LiteDeviceType.LITE_CPU || tensor.isPinnedHost);
  const data = shareable ? tensor.getDataByShare() : tensor.toTypedArray();
  const nd = ndarray(data as TensorNdData, layout.shapes);
  if (layout.dataType === LiteDataType.LITE_HALF) float16Tagged.add(nd);
  return nd;
}

/**
 * A new tensor holding `nd`'s data with its shape and dtype. Strided, transposed, offset and
 * negative-stride views are gathered into C order; contiguous ones are shared when
 * `options.share` allows.
 *
 * @example
 * const t = fromNdarray(ndarray(new Float32Array(784), [1, 1, 28, 28]), { share: true });
 */
export function fromNdarray(nd: NdArrayLike, options: FromNdarrayOptions = {}): LiteTensor {
  const packed = pack(nd, options.dtype, 'fromNdarray');
  const deviceType = options.deviceType ?? LiteDeviceType.LITE_CPU;
  const isPinnedHost = options.isPinnedHost ?? false;
  const tensor = new LiteTensor(packed.layout, deviceType, options.deviceId ?? 0, isPinnedHost);
  try {
    if (options.share === true && packed.shared && (deviceType === LiteDeviceType.LITE_CPU || isPinnedHost)) {
      tensor.setDataByShare(packed.data, { layout: packed.layout });
    } else {
      tensor.setDataByCopy(packed.data, { layout: packed.layout });
    }
  } catch (err) {
    tensor.dispose();
    throw err;
  }
  return tensor;
}

/**
 * Copies `nd` into `tensor`, which takes `nd`'s shape and dtype (like megenginelite's
 * `set_data_by_copy(ndarray)`). Works for device tensors too.
 *
 * For an `@lite/mindspore` Tensor the tensor keeps its dtype and takes `nd`'s shape (within the
 * dims its model declares): `nd` is converted to that dtype when its data differs (e.g. a
 * `Float64Array` or a plain array into float32; `options.dtype` is then ignored), strided views
 * are gathered, and the data is copied (the tensor's own `setData(nd)` does the same for data
 * already of its dtype).
 */
export function setFromNdarray(tensor: LiteTensor | MindsporeTensorLike, nd: NdArrayLike, options: SetFromNdarrayOptions = {}): void {
  if (isMindsporeTensor(tensor)) {
    const target = MINDSPORE_DTYPES.get(tensor.dtype);
    const natural = ArrayBuffer.isView(nd?.data) ? dataTypeOfArray(nd.data) : undefined;
    // Data already of the tensor's dtype (or one without a core dtype): the tensor gathers it itself.
    if (target === undefined || (natural !== undefined && (natural === toDataType(target) || (tensor.dtype === MINDSPORE_FLOAT16 && nd.data instanceof Uint16Array)))) {
      if (!ArrayBuffer.isView(nd.data)) invalid(`setFromNdarray: this tensor's dtype takes TypedArray data, got ${describe(nd.data)}`);
      tensor.setData(nd as MindsporeNdView);
      return;
    }
    const packed = pack(nd, target, 'setFromNdarray');
    const shape = packed.layout.shapes;
    tensor.setData({ data: packed.data, shape, stride: cStrides(shape), offset: 0 });
    return;
  }
  if (!(tensor instanceof LiteTensor)) invalid(`setFromNdarray expects a LiteTensor or an @lite/mindspore Tensor, got ${describe(tensor)}`);
  let dtype = options.dtype;
  if (dtype === undefined && nd?.data instanceof Uint16Array && tensor.layout.dataType === LiteDataType.LITE_HALF) dtype = LiteDataType.LITE_HALF;
  const packed = pack(nd, dtype, 'setFromNdarray');
  tensor.setDataByCopy(packed.data, { layout: packed.layout });
}

/** Result of {@link pack}: C-ordered data, its layout, and whether `data` aliases `nd.data`. */
interface Packed {
  data: LiteTypedArray;
  layout: LiteLayout;
  shared: boolean;
}

type Reader = (i: number) => number | bigint;

/**
 * Validates an ndarray and returns its data in C order: a subarray of `nd.data` when the view
 * is contiguous and needs no conversion, a gathered copy otherwise.
 */
function pack(nd: NdArrayLike, dtypeOption: DTypeLike | undefined, what: string): Packed {
  if (!isNdarray(nd)) invalid(`${what} expects an ndarray (data, shape, stride, offset), got ${describe(nd)}`);
  const shape = [...nd.shape];
  const stride = [...nd.stride];
  const n = shape.length;
  if (n === 0) invalid(`${what}: a rank-0 ndarray has no tensor equivalent; reshape it to [1]`);
  if (n > MAX_NDIM) invalid(`${what}: the ndarray has rank ${n}; at most ${MAX_NDIM} dimensions are supported`);
  if (stride.length !== n) invalid(`${what}: the ndarray has ${n} dimensions but ${stride.length} strides`);
  shape.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) invalid(`${what}: shape[${i}] must be a non-negative integer, got ${String(d)}`);
  });
  stride.forEach((s, i) => {
    if (!Number.isSafeInteger(s)) invalid(`${what}: stride[${i}] must be an integer, got ${String(s)}`);
  });
  if (!Number.isSafeInteger(nd.offset) || nd.offset < 0) invalid(`${what}: offset must be a non-negative integer, got ${String(nd.offset)}`);
  const count = shape.reduce((a, b) => a * b, 1);

  const data = nd.data;
  const natural = ArrayBuffer.isView(data) ? dataTypeOfArray(data) : undefined;
  let target: LiteDataType;
  if (dtypeOption !== undefined) target = toDataType(dtypeOption);
  else if (float16Tagged.has(nd)) target = LiteDataType.LITE_HALF;
  else if (natural !== undefined) target = natural;
  else return invalid(`${what}: ndarray data of type ${describe(data)} has no tensor dtype; pass options.dtype (e.g. 'float32') to convert it`);
  if (target === LiteDataType.LITE_HALF && !(data instanceof Uint16Array)) {
    invalid(`${what}: float16 data must be raw IEEE halves in a Uint16Array, got ${describe(data)}`);
  }
  const layout = new LiteLayout(shape, target);
  const Ctor = dtypeArray(target);
  const length = typeof data.length === 'number' ? data.length : -1;
  if (!Number.isSafeInteger(length) || length < 0) invalid(`${what}: ndarray data has no valid length`);

  if (count === 0) return { data: new Ctor(0), layout, shared: false };
  // Every index the view can reach must lie inside the data.
  let lo = nd.offset;
  let hi = nd.offset;
  for (let i = 0; i < n; i++) {
    const reach = ((shape[i] as number) - 1) * (stride[i] as number);
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (lo < 0 || hi >= length) invalid(`${what}: the ndarray's shape/stride/offset reach indices [${lo}, ${hi}] outside its data of length ${length}`);

  const sameType = natural === target || (natural === LiteDataType.LITE_UINT16 && target === LiteDataType.LITE_HALF);
  if (sameType && ArrayBuffer.isView(data) && !(data instanceof Uint8ClampedArray) && isCContiguous(shape, stride)) {
    const view = (data as LiteTypedArray).subarray(nd.offset, nd.offset + count);
    return { data: view as LiteTypedArray, layout, shared: true };
  }

  const read = reader(data);
  const out = new Ctor(count);
  const toBig = target === LiteDataType.LITE_INT64;
  const write = (k: number, v: number | bigint): void => {
    if (toBig) {
      if (typeof v === 'number' && !Number.isSafeInteger(v)) invalid(`${what}: value ${v} is not an integer (target dtype int64)`);
      (out as BigInt64Array)[k] = BigInt(v);
    } else {
      (out as Exclude<LiteTypedArray, BigInt64Array>)[k] = Number(v);
    }
  };
  // Odometer over the outer dimensions; the innermost one is a plain strided run.
  const inner = shape[n - 1] as number;
  const innerStride = stride[n - 1] as number;
  const idx = new Array<number>(n).fill(0);
  let base = nd.offset;
  for (let k = 0; k < count; k += inner) {
    for (let j = 0, src = base; j < inner; j++, src += innerStride) write(k + j, read(src));
    for (let d = n - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      base += stride[d] as number;
      if ((idx[d] as number) < (shape[d] as number)) break;
      base -= (stride[d] as number) * (shape[d] as number);
      idx[d] = 0;
    }
  }
  return { data: out, layout, shared: false };
}

function cStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = (out[i + 1] as number) * (shape[i + 1] as number);
  return out;
}

function isCContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    if (d !== 1 && stride[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

function reader(data: NdArrayLike['data']): Reader {
  if (typeof (data as { get?: unknown }).get === 'function' && !ArrayBuffer.isView(data) && !Array.isArray(data)) {
    const g = data as { get(i: number): number | bigint };
    return (i) => checkValue(g.get(i), i);
  }
  const a = data as ArrayLike<number | bigint>;
  return (i) => checkValue(a[i], i);
}

function checkValue(v: unknown, i: number): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  return invalid(`ndarray data[${i}] is not a number (${describe(v)})`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

function invalid(message: string): never {
  throw new LiteError('LITE_INVALID_ARGUMENT', message);
}

// Teach LiteTensor.setDataByCopy / setDataByShare about ndarrays. Non-contiguous views (and ones
// needing a dtype conversion) arrive as a packed copy marked `shared: false`, which
// setDataByShare refuses (as megenginelite does for non-contiguous arrays).
registerDataConverter((data) => {
  if (!isNdarray(data)) return undefined;
  const packed = pack(data, undefined, 'LiteTensor.setData');
  return { data: packed.data, layout: packed.layout, shared: packed.shared };
});
