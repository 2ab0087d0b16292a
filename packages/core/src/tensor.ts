import type { NativeTensor } from '@lite/binding';
import { type DTypeLike, type LiteNumberArray, type LiteTypedArray, arrayFitsDtype, dataTypeOfArray, dtypeArray, dtypeName, dtypeSize, halfArrayToFloat32, writeNumbers } from './dtype.js';
import { LiteDataType, LiteDeviceType } from './enums.js';
import { LiteError, invalid, isEnumValue, native, show } from './errors.js';
import { LiteLayout, checkShape } from './layout.js';
import { lib } from './native.js';
import { constants as bufferConstants } from 'node:buffer';
import { markAsUntransferable } from 'node:worker_threads';

// Dtype masks for the one-call share (bit `1 << dtype`): raw bytes may hold any dtype, a
// TypedArray the dtypes `arrayFitsDtype` allows (cached per array type).
const ANY_DTYPE = 0xffff_ffff;
const heldBy = new Map<LiteDataType, number>();
function dtypesHeldBy(arrayType: LiteDataType): number {
  let mask = heldBy.get(arrayType);
  if (mask === undefined) {
    mask = 0;
    for (const d of Object.values(LiteDataType)) {
      if (typeof d === 'number' && d >= 0 && d < 32 && arrayFitsDtype(arrayType, d)) mask |= 1 << d;
    }
    mask >>>= 0;
    heldBy.set(arrayType, mask);
  }
  return mask;
}

/** Raw memory accepted by `setDataByCopy` / `setDataByShare`. */
export type { BinaryLike } from '@lite/common';
import type { BinaryLike } from '@lite/common';

/**
 * The structural shape of an n-dimensional array (what a scijs `ndarray` has), accepted by
 * `setDataByCopy` / `setDataByShare` once `@lite/ndarray` is loaded. Only these four members are
 * read; `{ foo: 1 }` does not match.
 */
export interface NdArrayLike {
  /** Backing storage: a TypedArray, a plain array, or a `get`-style generic array. */
  readonly data: ArrayLike<number | bigint> | { get(i: number): number | bigint; readonly length: number };
  /** Dimensions. */
  readonly shape: readonly number[];
  /** Element step per dimension (may be negative). */
  readonly stride: readonly number[];
  /** Index in `data` of element `[0, 0, ...]`. */
  readonly offset: number;
}

/**
 * Hook through which add-on packages (e.g. `@lite/ndarray`) teach `setDataByCopy` /
 * `setDataByShare` new input kinds without `@lite/core` depending on them. A converter returns
 * `undefined` when it does not recognise the value; `shared: false` says that `data` is a packed
 * copy of the input (a strided view, a dtype conversion), which `setDataByShare` then refuses
 * (sharing the copy would silently decouple the caller's array from the tensor).
 */
export type DataConverter = (data: unknown) => { data: BinaryLike; layout: LiteLayout; shared?: boolean } | undefined;

const converters: DataConverter[] = [];

/** Registers a {@link DataConverter} (used by `@lite/ndarray`; idempotent per function). */
export function registerDataConverter(converter: DataConverter): void {
  if (!converters.includes(converter)) converters.push(converter);
}

/** Largest byte length V8 allows for one ArrayBuffer on this platform. */
const MAX_TYPED_ARRAY_BYTES = bufferConstants.MAX_LENGTH;

// Numbers the binding writes per call (a layout, share info) instead of making a new object:
// the per-call fast path. Module-local, so one per JS environment; read right after each call.
const scratch = new Float64Array(16);

// ArrayBuffers already marked untransferable (the mark is permanent): skip the call next time.
const pinned = new WeakSet<ArrayBufferLike>();

