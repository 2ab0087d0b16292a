// What `predict` (of a network or a pool) does with its feeds, synchronously inside the call:
// check every input is given, check each feed against the model's declared input, and take a
// private copy of the data. Nothing the caller does afterwards can reach a queued or running call.
import type { ShapedFeed } from '@lite/common';
import { type LiteTypedArray, arrayFitsDtype, dataTypeOfArray, dtypeArray, dtypeName, dtypeSize, writeNumbers } from './dtype.js';
import { LiteDataType } from './enums.js';
import { LiteError, invalid, show } from './errors.js';
import { LiteLayout, checkShape } from './layout.js';
export type { ShapedFeed } from '@lite/common';
import { type BinaryLike, LiteTensor, type NdArrayLike, checkNotDetached, convertData } from './tensor.js';

/**
 * What `predict` accepts per input. Every kind is copied during the `predict` call.
 *
 * - a TypedArray of the input's dtype (float16: raw halves in a `Uint16Array`), or raw bytes
 *   (`Uint8Array`, `Buffer`, `ArrayBuffer`, `DataView`): exactly the model's declared layout;
 * - a number array with exactly the declared element count;
 * - {@link ShapedFeed} `{ data, shape }`, a {@link LiteTensor} or an ndarray: their own shape,
 *   for this call only. The rank must be the declared one (`LITE_INVALID_ARGUMENT` before the
 *   engine, e.g. for `[1, 784]` given to a `[1, 1, 28, 28]` input); other sizes (a batch, a
 *   spatial size) run when the graph allows them, else the engine's failure is `LITE_ERROR`.
 */
export type Feed = BinaryLike | readonly number[] | ShapedFeed | LiteTensor | NdArrayLike;

/**
 * One input of a prepared call: its bytes and the layout they are read in. The bytes may be a
 * view of the caller's data: the binding copies them while the call runs (before it returns),
 * which is what makes "inputs copied during the call" hold without copying twice.
 */
export interface PreparedInput {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly layout: LiteLayout;
  /** Whether the layout came from the feed (not the model's declared one). */
  readonly shaped: boolean;
}

function fmt(layout: LiteLayout): string {
  return `[${layout.shapes.join(', ')}] ${layout.dtype}`;
}

function isShapedFeed(value: object): value is ShapedFeed {
  return 'data' in value && 'shape' in value && !('stride' in value) && Array.isArray((value as { shape: unknown }).shape);
}

