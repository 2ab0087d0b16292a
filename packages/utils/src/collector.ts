import {
  type DTypeLike,
  LiteDataType,
  LiteDeviceType,
  LiteError,
  LiteGlobal,
  LiteLayout,
  LiteTensor,
  type LiteTypedArray,
  type NdArrayLike,
  dataTypeOfArray,
  dtypeName,
  dtypeSize,
  toDataType,
} from '@lite/core';

/** Options of the {@link TensorBatchCollector} constructor (megenginelite's keyword arguments). */
export interface TensorBatchCollectorOptions {
  /** Element type of the batch (default `LITE_INT8`, as in megenginelite). Ignored when `tensor` is given. */
  dtype?: DTypeLike;
  /**
   * Device of the batch tensor (default `LITE_CUDA`, as in megenginelite). On a machine without
   * that device the constructor throws `LITE_UNSUPPORTED`; pass `LITE_CPU` there.
   */
  deviceType?: LiteDeviceType;
  /** Device id (default 0). */
  deviceId?: number;
  /** Allocate the batch in pinned host memory (CUDA only; default false). */
  isPinnedHost?: boolean;
  /** Collect into this existing tensor (its shape must equal `shape`; dtype and device come from it). */
  tensor?: LiteTensor;
}

/**
 * One sample: a TypedArray of the batch's dtype with one sample's element count (float16 as raw
 * halves in a `Uint16Array`), a `LiteTensor` of the sample shape (copied with `copyFrom`, from
 * any device), or an ndarray of the sample shape when `@lite/ndarray` is loaded.
 */
export type CollectData = LiteTypedArray | LiteTensor | NdArrayLike;

const WARNING_TYPE = 'LiteWarning';

function warn(message: string, code: string): void {
  process.emitWarning(message, { type: WARNING_TYPE, code });
}

