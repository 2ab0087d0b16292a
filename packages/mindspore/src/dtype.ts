import { DTYPES, type DTypeInfo, type DTypeName, type TensorData, dtypeOfTypedArray } from '@lite/common';
import { DataType } from './enums.js';
import { invalid, LiteError, show } from './errors.js';

export type { TensorData } from '@lite/common';

/** The runtime's element types with host data, by `DataType` (sizes and TypedArrays: @lite/common's table). */
const INFO: ReadonlyMap<DataType, DTypeInfo> = new Map<DataType, DTypeInfo>([
  [DataType.BOOL, DTYPES.bool],
  [DataType.INT8, DTYPES.int8],
  [DataType.INT16, DTYPES.int16],
  [DataType.INT32, DTYPES.int32],
  [DataType.INT64, DTYPES.int64],
  [DataType.UINT8, DTYPES.uint8],
  [DataType.UINT16, DTYPES.uint16],
  [DataType.UINT32, DTYPES.uint32],
  [DataType.UINT64, DTYPES.uint64],
  [DataType.FLOAT16, DTYPES.float16],
  [DataType.FLOAT32, DTYPES.float32],
  [DataType.FLOAT64, DTYPES.float64],
]);

/**
 * The `DataType` of each numpy name a TypedArray stands for by default: every type of the table
 * but BOOL and FLOAT16, which travel in the TypedArrays of UINT8 and UINT16.
 */
const BY_NAME = new Map<DTypeName, DataType>(
  [...INFO].filter(([dtype]) => dtype !== DataType.BOOL && dtype !== DataType.FLOAT16).map(([dtype, info]) => [info.name, dtype]),
);

/** The dtype a TypedArray means when none is given (Uint8ClampedArray is not tensor data). */
function defaultDtype(data: ArrayBufferView): DataType | undefined {
  if (data instanceof Uint8ClampedArray) return undefined;
  const name = dtypeOfTypedArray(data);
  return name === undefined ? undefined : BY_NAME.get(name);
}

/** Internal: dtype facts; throws `LITE_INVALID_ARGUMENT` for types without host data. */
export function dtypeInfo(dtype: DataType): DTypeInfo {
  const info = INFO.get(dtype);
  if (!info) return invalid(`unsupported data type ${show(dtype)} (expected a DataType with a fixed element size)`);
  return info;
}

/** Internal: whether `dtype` has host data (a TypedArray kind). */
export function hasHostData(dtype: DataType): boolean {
  return INFO.has(dtype);
}

/** Name of a dtype for messages ("float32"). */
export function dtypeName(dtype: DataType): string {
  return INFO.get(dtype)?.name ?? `DataType ${show(dtype)}`;
}

/** Internal: whether `value` is one of the TypedArrays tensors accept. */
export function isTensorData(value: unknown): value is TensorData {
  return ArrayBuffer.isView(value) && defaultDtype(value) !== undefined;
}

/** Internal: the dtype a TypedArray stands for by default. */
export function dtypeOfArray(data: TensorData): DataType {
  const found = defaultDtype(data);
  if (found === undefined) return invalid(`unsupported data ${show(data)}`);
  return found;
}

/** Internal: checks that `data`'s TypedArray kind can carry `dtype` (float16 in Uint16Array, bool in Uint8Array). */
export function checkArrayFits(dtype: DataType, data: TensorData, what: string): void {
  if (!(data instanceof dtypeInfo(dtype).array)) {
    invalid(`${what}: the tensor is ${dtypeName(dtype)} and needs a ${dtypeInfo(dtype).array.name}, got ${show(data)}`);
  }
}

/**
 * Most bytes one tensor's data may take (2 GiB - 1): the engine counts tensor bytes and dims in
 * int32, and a bound checked before anything is allocated or handed to the engine keeps a huge
 * shape a clear LITE_INVALID_ARGUMENT (not a RangeError, nor an engine resized to a shape JS
 * cannot hold).
 */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;

/** Bytes of one element (1 for a dtype without host data, so that counts are still bounded). */
export function elementBytes(dtype: DataType): number {
  return INFO.get(dtype)?.array.BYTES_PER_ELEMENT ?? 1;
}

/**
 * Internal: the element count of `shape` (dims already checked to be integers >= 1), or
 * LITE_INVALID_ARGUMENT when `dtype` data of that shape would exceed {@link MAX_TENSOR_BYTES}.
 */
export function checkTensorSize(shape: readonly number[], dtype: DataType, what: string): number {
  const count = shape.reduce((a, d) => a * d, 1);
  const bytes = count * elementBytes(dtype);
  if (!(bytes <= MAX_TENSOR_BYTES)) {
    invalid(`${what}: ${show([...shape])} is ${count} ${dtypeName(dtype)} elements (${bytes} bytes); a tensor may hold at most ${MAX_TENSOR_BYTES} bytes`);
  }
  return count;
}

/**
 * Internal: whether the memory of `view` was detached (its ArrayBuffer transferred to a worker,
 * by `structuredClone(…, { transfer })` or `ArrayBuffer.prototype.transfer`). Never throws.
 */
export function isDetached(view: ArrayBufferView): boolean {
  try {
    const buffer: unknown = view.buffer;
    if (typeof buffer !== 'object' || buffer === null) return false;
    const flag = (buffer as { detached?: unknown }).detached; // Node >= 22
    if (typeof flag === 'boolean') return flag;
    if ((buffer as ArrayBufferLike).byteLength !== 0) return false;
    new Uint8Array(buffer as ArrayBufferLike, 0, 0); // throws only for a detached buffer
    return false;
  } catch {
    return true;
  }
}

/** Internal: LITE_INVALID_ARGUMENT when `view`'s memory was detached. */
export function checkAttached(view: ArrayBufferView, what: string): void {
  if (isDetached(view)) {
    invalid(`${what}: the ${show(view).replace(/^an? /, '')}'s ArrayBuffer is detached (it was transferred away); pass an array that still owns its memory`);
  }
}

/** Internal: the bytes of any ArrayBufferView (a view, no copy); LITE_INVALID_ARGUMENT when detached. */
export function viewBytes(view: ArrayBufferView, what: string): Uint8Array {
  checkAttached(view, what);
  try {
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  } catch {
    // e.g. a view left out of bounds by shrinking a resizable ArrayBuffer
    return invalid(`${what}: the memory of ${show(view)} cannot be read`);
  }
}

/** Internal: a fresh zero-filled array for `count` elements of `dtype` (bounded by {@link MAX_TENSOR_BYTES}). */
export function zeros(dtype: DataType, count: number): TensorData {
  const info = dtypeInfo(dtype);
  checkTensorSize([count], dtype, 'tensor data');
  try {
    return new info.array(count);
  } catch {
    return invalid(`tensor data: cannot allocate ${count * info.array.BYTES_PER_ELEMENT} bytes for ${count} ${info.name} elements`);
  }
}

/** Internal: a TypedArray of `dtype` over `bytes` (a fresh buffer the binding made for it). */
export function fromBytes(dtype: DataType, bytes: ArrayBuffer): TensorData {
  const ctor = dtypeInfo(dtype).array;
  if (bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new LiteError('LITE_ERROR', `the engine gave ${bytes.byteLength} bytes for ${dtypeName(dtype)} data (not a whole number of elements)`);
  }
  // The binding hands over a fresh buffer of its own copy: wrap it, no second copy.
  return new ctor(bytes, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
}

/** Internal: the bytes of a TypedArray (a view, no copy). */
export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
