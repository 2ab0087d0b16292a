import { LiteDataType } from './enums.js';
import { invalid, show } from './errors.js';

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

interface DTypeInfo {
  name: DTypeName;
  size: number;
  array: TypedArrayConstructor;
}

const INFO: Record<LiteDataType, DTypeInfo> = {
  [LiteDataType.LITE_FLOAT]: { name: 'float32', size: 4, array: Float32Array },
  [LiteDataType.LITE_HALF]: { name: 'float16', size: 2, array: Uint16Array },
  [LiteDataType.LITE_INT]: { name: 'int32', size: 4, array: Int32Array },
  [LiteDataType.LITE_INT16]: { name: 'int16', size: 2, array: Int16Array },
  [LiteDataType.LITE_INT8]: { name: 'int8', size: 1, array: Int8Array },
  [LiteDataType.LITE_UINT8]: { name: 'uint8', size: 1, array: Uint8Array },
  [LiteDataType.LITE_UINT]: { name: 'uint32', size: 4, array: Uint32Array },
  [LiteDataType.LITE_UINT16]: { name: 'uint16', size: 2, array: Uint16Array },
  [LiteDataType.LITE_INT64]: { name: 'int64', size: 8, array: BigInt64Array },
};

const BY_NAME = new Map<string, LiteDataType>(
  (Object.keys(INFO) as unknown as string[]).map((k) => [INFO[Number(k) as LiteDataType].name, Number(k) as LiteDataType]),
);

const BY_CTOR = new Map<unknown, LiteDataType>([
  [Float32Array, LiteDataType.LITE_FLOAT],
  [Int32Array, LiteDataType.LITE_INT],
  [Int16Array, LiteDataType.LITE_INT16],
  [Int8Array, LiteDataType.LITE_INT8],
  [Uint8Array, LiteDataType.LITE_UINT8],
  [Uint8ClampedArray, LiteDataType.LITE_UINT8],
  [Uint16Array, LiteDataType.LITE_UINT16],
  [Uint32Array, LiteDataType.LITE_UINT],
  [BigInt64Array, LiteDataType.LITE_INT64],
]);

/** Resolves any {@link DTypeLike} to a {@link LiteDataType}; throws `LITE_INVALID_ARGUMENT` otherwise. */
export function toDataType(dtype: DTypeLike | undefined): LiteDataType {
  if (dtype === undefined) return LiteDataType.LITE_FLOAT;
  if (typeof dtype === 'number') {
    if (Number.isInteger(dtype) && dtype in INFO) return dtype;
    return invalid(`unknown LiteDataType ${show(dtype)}`);
  }
  if (typeof dtype === 'string') {
    const found = BY_NAME.get(dtype);
    if (found === undefined) return invalid(`unknown dtype ${show(dtype)} (expected one of ${[...BY_NAME.keys()].join(', ')})`);
    return found;
  }
  const found = typeof dtype === 'function' ? BY_CTOR.get(dtype) : undefined;
  if (found === undefined) return invalid(`unsupported dtype ${show(dtype)} (expected a LiteDataType, a dtype name or a TypedArray constructor)`);
  return found;
}

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: LiteDataType): number {
  return INFO[dtype].size;
}

/** numpy-style name of a dtype. */
export function dtypeName(dtype: LiteDataType): DTypeName {
  return INFO[dtype].name;
}

/** The TypedArray constructor data of a dtype travels in. */
export function dtypeArray(dtype: LiteDataType): TypedArrayConstructor {
  return INFO[dtype].array;
}

/** The dtype a TypedArray's elements naturally have (`Uint16Array` → uint16, not float16). */
export function dataTypeOfArray(array: ArrayBufferView): LiteDataType | undefined {
  return BY_CTOR.get(array.constructor);
}

/** Converts IEEE 754 half-precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts a number to IEEE 754 half-precision bits (round to nearest even). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  // A carry out of the mantissa correctly bumps the exponent (and may round up to infinity).
  return sign | half;
}

/** Converts raw float16 halves to a `Float32Array`. */
export function halfArrayToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = halfToFloat(halves[i] as number);
  return out;
}

/** Converts numbers to raw float16 halves. */
export function float32ToHalfArray(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i] as number);
  return out;
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
