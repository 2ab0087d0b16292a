// The feed types of `predict` on both engines (each engine adds its own tensor class to them).

/** Raw bytes, as `predict` and `setDataByCopy` take them: any ArrayBufferView (a `Buffer`, a `DataView`, a TypedArray) or an `ArrayBuffer`. */
export type BinaryLike = ArrayBufferView | ArrayBuffer;

/**
 * Data with an explicit shape: the input takes this shape (with the model's dtype) for this call
 * only, e.g. a batch of 4 for a model declared with batch 1.
 *
 * @example
 * await net.predict({ data: { data: fourImages, shape: [4, 3, 224, 224] } });
 */
export interface ShapedFeed {
  /** The values: a TypedArray of the input's dtype, raw bytes, or a number array. */
  readonly data: BinaryLike | readonly number[];
  /** The shape for this call. */
  readonly shape: readonly number[];
}

/**
 * Outputs of a `predict` given a record of feeds: one tensor per output name (`T` is the
 * engine's tensor class).
 */
export type NamedOutputs<Out extends string, T> = Record<Out, T>;
