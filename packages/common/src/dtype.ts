// The dtype tables both engines read: what each element type is called (numpy's names), how
// many bytes an element takes and which TypedArray its data travels in. Each engine maps its own
// enum (`LiteDataType`, `DataType`) to these names.

/**
 * Element type names, as numpy spells them. Each engine supports a subset (MegEngine Lite 1.13:
 * no bool, uint64 or float64; MindSpore Lite: all).
 */
export type DTypeName = 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'float16' | 'float32' | 'float64';

/**
 * Any TypedArray tensor data travels in, on either engine. float16 travels as raw IEEE halves in
 * a `Uint16Array`, bool as 0/1 bytes in a `Uint8Array`.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** The constructor of a {@link TensorData} kind. */
export interface TensorDataConstructor {
  new (length: number): TensorData;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** What {@link DTYPES} says about one element type. */
export interface DTypeInfo {
  /** The numpy name. */
  readonly name: DTypeName;
  /** Bytes per element. */
  readonly size: number;
  /** The TypedArray its data travels in. */
  readonly array: TensorDataConstructor;
}

function info(name: DTypeName, array: TensorDataConstructor): DTypeInfo {
  return Object.freeze({ name, size: array.BYTES_PER_ELEMENT, array });
}

/**
 * The dtype table, by numpy name.
 *
 * @example
 * DTYPES.float16.array; // Uint16Array (raw halves)
 * DTYPES.int64.size; // 8
 */
export const DTYPES: Readonly<Record<DTypeName, DTypeInfo>> = Object.freeze({
  bool: info('bool', Uint8Array),
  int8: info('int8', Int8Array),
  int16: info('int16', Int16Array),
  int32: info('int32', Int32Array),
  int64: info('int64', BigInt64Array),
  uint8: info('uint8', Uint8Array),
  uint16: info('uint16', Uint16Array),
  uint32: info('uint32', Uint32Array),
  uint64: info('uint64', BigUint64Array),
  float16: info('float16', Uint16Array),
  float32: info('float32', Float32Array),
  float64: info('float64', Float64Array),
});

/**
 * The dtype each TypedArray kind stands for when nothing else is said (`Uint16Array` is uint16,
 * not float16; `Uint8ClampedArray` is uint8).
 *
 * @example
 * dtypeOfTypedArray(new Float32Array(4)); // 'float32'
 */
export function dtypeOfTypedArray(array: ArrayBufferView): DTypeName | undefined {
  return BY_CTOR.get(array.constructor);
}

/**
 * The dtype a TypedArray constructor stands for (as {@link dtypeOfTypedArray}), or undefined for
 * anything else.
 *
 * @example
 * dtypeOfConstructor(Int32Array); // 'int32'
 */
export function dtypeOfConstructor(ctor: unknown): DTypeName | undefined {
  return BY_CTOR.get(ctor);
}

const BY_CTOR = new Map<unknown, DTypeName>([
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Int16Array, 'int16'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
  [Uint8Array, 'uint8'],
  [Uint8ClampedArray, 'uint8'],
  [Uint16Array, 'uint16'],
  [Uint32Array, 'uint32'],
  [BigUint64Array, 'uint64'],
]);

/**
 * Converts IEEE 754 half-precision bits to a number.
 *
 * @example
 * halfToFloat(0x3c00); // 1
 */
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

/**
 * Converts a number to IEEE 754 half-precision bits (round to nearest even).
 *
 * @example
 * floatToHalf(1); // 0x3c00
 */
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