function invalid(message: string): never {
  throw new LiteError('LITE_INVALID_ARGUMENT', message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Collects single samples into one batch tensor (batch dimension first), megenginelite's
 * `TensorBatchCollector`: a big tensor plus a free list of batch slots. Each sample is copied
 * straight into its slot (a slice of the big tensor), so the batch is ready to be fed to a
 * network without another copy.
 *
 * A full collector makes {@link collect} / {@link collectByPointer} return `-1` and emit a
 * `LiteWarning` process warning (code `LITE_BATCH_FULL`), as megenginelite does; bad samples
 * (wrong shape, dtype or size) throw `LITE_INVALID_ARGUMENT` and leave the collector unchanged.
 *
 * @example
 * const batch = new TensorBatchCollector([4, 1, 28, 28], { dtype: 'float32', deviceType: LiteDeviceType.LITE_CPU });
 * for (const image of images) batch.collect(image); // Float32Array(784) each
 * net.getIoTensor('data').copyFrom(batch.get());
 */
export class TensorBatchCollector {
  readonly #tensor: LiteTensor;
  readonly #shape: readonly number[];
  readonly #dataType: LiteDataType;
  readonly #deviceType: LiteDeviceType;
  readonly #deviceId: number;
  #free: number[];

  /**
   * @param shape shape of the whole batch, batch size first (e.g. `[4, 3, 224, 224]`).
   * @param options dtype (default int8), device (default CUDA, like megenginelite), or an
   *   existing `tensor` to collect into.
   */
  constructor(shape: readonly number[], options: TensorBatchCollectorOptions = {}) {
    if (!Array.isArray(shape) || shape.length < 1) invalid(`TensorBatchCollector needs a shape with a batch dimension first, got ${describe(shape)}`);
    const layoutShape = new LiteLayout(shape).shapes; // validates rank and dims
    if ((layoutShape[0] as number) < 1) invalid(`the batch size (shape[0]) must be at least 1, got ${layoutShape[0]}`);
    if (options.tensor !== undefined) {
      const t = options.tensor;
      if (!(t instanceof LiteTensor)) invalid(`options.tensor must be a LiteTensor, got ${describe(t)}`);
      const tl = t.layout;
      if (!sameShape(tl.shapes, layoutShape)) invalid(`the tensor given to TensorBatchCollector has shape [${tl.shapes.join(', ')}], expected [${layoutShape.join(', ')}]`);
      this.#tensor = t;
      this.#dataType = tl.dataType;
      this.#deviceType = t.deviceType;
      this.#deviceId = t.deviceId;
    } else {
      this.#dataType = toDataType(options.dtype ?? LiteDataType.LITE_INT8);
      this.#deviceType = options.deviceType ?? LiteDeviceType.LITE_CUDA;
      this.#deviceId = options.deviceId ?? 0;
      const isPinnedHost = options.isPinnedHost ?? false;
      if (!(this.#deviceType in LiteDeviceType)) invalid(`unknown deviceType ${String(this.#deviceType)}`);
      if (this.#deviceType !== LiteDeviceType.LITE_CPU || isPinnedHost) {
        const needed = this.#deviceType === LiteDeviceType.LITE_CPU ? LiteDeviceType.LITE_CUDA : this.#deviceType;
        if (LiteGlobal.getDeviceCount(needed) === 0) {
          const name = LiteDeviceType[needed] ?? String(needed);
          throw new LiteError(
            'LITE_UNSUPPORTED',
            `TensorBatchCollector: no ${name} device is available on this machine${isPinnedHost ? ' (pinned host memory needs CUDA)' : ''}; ` +
              `pass { deviceType: LiteDeviceType.LITE_CPU } to collect in CPU memory (the default device is LITE_CUDA, as in megenginelite)`,
          );
        }
      }
      this.#tensor = new LiteTensor(new LiteLayout(layoutShape, this.#dataType), this.#deviceType, this.#deviceId, isPinnedHost);
      // Beyond megenginelite: slots not collected yet read as zeros, not as stale memory.
      this.#tensor.fillZero();
    }
    this.#shape = layoutShape;
    this.#free = Array.from({ length: layoutShape[0] as number }, (_, i) => i);
  }

  /** Shape of the whole batch. */
  get shape(): number[] {
    return [...this.#shape];
  }

  /** Batch size (`shape[0]`). */
  get batchSize(): number {
    return this.#shape[0] as number;
  }

  /** Element type of the batch. */
  get dataType(): LiteDataType {
    return this.#dataType;
  }

  /** Batch slots not collected yet, in the order {@link collect} fills them. */
  get freeList(): number[] {
    return [...this.#free];
  }

  /**
   * Copies `data` into slot `batchId`. Collecting a slot that was not freed overwrites it and
   * emits a `LiteWarning` (code `LITE_BATCH_RECOLLECT`), as in megenginelite. Returns `batchId`.
   */
  collectId(data: CollectData, batchId: number): number {
    this.#checkId(batchId);
    this.#write(data, batchId);
    const at = this.#free.indexOf(batchId);
    if (at >= 0) this.#free.splice(at, 1);
    else warn(`batch ${batchId} has been collected, please call free before collecting it again`, 'LITE_BATCH_RECOLLECT');
    return batchId;
  }

  /**
   * Copies `data` into the first free slot and returns its index, or returns `-1` with a
   * `LiteWarning` (code `LITE_BATCH_FULL`) when every slot is taken.
   */
  collect(data: CollectData): number {
    const id = this.#free[0];
    if (id === undefined) {
      warn('all batches have been collected, please call free before collecting again', 'LITE_BATCH_FULL');
      return -1;
    }
    this.#write(data, id);
    this.#free.shift();
    return id;
  }

  /**
   * Raw collect (megenginelite's `collect_by_ctypes`): copies the first `length` bytes of `data`
   * into the first free slot, returning its index or `-1` (with a `LITE_BATCH_FULL` warning).
   * `length` (default: all of `data`) must equal one sample's byte size.
   */
  collectByPointer(data: ArrayBuffer | ArrayBufferView, length?: number): number {
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) invalid(`collectByPointer expects a Buffer, ArrayBuffer or TypedArray, got ${describe(data)}`);
    const all = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const n = length ?? all.byteLength;
    if (!Number.isSafeInteger(n) || n < 0 || n > all.byteLength) invalid(`collectByPointer: length ${String(length)} is not within the ${all.byteLength} bytes given`);
    const sampleBytes = this.#sampleCount() * dtypeSize(this.#dataType);
    if (n !== sampleBytes) invalid(`collectByPointer: got ${n} bytes, one sample of [${this.#shape.slice(1).join(', ')}] ${dtypeName(this.#dataType)} is ${sampleBytes} bytes`);
    const id = this.#free[0];
    if (id === undefined) {
      warn('all batches have been collected, please call free before collecting again', 'LITE_BATCH_FULL');
      return -1;
    }
    this.#writeBytes(all.subarray(0, n), id);
    this.#free.shift();
    return id;
  }

  /**
   * Returns slots to the free list (in the given order, after the slots already free). Freeing
   * a slot that is already free moves it to the back and emits a `LiteWarning`
   * (code `LITE_BATCH_NOT_COLLECTED`), as in megenginelite.
   */
  free(indexes: Iterable<number>): void {
    if (indexes === null || typeof indexes !== 'object' || typeof (indexes as Iterable<number>)[Symbol.iterator] !== 'function') {
      invalid(`free expects an iterable of batch ids, got ${describe(indexes)}`);
    }
    const ids = [...indexes];
    ids.forEach((id) => this.#checkId(id));
    if (new Set(ids).size !== ids.length) invalid(`free: batch ids [${ids.join(', ')}] contain duplicates`);
    for (const id of ids) {
      const at = this.#free.indexOf(id);
      if (at >= 0) {
        warn(`batch id ${id} has not been collected before freeing it`, 'LITE_BATCH_NOT_COLLECTED');
        this.#free.splice(at, 1);
      }
    }
    this.#free.push(...ids);
  }

  /** A tensor sharing slot `idx` of the batch (shape `[1, ...sample]`); warns when the slot is free. */
  getTensorAt(idx: number): LiteTensor {
    this.#checkId(idx);
    if (this.#free.includes(idx)) warn(`batch id ${idx} has not been collected before getting it`, 'LITE_BATCH_NOT_COLLECTED');
    return this.#slot(idx);
  }

  /** The whole batch tensor (shared, not copied): feed it to a network. */
  get(): LiteTensor {
    return this.#tensor;
  }

  /** A contiguous copy of the whole batch (megenginelite's `to_numpy`); float16 as raw halves. */
  toTypedArray(): LiteTypedArray {
    return this.#tensor.toTypedArray();
  }

  #checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.batchSize) invalid(`batch id ${String(id)} is out of range [0, ${this.batchSize})`);
  }

  #sampleCount(): number {
    return this.#shape.slice(1).reduce((a, b) => a * b, 1);
  }

  #slot(id: number): LiteTensor {
    const start = this.#shape.map((_, i) => (i === 0 ? id : 0));
    const end = this.#shape.map((d, i) => (i === 0 ? id + 1 : d));
    return this.#tensor.slice(start, end);
  }

  /** Checks a sample's shape and dtype. */
  #checkSample(shape: readonly number[], dataType: LiteDataType, what: string): void {
    const sample = this.#shape.slice(1);
    if (!sameShape(shape, sample) && !sameShape(shape, [1, ...sample])) {
      invalid(`${what} has shape [${shape.join(', ')}], expected one sample of [${sample.join(', ')}]`);
    }
    const rawHalves = dataType === LiteDataType.LITE_UINT16 && this.#dataType === LiteDataType.LITE_HALF;
    if (dataType !== this.#dataType && !rawHalves) invalid(`${what} has dtype ${dtypeName(dataType)}, the batch is ${dtypeName(this.#dataType)}`);
  }

  #write(data: CollectData, id: number): void {
    if (data instanceof LiteTensor) {
      const l = data.layout;
      this.#checkSample(l.shapes, l.dataType, 'the LiteTensor');
      const slot = this.#slot(id);
      try {
        // copyFrom gives the slot the sample's layout; the slot keeps its place in the batch.
        slot.copyFrom(data);
      } finally {
        slot.dispose();
      }
      return;
    }
    if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
      const dt = dataTypeOfArray(data);
      if (dt === undefined) invalid(`a ${describe(data)} has no tensor dtype; the batch is ${dtypeName(this.#dataType)}`);
      const count = this.#sampleCount();
      const length = (data as LiteTypedArray).length;
      if (length !== count) invalid(`the ${describe(data)} has ${length} elements, one sample of [${this.#shape.slice(1).join(', ')}] has ${count}`);
      this.#checkSample(this.#shape.slice(1), dt, `the ${describe(data)}`);
      this.#writeBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), id);
      return;
    }
    if (data === null || typeof data !== 'object' || data instanceof ArrayBuffer || data instanceof DataView || Array.isArray(data)) {
      invalid(`collect expects a TypedArray, a LiteTensor or an ndarray (with @lite/ndarray loaded), got ${describe(data)}; use collectByPointer for raw bytes`);
    }
    // Anything else (an ndarray) goes through @lite/core's data converters: copy it into a
    // scratch tensor (which takes its layout; strided views are packed on the way), check it,
    // then copy it into the slot. (setDataByShare refuses strided views, so it cannot be used.)
    const scratch = new LiteTensor();
    try {
      scratch.setDataByCopy(data);
      const l = scratch.layout;
      this.#checkSample(l.shapes, l.dataType, `the ${describe(data)}`);
      if (l.dataType !== this.#dataType) scratch.setDataByCopy(data, { layout: new LiteLayout(l.shapes, this.#dataType) });
      const slot = this.#slot(id);
      try {
        slot.copyFrom(scratch);
      } finally {
        slot.dispose();
      }
    } finally {
      scratch.dispose();
    }
  }

  /** Writes one sample's bytes into a slot (through pinned host staging for device batches). */
  #writeBytes(bytes: Uint8Array, id: number): void {
    const slot = this.#slot(id);
    try {
      if (slot.deviceType === LiteDeviceType.LITE_CPU) {
        slot.setDataByCopy(bytes);
        return;
      }
      // megenginelite's device path: stage in pinned host memory, then copy to the device.
      const staging = new LiteTensor(slot.layout, this.#deviceType, this.#deviceId, true);
      try {
        staging.setDataByShare(bytes);
        slot.copyFrom(staging);
      } finally {
        staging.dispose();
      }
    } finally {
      slot.dispose();
    }
  }
}
