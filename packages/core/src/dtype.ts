import { DTYPES, dtypeOfConstructor, dtypeOfTypedArray, floatToHalf } from '@lite/common';
import { LiteDataType } from './enums.js';
import { invalid, show } from './errors.js';

export { float32ToHalfArray, floatToHalf, halfArrayToFloat32, halfToFloat } from '@lite/common';

/** Any TypedArray a tensor's data can travel in. float16 travels as raw halves in a `Uint16Array`. */
export type LiteTypedArray =
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array;

/**
 * The TypedArrays tensor data comes out in (`toTypedArray`, `getDataByShare`): every
 * {@link LiteTypedArray} but `BigInt64Array`, since the 1.13 runtime has no int64 tensors. Its
 * elements are numbers, so `toTypedArray()[0].toFixed(2)` type-checks (with a bounds check).
 */
export type LiteNumberArray = Exclude<LiteTypedArray, BigInt64Array>;

/** A TypedArray constructor accepted where a dtype is expected. */
export type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Int16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor;

/** dtype names, as numpy spells them. */
export type DTypeName = 'float32' | 'float16' | 'int32' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'uint32' | 'int64';

/** Anything that names a dtype: a {@link LiteDataType}, a {@link DTypeName} or a TypedArray constructor. */
export type DTypeLike = LiteDataType | DTypeName | TypedArrayConstructor;

/** The runtime's element types by their numpy name (sizes and TypedArrays: `DTYPES` of @lite/common). */
const NAMES: Record<LiteDataType, DTypeName> = {
  [LiteDataType.LITE_FLOAT]: 'float32',
  [LiteDataType.LITE_HALF]: 'float16',
  [LiteDataType.LITE_INT]: 'int32',
  [LiteDataType.LITE_INT16]: 'int16',
  [LiteDataType.LITE_INT8]: 'int8',
  [LiteDataType.LITE_UINT8]: 'uint8',
  [LiteDataType.LITE_UINT]: 'uint32',
  [LiteDataType.LITE_UINT16]: 'uint16',
  [LiteDataType.LITE_INT64]: 'int64',
};

const BY_NAME = new Map<string, LiteDataType>((Object.keys(NAMES) as unknown as string[]).map((k) => [NAMES[Number(k) as LiteDataType], Number(k) as LiteDataType]));

/** Resolves any {@link DTypeLike} to a {@link LiteDataType}; throws `LITE_INVALID_ARGUMENT` otherwise. */
export function toDataType(dtype: DTypeLike | undefined): LiteDataType {
  if (dtype === undefined) return LiteDataType.LITE_FLOAT;
  if (typeof dtype === 'number') {
    if (Number.isInteger(dtype) && dtype in NAMES) return dtype;
    return invalid(`unknown LiteDataType ${show(dtype)}`);
  }
  if (typeof dtype === 'string') {
    const found = BY_NAME.get(dtype);
    if (found === undefined) return invalid(`unknown dtype ${show(dtype)} (expected one of ${[...BY_NAME.keys()].join(', ')})`);
    return found;
  }
  const name = typeof dtype === 'function' ? dtypeOfConstructor(dtype) : undefined;
  const found = name === undefined ? undefined : BY_NAME.get(name);
  if (found === undefined) return invalid(`unsupported dtype ${show(dtype)} (expected a LiteDataType, a dtype name or a TypedArray constructor)`);
  return found;
}

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: LiteDataType): number {
  return DTYPES[NAMES[dtype]].size;
}

/** numpy-style name of a dtype. */
export function dtypeName(dtype: LiteDataType): DTypeName {
  return NAMES[dtype];
}

/** The TypedArray constructor data of a dtype travels in. */
export function dtypeArray(dtype: LiteDataType): TypedArrayConstructor {
  // Every LiteDataType's table entry is one of the TypedArrays TypedArrayConstructor lists.
  return DTYPES[NAMES[dtype]].array as TypedArrayConstructor;
}

/** The dtype a TypedArray's elements naturally have (`Uint16Array` → uint16, not float16). */
export function dataTypeOfArray(array: ArrayBufferView): LiteDataType | undefined {
  const name = dtypeOfTypedArray(array);
  return name === undefined ? undefined : BY_NAME.get(name);
}

/** @internal Whether a TypedArray of element type `arrayType` holds `dtype` data (float16 travels as raw halves in a `Uint16Array`). */
export function arrayFitsDtype(arrayType: LiteDataType | undefined, dtype: LiteDataType): boolean {
  return arrayType === dtype || (arrayType === LiteDataType.LITE_UINT16 && dtype === LiteDataType.LITE_HALF);
}

/**
 * @internal Writes `values` (numbers, or bigints) into `out`, an array of `dtype`'s TypedArray, from index 0:
 * integers for int64, halves for float16. Throws `LITE_INVALID_ARGUMENT` (prefixed with `what`)
 * for a value that is not a number, not an integer for int64, or NaN for an integer dtype.
 */
export function writeNumbers(out: LiteTypedArray, values: readonly unknown[], dtype: LiteDataType, what: string): void {
  if (dtype === LiteDataType.LITE_INT64) {
    const o = out as BigInt64Array;
    values.forEach((v, i) => {
      if (typeof v !== 'bigint' && (typeof v !== 'number' || !Number.isSafeInteger(v))) invalid(`${what}: value ${i} (${show(v)}) is not an integer`);
      o[i] = BigInt(v);
    });
    return;
  }
  const o = out as Exclude<LiteTypedArray, BigInt64Array>;
  const float = dtype === LiteDataType.LITE_FLOAT || dtype === LiteDataType.LITE_HALF;
  values.forEach((v, i) => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || (Number.isNaN(n) && !float)) invalid(`${what}: value ${i} (${show(v)}) is not a number`);
    o[i] = dtype === LiteDataType.LITE_HALF ? floatToHalf(n) : n;
  });
}