function bytesOf(view: ArrayBufferView | ArrayBuffer): Uint8Array {
  return view instanceof ArrayBuffer ? new Uint8Array(view) : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

// A TypedArray whose elements are not the input's dtype would be reinterpreted byte for byte;
// raw-byte kinds are taken as they are.
function checkElementType(what: string, data: ArrayBufferView | ArrayBuffer, dtype: LiteDataType): void {
  if (data instanceof ArrayBuffer || data instanceof DataView || data instanceof Uint8Array) return;
  const arrayType = dataTypeOfArray(data);
  if (!arrayFitsDtype(arrayType, dtype)) {
    const want = dtypeArray(dtype).name;
    invalid(`${what}: a ${data.constructor.name} cannot feed a ${dtypeName(dtype)} input; pass a ${want}${dtype === LiteDataType.LITE_HALF ? ' of raw halves' : ''} or raw bytes`);
  }
}

/** Converts exactly `layout.count` numbers into the layout's dtype. */
export function numbersToArray(what: string, values: readonly unknown[], layout: LiteLayout): LiteTypedArray {
  if (values.length !== layout.count) invalid(`${what}: got ${values.length} ${values.length === 1 ? 'number' : 'numbers'}, ${fmt(layout)} holds ${layout.count}`);
  const out = new (dtypeArray(layout.dataType))(layout.count);
  writeNumbers(out, values, layout.dataType, what);
  return out;
}

function fromBinary(what: string, data: BinaryLike, layout: LiteLayout, shaped: boolean): Uint8Array {
  checkNotDetached(data, -1, `${what}: the data`);
  checkElementType(what, data, layout.dataType);
  if (data.byteLength !== layout.nbytes) {
    const size = dtypeSize(layout.dataType);
    const got = data instanceof ArrayBuffer || data instanceof DataView || data instanceof Uint8Array ? `${data.byteLength} bytes` : `${data.byteLength / size} values`;
    const hint = shaped ? '' : '; give { data, shape } to use another shape for this call';
    invalid(`${what}: got ${got}, ${fmt(layout)} holds ${layout.count} values (${layout.nbytes} bytes)${hint}`);
  }
  return bytesOf(data);
}

function dims(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A feed that carries a shape keeps the declared rank: the engine runs other sizes where the
 * graph allows (a batch, a spatial size) and is left to judge those, but a rank change is almost
 * always data flattened or squeezed by mistake (`[1, 784]` for `[1, 1, 28, 28]`), which the
 * engine only reports as an assertion. Another rank can still be set on the input tensor itself
 * (`setDataByCopy(data, { layout })`, then `forward`), as in megenginelite.
 */
function checkRank(w: string, kind: string, shape: readonly number[], declared: LiteLayout): void {
  if (declared.ndim === 0 || shape.length === declared.ndim) return;
  const count = shape.reduce((a, d) => a * d, 1);
  const hint = count === declared.count ? `; for these ${count} values give shape ${dims(declared.shapes)}` : '';
  invalid(
    `${w}: ${kind} has shape ${dims(shape)} (${shape.length} ${shape.length === 1 ? 'dim' : 'dims'}) but the model declares ${dims(declared.shapes)} (${declared.ndim} dims); a feed must keep the declared rank${hint}`,
  );
}

function prepareOne(name: string, feed: unknown, declared: LiteLayout, what: string): PreparedInput {
  const w = `${what}: input "${name}"`;
  if (feed instanceof LiteTensor) {
    const layout = feed.layout;
    if (layout.dataType !== declared.dataType) invalid(`${w}: the LiteTensor is ${layout.dtype}, the model's input is ${declared.dtype}`);
    checkRank(w, 'the LiteTensor', layout.shapes, declared);
    const data = feed.toTypedArray();
    return { name, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), layout, shaped: true };
  }
  if (feed instanceof ArrayBuffer || ArrayBuffer.isView(feed)) {
    return { name, bytes: fromBinary(w, feed, declared, false), layout: declared, shaped: false };
  }
  if (Array.isArray(feed)) {
    const data = numbersToArray(w, feed, declared);
    return { name, bytes: new Uint8Array(data.buffer), layout: declared, shaped: false };
  }
  if (feed !== null && typeof feed === 'object') {
    const converted = convertData(feed);
    if (converted) {
      const layout = converted.layout;
      if (layout.dataType !== declared.dataType) invalid(`${w}: the ndarray holds ${layout.dtype}, the model's input is ${declared.dtype}`);
      checkRank(w, 'the ndarray', layout.shapes, declared);
      return { name, bytes: fromBinary(w, converted.data, layout, true), layout, shaped: true };
    }
    if (isShapedFeed(feed)) {
      const shape = [...feed.shape];
      checkShape(shape);
      checkRank(w, '{ data, shape }', shape, declared);
      const layout = new LiteLayout(shape, declared.dataType);
      if (Array.isArray(feed.data)) {
        const data = numbersToArray(w, feed.data, layout);
        return { name, bytes: new Uint8Array(data.buffer), layout, shaped: true };
      }
      if (feed.data instanceof ArrayBuffer || ArrayBuffer.isView(feed.data)) {
        return { name, bytes: fromBinary(w, feed.data, layout, true), layout, shaped: true };
      }
      invalid(`${w}: { data, shape } needs data as a TypedArray, raw bytes or a number array, got ${show(feed.data)}`);
    }
  }
  return invalid(`${w}: expected a TypedArray, raw bytes, a number array, { data, shape }, a LiteTensor or an ndarray (with @lite/ndarray), got ${show(feed)}`);
}

/**
 * Checks `feeds` against the model's declared inputs and copies every feed. Throws
 * `LITE_INVALID_ARGUMENT` naming missing or unknown inputs, wrong element types or sizes.
 */
export function prepareFeeds(feeds: unknown, declared: ReadonlyMap<string, LiteLayout>, what = 'predict'): PreparedInput[] {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds) || feeds instanceof LiteTensor || ArrayBuffer.isView(feeds)) {
    invalid(`${what} expects an object of input name → data (inputs: ${[...declared.keys()].join(', ')}), got ${show(feeds)}`);
  }
  const given = Object.keys(feeds);
  const unknown = given.filter((k) => !declared.has(k));
  const missing = [...declared.keys()].filter((k) => !Object.hasOwn(feeds, k) || (feeds as Record<string, unknown>)[k] === undefined);
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing input${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (unknown.length > 0) parts.push(`unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}`);
    throw new LiteError('LITE_INVALID_ARGUMENT', `${what}: ${parts.join('; ')} (the model's inputs: ${[...declared.keys()].join(', ')})`);
  }
  return [...declared].map(([name, layout]) => prepareOne(name, (feeds as Record<string, unknown>)[name], layout, what));
}