/** @internal what the registered converters make of `data` (`undefined`: none recognised it). */
export function convertData(data: unknown): ReturnType<DataConverter> {
  for (const c of converters) {
    const r = c(data);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Options of {@link LiteTensor.setDataByCopy} and {@link LiteTensor.setDataByShare}. */
export interface SetDataOptions {
  /** Relayout the tensor to this layout (or shape, keeping the dtype) before taking the data. */
  layout?: LiteLayout | readonly number[];
}

/** Options-object form of the {@link LiteTensor} constructor. */
export interface LiteTensorOptions {
  /** Layout; alternatively give `shapes` (+ `dtype`). */
  layout?: LiteLayout;
  /** Shape, when no `layout` is given. */
  shapes?: readonly number[];
  /** dtype, when no `layout` is given (default float32). */
  dtype?: DTypeLike;
  /** Device (default `LITE_CPU`). */
  deviceType?: LiteDeviceType;
  /** Device id (default 0). */
  deviceId?: number;
  /** Pinned host memory (needs CUDA). */
  isPinnedHost?: boolean;
}

// Zero-copy views of engine-owned memory, by address, so one block of native memory is wrapped
// by at most one live external ArrayBuffer (V8 wants one backing store per external pointer).
const externalViews = new Map<number, WeakRef<ArrayBuffer>>();
const externalCleanup = new FinalizationRegistry<number>((address) => {
  const ref = externalViews.get(address);
  if (ref && ref.deref() === undefined) externalViews.delete(address);
});
// A view of caller memory keeps that memory reachable for as long as the view lives.
const viewRetainers = new WeakMap<object, readonly Retained[]>();

function toBytes(data: BinaryLike): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return invalid(`expected a TypedArray, Buffer, ArrayBuffer or DataView, got ${show(data)}`);
}

/** Caller memory a tensor points into, with the byte length it had when it was shared. */
interface Retained {
  readonly source: BinaryLike;
  readonly byteLength: number;
}

function bufferOf(data: BinaryLike): ArrayBufferLike {
  return data instanceof ArrayBuffer ? data : data.buffer;
}

// Whether a buffer was detached (transferred). `ArrayBuffer.prototype.detached` is missing on
// older Node 20 releases; there a detached buffer has byteLength 0 and refuses new views.
function isDetached(buffer: ArrayBufferLike & { detached?: boolean }): boolean {
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * @internal LITE_INVALID_ARGUMENT "<what> was detached (transferred)" for data whose buffer was
 * detached (a TypedArray, DataView or ArrayBuffer alike: a DataView's byteLength would throw a
 * TypeError); with `expectedBytes` > 0 also when the byte length changed (a shrunk resizable one).
 */
export function checkNotDetached(data: BinaryLike, expectedBytes: number, what: string): void {
  const buffer = bufferOf(data) as ArrayBufferLike & { detached?: boolean };
  if (isDetached(buffer)) throw new LiteError('LITE_INVALID_ARGUMENT', `${what} was detached (transferred)`);
  // byteLength of a view over a detached buffer is 0; never construct a view of it (that throws).
  if (buffer.detached === true || (expectedBytes > 0 && data.byteLength !== expectedBytes)) {
    throw new LiteError('LITE_INVALID_ARGUMENT', `${what} was detached (transferred) or resized`);
  }
}

function checkOptions(options: unknown, what: string): void {
  if (options === null || typeof options !== 'object') invalid(`${what}: options must be an object, got ${show(options)}`);
}

function toLayout(layout: LiteLayout | readonly number[], keepDType: LiteDataType): LiteLayout {
  if (layout instanceof LiteLayout) return layout;
  if (Array.isArray(layout)) return new LiteLayout(layout, keepDType);
  return invalid(`layout must be a LiteLayout or a shape array, got ${show(layout)}`);
}

/**
 * A tensor (megenginelite's `LiteTensor`): a layout plus memory, allocated lazily on first use.
 *
 * @example
 * const t = new LiteTensor(new LiteLayout([2, 16], 'int32'));
 * t.setDataByCopy(Array.from({ length: 32 }, (_, i) => i));
 * t.toTypedArray(); // Int32Array [0, 1, ..., 31]
 */
export class LiteTensor implements Disposable {
  #native: NativeTensor | null;
  // Caller memory (from setDataByShare) this tensor, or one whose memory it shares, may point into.
  #retained: readonly Retained[] = [];
  // The last zero-copy view of engine memory made by getDataByShare (see #shareAll).
  #lastView: { readonly address: number; readonly buffer: ArrayBuffer } | null = null;
  // Keeps the owner of this tensor (e.g. its network) alive as long as the tensor is.
  readonly #owner: object | undefined;

  /**
   * @param layout layout (or options object); memory is allocated on first use.
   * @param deviceType device, default `LITE_CPU`.
   * @param deviceId device id, default 0.
   * @param isPinnedHost pinned host memory (needs CUDA), default false.
   */
  constructor(layout?: LiteLayout | LiteTensorOptions | readonly number[] | null, deviceType?: LiteDeviceType, deviceId?: number, isPinnedHost?: boolean);
  /** @internal wraps a native tensor (e.g. a network's IO tensor). */
  constructor(internal: { native: NativeTensor; owner?: object; retained?: readonly Retained[] });
  constructor(
    first?: LiteLayout | LiteTensorOptions | readonly number[] | null | { native: NativeTensor; owner?: object; retained?: readonly Retained[] },
    deviceType: LiteDeviceType = LiteDeviceType.LITE_CPU,
    deviceId = 0,
    isPinnedHost = false,
  ) {
    if (first && typeof first === 'object' && 'native' in first && !(first instanceof LiteLayout)) {
      this.#native = first.native;
      this.#owner = first.owner;
      this.#retained = first.retained ?? [];
      return;
    }
    let layout: LiteLayout | undefined;
    if (first instanceof LiteLayout) layout = first;
    else if (Array.isArray(first)) layout = new LiteLayout(first as readonly number[]);
    else if (first && typeof first === 'object') {
      const o = first as LiteTensorOptions;
      layout = o.layout ?? (o.shapes !== undefined || o.dtype !== undefined ? new LiteLayout(o.shapes ?? [], o.dtype) : undefined);
      deviceType = o.deviceType ?? deviceType;
      deviceId = o.deviceId ?? deviceId;
      isPinnedHost = o.isPinnedHost ?? isPinnedHost;
    } else if (first !== undefined && first !== null) {
      invalid(`LiteTensor expects a LiteLayout, a shape array or an options object, got ${show(first)}`);
    }
    if (!Number.isInteger(deviceId) || deviceId < 0) invalid(`deviceId must be a non-negative integer, got ${show(deviceId)}`);
    if (!isEnumValue(LiteDeviceType, deviceType)) invalid(`unknown deviceType ${show(deviceType)}`);
    const b = lib();
    this.#native = native(() => new b.NativeTensor(layout?.toNative() ?? null, deviceType, deviceId, Boolean(isPinnedHost)));
  }

  /**
   * @internal the live native tensor; throws `LITE_DISPOSED` after dispose. (A network's tensor
   * refuses calls with `LITE_BUSY` while the network's executor holds it: the binding checks.)
   */
  get native(): NativeTensor {
    if (!this.#native) throw new LiteError('LITE_DISPOSED', 'the LiteTensor was disposed');
    return this.#native;
  }

  /** @internal caller memory this tensor may point into. */
  get retained(): readonly Retained[] {
    return this.#retained;
  }

  #checkShared(): void {
    for (const r of this.#retained) checkNotDetached(r.source, r.byteLength, 'memory shared with this tensor by setDataByShare');
  }

  /** Shape and dtype. Assign a {@link LiteLayout} or a shape array (keeps the dtype) to relayout. */
  get layout(): LiteLayout {
    const t = this.native;
    native(() => t.layoutInto(scratch));
    const ndim = scratch[1] as number;
    const shapes = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) shapes[i] = scratch[2 + i] as number;
    return LiteLayout.fromNative({ shapes, dataType: scratch[0] as number });
  }

  set layout(layout: LiteLayout | readonly number[]) {
    const t = this.native;
    const next = toLayout(layout, LiteLayout.fromNative(native(() => t.layout())).dataType);
    native(() => t.setLayout(next.toNative()));
  }

  /** Whether the memory is page-locked host memory (CUDA only). */
  get isPinnedHost(): boolean {
    const t = this.native;
    return native(() => t.isPinnedHost());
  }

  /** Device type. */
  get deviceType(): LiteDeviceType {
    const t = this.native;
    return native(() => t.deviceType()) as LiteDeviceType;
  }

  /** Device id. */
  get deviceId(): number {
    const t = this.native;
    return native(() => t.deviceId());
  }

  /** Whether the memory is contiguous (false for most slices). */
  get isContinue(): boolean {
    const t = this.native;
    return native(() => t.isContinue());
  }

  /** Size of the tensor's data in bytes (`count * dtypeSize`). */
  get nbytes(): number {
    const t = this.native;
    return native(() => t.nbytes());
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#native === null;
  }

  /** Sets every byte to zero (allocating if needed). */
  fillZero(): void {
    const t = this.native;
    this.#checkShared();
    native(() => t.fillZero());
  }

  /**
   * Copies `src`'s data into this tensor, taking `src`'s layout (shape and dtype) when it differs.
   * A non-contiguous tensor (a slice) keeps its layout, so `src` must have the same one. If the
   * copy fails, this tensor is unchanged. Copying a tensor from itself does nothing.
   */
  copyFrom(src: LiteTensor): void {
    if (!(src instanceof LiteTensor)) invalid(`copyFrom expects a LiteTensor, got ${show(src)}`);
    const t = this.native;
    const s = src.native;
    src.#checkShared();
    this.#checkShared();
    if (s === t) return;
    native(() => t.copyFrom(s));
  }

  /** Makes this tensor use `src`'s memory (and layout/device); writes through one show in the other. Sharing with itself does nothing. */
  shareMemoryWith(src: LiteTensor): void {
    if (!(src instanceof LiteTensor)) invalid(`shareMemoryWith expects a LiteTensor, got ${show(src)}`);
    const t = this.native;
    const s = src.native;
    src.#checkShared();
    if (s === t) return;
    native(() => t.shareMemoryWith(s));
    this.#retained = [...src.#retained];
  }

  /** Changes the shape without moving data; the element count must stay the same (one `-1` allowed). */
  reshape(shape: readonly number[]): void {
    if (!Array.isArray(shape)) invalid(`reshape expects a shape array, got ${show(shape)}`);
    const t = this.native;
    const current = this.layout;
    const count = current.count;
    const dims = shape.map((d, i) => {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < -1) invalid(`shape[${i}] must be a non-negative integer or -1, got ${show(d)}`);
      return d;
    });
    const unknown = dims.filter((d) => d === -1).length;
    if (unknown > 1) invalid('reshape allows at most one -1');
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (unknown === 1) {
      if (known === 0 || count % known !== 0) invalid(`cannot reshape ${count} elements into [${dims.join(', ')}]`);
      dims[dims.indexOf(-1)] = count / known;
    }
    checkShape(dims);
    const next = dims.reduce((a, b) => a * b, 1);
    if (next !== count || dims.length === 0) invalid(`cannot reshape [${current.shapes.join(', ')}] (${count} elements) into [${shape.join(', ')}]`);
    native(() => t.reshape(dims));
  }

  /**
   * A tensor sharing this tensor's memory: `[start, end)` with `step` per dimension (like numpy
   * slicing). As in megenginelite, `start`/`end`/`step` may cover only the leading dimensions;
   * the others are kept whole. The result is usually not contiguous.
   */
  slice(start: readonly number[], end: readonly number[], step?: readonly number[]): LiteTensor {
    const t = this.native;
    const shapes = this.layout.shapes;
    const ndim = shapes.length;
    if (ndim === 0) invalid('cannot slice a tensor that has no layout yet');
    if (!Array.isArray(start)) invalid(`slice start must be an array, got ${show(start)}`);
    const n = start.length;
    if (n < 1 || n > ndim) invalid(`slice start has ${n} entries; the tensor has ${ndim} dimensions (1..${ndim} allowed)`);
    const check = (arr: readonly number[] | undefined, name: string): number[] | undefined => {
      if (arr === undefined) return undefined;
      if (!Array.isArray(arr)) invalid(`slice ${name} must be an array, got ${show(arr)}`);
      if (arr.length !== n) invalid(`slice ${name} has ${arr.length} entries, start has ${n}`);
      return arr.map((v: unknown, i) => {
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) invalid(`slice ${name}[${i}] must be an integer, got ${show(v)}`);
        return v;
      });
    };
    const s = check(start, 'start') as number[];
    const e = check(end, 'end') as number[];
    const st = check(step, 'step') ?? s.map(() => 1);
    for (let i = 0; i < n; i++) {
      const dim = shapes[i] as number;
      if ((st[i] as number) < 1) invalid(`slice step[${i}] must be >= 1, got ${st[i]}`);
      if ((s[i] as number) < 0 || (s[i] as number) >= dim) invalid(`slice start[${i}] = ${s[i]} is out of range [0, ${dim})`);
      if ((e[i] as number) <= (s[i] as number) || (e[i] as number) > dim) invalid(`slice end[${i}] = ${e[i]} must be in (${s[i]}, ${dim}]`);
    }
    this.#checkShared();
    const child = native(() => t.slice(s, e, st));
    return new LiteTensor({ native: child, owner: this.#owner, retained: this.#retained });
  }

  /** Re-reads the tensor's layout/memory after the engine changed it (megenginelite's `update`). */
  update(): void {
    const t = this.native;
    native(() => t.update());
  }

  /**
   * Copies data into the tensor.
   *
   * - a number array: the layout is kept; the array must not be longer than the tensor
   *   (elements beyond it are left unchanged).
   * - a TypedArray / Buffer / ArrayBuffer / DataView: its byte length must equal `nbytes`, unless
   *   `options.layout` is given (relayout first) or the tensor has no layout yet (then it becomes
   *   1-D of the array's dtype). TypedArrays of another element type than the tensor's dtype are
   *   rejected (raw bytes — Uint8Array, Buffer, ArrayBuffer, DataView — are accepted for any dtype;
   *   float16 travels as raw halves in a Uint16Array).
   * - an ndarray, when `@lite/ndarray` is loaded: the tensor takes its shape and dtype, as
   *   megenginelite's `set_data_by_copy` of a numpy array does (an int32 `[8, 64]` ndarray makes
   *   an int16 `[4, 32]` tensor int32 `[8, 64]`); `options.layout` overrides it.
   */
  setDataByCopy(data: readonly number[] | readonly bigint[] | BinaryLike | NdArrayLike, options: SetDataOptions = {}): void {
    checkOptions(options, 'setDataByCopy');
    const t = this.native;
    this.#checkShared();
    if (Array.isArray(data)) {
      if (options.layout !== undefined) this.layout = options.layout;
      this.#copyNumbers(data as readonly (number | bigint)[]);
      return;
    }
    const { bytes, layout } = this.#prepare(data, options, 'setDataByCopy');
    if (layout) native(() => t.setLayout(layout.toNative()));
    native(() => t.writeBytes(bytes));
  }

  /**
   * Makes the tensor use `data`'s memory without copying (CPU tensors only). The tensor keeps
   * `data` reachable while it uses it; writes to `data` are visible to the tensor and back.
   * Size and dtype rules are those of {@link setDataByCopy}; with a different size the tensor
   * takes `options.layout` or, without one, a 1-D layout of the array's dtype. A C-contiguous
   * ndarray (with `@lite/ndarray`) brings its shape and dtype, as in megenginelite.
   *
   * The memory is pinned: its `ArrayBuffer` is marked untransferable
   * (`worker_threads.markAsUntransferable`, permanent), so `postMessage(x, [buffer])` and
   * `structuredClone(x, { transfer: [buffer] })` copy it (or, on newer Node, throw) instead of
   * detaching it from under the engine. A buffer detached anyway (e.g. by another addon) makes
   * the next use of the tensor, and the next run of its network, throw `LITE_INVALID_ARGUMENT`.
   */
  setDataByShare(data: BinaryLike | NdArrayLike, options: SetDataOptions = {}): void {
    checkOptions(options, 'setDataByShare');
    const t = this.native;
    if (options.layout === undefined && this.#shareAsIs(t, data)) return;
    if (Array.isArray(data)) invalid('setDataByShare needs a TypedArray, Buffer, ArrayBuffer or DataView (a number array cannot be shared)');
    const { bytes, layout, source, current } = this.#prepare(data, options, 'setDataByShare', true);
    const target = layout ?? current;
    // Pin the memory: from now on a transfer (postMessage, structuredClone) copies this buffer
    // instead of detaching it, so the engine can never read memory JS has handed away.
    const buffer = bufferOf(source);
    if (buffer instanceof ArrayBuffer && !pinned.has(buffer)) {
      markAsUntransferable(buffer);
      pinned.add(buffer);
    }
    native(() => t.shareBytes(bytes, layout === undefined ? null : target.toNative()));
    this.#retained = [{ source, byteLength: bytes.byteLength }];
  }

  /**
   * The common `setDataByShare` in one native call: a TypedArray or ArrayBuffer whose bytes are
   * exactly the tensor's under its current layout, of a dtype the array may hold. False (nothing
   * changed) in every other case: the checking path then decides, and explains a mismatch.
   */
  #shareAsIs(t: NativeTensor, data: unknown): boolean {
    let dtypes: number;
    let bytes: Uint8Array;
    // Empty or detached (a detached ArrayBuffer and its TypedArrays read 0 bytes; a view of one
    // cannot be made): the checking path explains. DataViews always take that path.
    if (data instanceof ArrayBuffer) {
      if (data.byteLength === 0) return false;
      dtypes = ANY_DTYPE;
      bytes = new Uint8Array(data);
    } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
      if (data.byteLength === 0) return false;
      if (data instanceof Uint8Array) {
        // Raw bytes: any dtype, when aligned for every element size.
        if (data.byteOffset % 8 !== 0) return false;
        dtypes = ANY_DTYPE;
      } else {
        const arrayType = dataTypeOfArray(data);
        if (arrayType === undefined) return false;
        dtypes = dtypesHeldBy(arrayType);
      }
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      return false;
    }
    const buffer = bufferOf(data);
    if ((buffer as { resizable?: boolean }).resizable === true) return false;
    if (!native(() => t.shareIfFits(bytes, dtypes))) return false;
    // Pinned as in the checking path (no JS ran since the engine took the memory).
    if (buffer instanceof ArrayBuffer && !pinned.has(buffer)) {
      markAsUntransferable(buffer);
      pinned.add(buffer);
    }
    this.#retained = [{ source: data, byteLength: bytes.byteLength }];
    return true;
  }

  #prepare(
    data: unknown,
    options: SetDataOptions,
    what: string,
    share = false,
  ): { bytes: Uint8Array; layout: LiteLayout | undefined; source: BinaryLike; current: LiteLayout } {
    let source: BinaryLike;
    let layoutFromData: LiteLayout | undefined;
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      source = data;
    } else {
      const converted = convertData(data);
      if (!converted) {
        return invalid(`${what} expects a number array, a TypedArray, Buffer, ArrayBuffer, DataView or an ndarray (with @lite/ndarray), got ${show(data)}`);
      }
      if (share && converted.shared === false) {
        return invalid(
          `${what}: this ndarray is strided, transposed or of another dtype, so only a copy could be shared; use setDataByCopy, or share a C-contiguous ndarray of the tensor's dtype`,
        );
      }
      source = converted.data;
      // An ndarray brings its layout, shape and dtype, which the tensor takes (megenginelite's
      // set_data_by_copy / set_data_by_share of a numpy array do the same).
      layoutFromData = converted.layout;
    }
    checkNotDetached(source, -1, `the data passed to ${what}`);
    const bytes = toBytes(source);
    if (share && (bufferOf(source) as { resizable?: boolean }).resizable === true) {
      invalid(`${what}: a resizable ArrayBuffer cannot be shared (it could shrink under the tensor)`);
    }
    const current = this.layout;
    let layout: LiteLayout | undefined;
    if (options.layout !== undefined) layout = toLayout(options.layout, current.dataType);
    else if (layoutFromData) layout = layoutFromData;
    const arrayType = ArrayBuffer.isView(source) && !(source instanceof DataView) ? dataTypeOfArray(source) : undefined;
    const raw = !ArrayBuffer.isView(source) || source instanceof DataView || source instanceof Uint8Array;
    if (!raw && arrayType === undefined) {
      // e.g. a Float64Array: no tensor dtype; never reinterpret its bytes.
      const want = (layout ?? current).ndim === 0 ? undefined : (layout ?? current).dataType;
      return invalid(
        want === undefined
          ? `${what}: a ${source.constructor.name} has no tensor dtype; convert it (e.g. Float32Array.from(data)) or pass raw bytes with options.layout`
          : `${what}: a ${source.constructor.name} cannot hold ${dtypeName(want)} data; pass a ${dtypeArray(want).name} (or raw bytes: Uint8Array, Buffer, ArrayBuffer, DataView)`,
      );
    }
    const target = layout ?? current;
    if (!layout && bytes.byteLength !== target.nbytes) {
      if (current.ndim === 0 || share) {
        if (arrayType === undefined || raw) {
          if (current.ndim === 0) return invalid(`${what}: the tensor has no layout; pass options.layout to describe raw bytes`);
          return invalid(`${what}: got ${bytes.byteLength} bytes but the tensor holds ${target.nbytes} (${current}); pass options.layout to relayout`);
        }
        const dtype = current.ndim === 0 ? arrayType : current.dataType;
        if (dtypeSize(dtype) !== dtypeSize(arrayType) || (current.ndim !== 0 && !arrayFitsDtype(arrayType, dtype))) {
          return invalid(`${what}: a ${source.constructor.name} cannot hold ${current.dtype} data`);
        }
        layout = new LiteLayout([bytes.byteLength / dtypeSize(dtype)], dtype);
      } else {
        return invalid(`${what}: got ${bytes.byteLength} bytes but the tensor holds ${target.nbytes} (${current}); pass options.layout to relayout`);
      }
    }
    const finalLayout = layout ?? current;
    if (bytes.byteLength !== finalLayout.nbytes) {
      return invalid(`${what}: got ${bytes.byteLength} bytes but ${finalLayout} needs ${finalLayout.nbytes}`);
    }
    if (!raw && arrayType !== undefined && !arrayFitsDtype(arrayType, finalLayout.dataType)) {
      return invalid(`${what}: a ${source.constructor.name} cannot hold ${finalLayout.dtype} data (use a matching TypedArray or raw bytes)`);
    }
    if (share && bytes.byteOffset % dtypeSize(finalLayout.dataType) !== 0) {
      return invalid(`${what}: the data is not aligned to its ${dtypeSize(finalLayout.dataType)}-byte elements`);
    }
    return { bytes, layout, source, current };
  }

  #copyNumbers(values: readonly (number | bigint)[]): void {
    const t = this.native;
    const layout = this.layout;
    if (layout.ndim === 0) invalid('setDataByCopy: the tensor has no layout; a number array keeps the layout, so set one first');
    if (values.length > layout.count) invalid(`setDataByCopy: ${values.length} values do not fit in ${layout} (${layout.count} elements)`);
    // Start from the current contents (a contiguous copy, also for slices) so elements past
    // the end of `values` keep their values, as documented.
    const full = this.#readAll();
    writeNumbers(full, values, layout.dataType, 'setDataByCopy');
    native(() => t.writeBytes(toBytes(full)));
  }

  /**
   * A zero-copy view of the tensor's memory, typed by its dtype (float16 as raw halves in a
   * `Uint16Array`). Later writes to the tensor show in the view and vice versa. The view never
   * points at freed memory: it keeps the memory alive after the tensor is disposed, relaid out,
   * re-shared or collected (it then no longer reflects the tensor). Contiguous tensors only.
   */
  getDataByShare(): LiteNumberArray {
    return numbers(this.#shareAll());
  }

  #shareAll(): LiteTypedArray {
    const t = this.native;
    this.#checkShared();
    // One call: host memory and contiguity checked, then [dataType, count, nbytes, address].
    native(() => t.shareInfo(scratch));
    const dataType = scratch[0] as LiteDataType;
    const count = scratch[1] as number;
    const nbytes = scratch[2] as number;
    const address = scratch[3] as number;
    const Ctor = dtypeArray(dataType);
    if (nbytes === 0) return new Ctor(0);
    if (this.#retained.length > 0) {
      const b = lib();
      for (const r of this.#retained) {
        const bytes = toBytes(r.source);
        const base = b.addressOf(bytes);
        if (address >= base && address + nbytes <= base + bytes.byteLength) {
          const view = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + (address - base), count);
          viewRetainers.set(view, this.#retained);
          return view;
        }
      }
    }
    // The last view this tensor made, held strongly: the common case (same memory as last
    // time) skips the WeakRef lookup. It pins at most one block the tensor no longer uses.
    const last = this.#lastView;
    if (last !== null && last.address === address && last.buffer.byteLength >= nbytes) return new Ctor(last.buffer, 0, count);
    let buffer = externalViews.get(address)?.deref();
    if (!buffer || buffer.byteLength < nbytes) {
      buffer = native(() => t.view());
      externalViews.set(address, new WeakRef(buffer));
      externalCleanup.register(buffer, address);
    }
    this.#lastView = { address, buffer };
    return new Ctor(buffer, 0, count);
  }

  /** A contiguous copy of the data (works for slices and device tensors); float16 as raw halves. */
  toTypedArray(): LiteNumberArray {
    return numbers(this.#readAll());
  }

  #readAll(): LiteTypedArray {
    const t = this.native;
    this.#checkShared();
    // One call: the binding makes the array (V8's own memory, the tensor's dtype) and fills it.
    return native(() => t.readTyped(MAX_TYPED_ARRAY_BYTES));
  }

  /** Beyond megenginelite: the data as float32 (converting float16 halves and integers). */
  toFloat32Array(): Float32Array {
    const data = this.#readAll();
    if (this.layout.dataType === LiteDataType.LITE_HALF) return halfArrayToFloat32(data as Uint16Array);
    if (data instanceof Float32Array) return data;
    if (data instanceof BigInt64Array) return Float32Array.from(data, (v) => Number(v));
    return Float32Array.from(data as ArrayLike<number>);
  }

  /** Releases the native tensor now (idempotent). Later use throws `LITE_DISPOSED`. */
  dispose(): void {
    const t = this.#native;
    this.#native = null;
    this.#retained = [];
    this.#lastView = null;
    t?.dispose();
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `LiteTensor([2, 4], float32, LITE_CPU)` (or `LiteTensor(disposed)`). */
  toString(): string {
    if (!this.#native) return 'LiteTensor(disposed)';
    const l = this.layout;
    return `LiteTensor([${l.shapes.join(', ')}], ${l.dtype}, ${LiteDeviceType[this.deviceType] ?? this.deviceType})`;
  }

  /**
   * Concatenates tensors of equal shape except along `dim` into a new tensor
   * (C `LITE_tensor_concat`).
   */
  static concat(tensors: readonly LiteTensor[], dim: number, deviceType: LiteDeviceType = LiteDeviceType.LITE_CPU, deviceId = 0): LiteTensor {
    if (!Array.isArray(tensors) || tensors.length === 0) invalid('concat needs a non-empty array of LiteTensors');
    tensors.forEach((t, i) => {
      if (!(t instanceof LiteTensor)) invalid(`concat: element ${i} is not a LiteTensor`);
    });
    const natives = tensors.map((t) => t.native);
    const first = tensors[0]!.layout;
    if (!Number.isInteger(dim) || dim < 0 || dim >= first.ndim) invalid(`concat dim ${show(dim)} is out of range for rank ${first.ndim}`);
    tensors.forEach((t, i) => {
      const l = t.layout;
      if (l.dataType !== first.dataType) invalid(`concat: tensor ${i} has dtype ${l.dtype}, expected ${first.dtype}`);
      if (l.ndim !== first.ndim || l.shapes.some((d: number, k: number) => k !== dim && d !== first.shapes[k])) {
        invalid(`concat: tensor ${i} has shape [${l.shapes.join(', ')}], incompatible with [${first.shapes.join(', ')}] along dim ${dim}`);
      }
      t.#checkShared();
    });
    const b = lib();
    return new LiteTensor({ native: native(() => b.concatTensors(natives, dim, deviceType, deviceId)) });
  }
}

// The 1.13 runtime has no int64 tensors, so this never throws in practice; it keeps the public
// return types free of BigInt64Array honestly.
function numbers(data: LiteTypedArray): LiteNumberArray {
  if (data instanceof BigInt64Array) throw new LiteError('LITE_UNSUPPORTED', 'int64 tensor data cannot be read as numbers (the 1.13 runtime has no int64 tensors)');
  return data;
}
