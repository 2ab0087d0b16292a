import { LiteDataType } from './enums.js';
import { invalid, show } from './errors.js';
import { type DTypeLike, type DTypeName, dtypeName, dtypeSize, toDataType } from './dtype.js';

/** Largest rank a tensor may have (the C struct holds 7 dims; we keep one spare like megenginelite). */
export const MAX_NDIM = 6;

/** Largest single dimension (the native layout carries 32-bit dimensions). */
export const MAX_DIM = 0xffffffff;

/** Validates a shape: an array of at most {@link MAX_NDIM} non-negative safe integers. */
export function checkShape(shape: readonly number[], what = 'shape'): number[] {
  if (!Array.isArray(shape)) return invalid(`${what} must be an array of integers, got ${show(shape)}`);
  if (shape.length > MAX_NDIM) return invalid(`${what} has rank ${shape.length}; at most ${MAX_NDIM} dimensions are supported`);
  return shape.map((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      return invalid(`${what}[${i}] must be a non-negative integer, got ${show(d)}`);
    }
    if (d > MAX_DIM) return invalid(`${what}[${i}] = ${d} is larger than ${MAX_DIM}`);
    return d;
  });
}

/**
 * Shape and element type of a tensor (megenginelite's `LiteLayout`).
 *
 * @example
 * const layout = new LiteLayout([1, 3, 224, 224], 'float32');
 * layout.ndim; // 4
 */
// Set while fromNative builds a layout from values the engine returned (already valid).
let trusted: { shapes: number[]; dataType: LiteDataType } | null = null;

export class LiteLayout {
  #shapes: number[];
  #dataType: LiteDataType;

  /**
   * @param shape dimensions (at most 6, non-negative integers); default `[]`.
   * @param dtype a {@link LiteDataType}, a dtype name or a TypedArray constructor; default float32.
   */
  constructor(shape: readonly number[] = [], dtype?: DTypeLike) {
    if (trusted !== null) {
      this.#shapes = trusted.shapes;
      this.#dataType = trusted.dataType;
      trusted = null;
      return;
    }
    this.#shapes = checkShape(shape);
    this.#dataType = toDataType(dtype);
  }

  /** The dimensions (a copy; assign to change). */
  get shapes(): number[] {
    return [...this.#shapes];
  }

  set shapes(shape: readonly number[]) {
    this.#shapes = checkShape(shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.#shapes.length;
  }

  /** Element type. */
  get dataType(): LiteDataType {
    return this.#dataType;
  }

  set dataType(dtype: DTypeLike) {
    this.#dataType = toDataType(dtype);
  }

  /** Element type as a numpy-style name, e.g. `"float32"`. */
  get dtype(): DTypeName {
    return dtypeName(this.#dataType);
  }

  /** Number of elements (1 for rank 0 is not used by the engine: an empty shape has 0). */
  get count(): number {
    return this.#shapes.length === 0 ? 0 : this.#shapes.reduce((a, b) => a * b, 1);
  }

  /** Bytes needed for a contiguous tensor of this layout. */
  get nbytes(): number {
    return this.count * dtypeSize(this.#dataType);
  }

  /** Structural equality. */
  equals(other: LiteLayout): boolean {
    return this.#dataType === other.#dataType && this.#shapes.length === other.#shapes.length && this.#shapes.every((d, i) => d === other.#shapes[i]);
  }

  /** `LiteLayout([1, 3], float32)`. */
  toString(): string {
    return `LiteLayout([${this.#shapes.join(', ')}], ${this.dtype})`;
  }

  /** `util.inspect` / `console.log` show {@link toString} (the fields are private). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** @internal the plain form the native binding takes. */
  toNative(): { shapes: number[]; dataType: number } {
    return { shapes: [...this.#shapes], dataType: this.#dataType };
  }

  /** @internal builds a layout from the native plain form. */
  static fromNative(n: { shapes: number[]; dataType: number }): LiteLayout {
    // The engine's layouts are valid by construction: skip the argument checks (a hot path:
    // every `tensor.layout` read).
    trusted = { shapes: n.shapes, dataType: n.dataType as LiteDataType };
    return new LiteLayout();
  }
}
