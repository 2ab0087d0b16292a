// Bounds-checked reading of packed models (`.lite`: the 12-byte tag "packed_model" + the
// flatbuffer of MegEngine's lite/src/parse_model/pack_model.fbs). The 1.13 runtime follows the
// flatbuffer's offsets without verifying them, so a truncated or malformed packed file crashes the
// process inside the engine; LiteNetwork.load checks the structure here first. @lite/crypto's
// unpackModel uses the same reader.
import { LiteError } from './errors.js';

/** The 12 ASCII bytes that open every packed model file. */
export const PACKED_MODEL_TAG = 'packed_model';

/** The parts of a packed model, as stored (encrypted parts stay encrypted). */
export interface PackedModelParts {
  /** Header name. */
  name: string;
  /** Decryption method name for the model part (`"NONE"` if plain). */
  modelCryption: string;
  /** Decryption method name for the info part (`"NONE"` if plain). */
  infoCryption: string;
  /** Info parser name. */
  infoParser: string;
  /** The stored model bytes. */
  model: Uint8Array;
  /** The stored info bytes, when the file has info data. */
  info?: Uint8Array;
  /** Newer headers only: name of the algorithm-cache parser. */
  infoCacheParser?: string;
  /** Newer headers only: whether `algoPolicy` is a fast-run cache. */
  isFastRunCache?: boolean;
  /** Newer files only: the stored algorithm-policy cache. */
  algoPolicy?: Uint8Array;
  /** Newer files only: the stored binary (e.g. OpenCL) cache. */
  binaryCache?: Uint8Array;
}

// Field slots of pack_model.fbs (namespace model_parse). Newer schema revisions only append.
const HEADER_NAME = 0;
const HEADER_INFO_DECRYPTION = 1;
const HEADER_INFO_PARSE = 2;
const HEADER_MODEL_DECRYPTION = 3;
const HEADER_INFO_CACHE_PARSE = 4;
const HEADER_IS_FAST_RUN_CACHE = 5;
const INFO_DATA = 0;
const INFO_ALGO_POLICY = 1;
const INFO_BINARY_CACHE = 2;
const DATA_DATA = 0;
const MODEL_HEADER = 0;
const MODEL_INFO = 1;
const MODEL_DATA = 2;
const PACK_MODELS = 0;

/** Field slots of pack_model.fbs, shared with the writer in @lite/crypto. */
export const PACK_SLOTS = {
  HEADER_NAME,
  HEADER_INFO_DECRYPTION,
  HEADER_INFO_PARSE,
  HEADER_MODEL_DECRYPTION,
  HEADER_INFO_CACHE_PARSE,
  HEADER_IS_FAST_RUN_CACHE,
  INFO_DATA,
  INFO_ALGO_POLICY,
  INFO_BINARY_CACHE,
  DATA_DATA,
  MODEL_HEADER,
  MODEL_INFO,
  MODEL_DATA,
  PACK_MODELS,
} as const;

const decoder = new TextDecoder('utf-8', { fatal: true });

function corrupt(message: string): LiteError {
  return new LiteError('LITE_INVALID_ARGUMENT', message);
}

/** True when `bytes` starts with the packed-model tag (otherwise Lite treats it as bare). */
export function isPackedModel(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length < PACKED_MODEL_TAG.length) return false;
  for (let i = 0; i < PACKED_MODEL_TAG.length; i++) {
    if (bytes[i] !== PACKED_MODEL_TAG.charCodeAt(i)) return false;
  }
  return true;
}

/** Bounds-checked reader of a flatbuffer; any out-of-range access is a corrupt file. */
class FbReader {
  private readonly dv: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(pos: number, size: number): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + size > this.buf.length) {
      throw corrupt('packed model is truncated or malformed (offset out of range)');
    }
  }

  u32(pos: number): number {
    this.need(pos, 4);
    return this.dv.getUint32(pos, true);
  }

  /** Position of the root table. */
  root(): number {
    return this.u32(0);
  }

  /** Absolute position of field `slot` of the table at `table`, or 0 when absent. */
  field(table: number, slot: number): number {
    this.need(table, 4);
    const vtable = table - this.dv.getInt32(table, true);
    this.need(vtable, 4);
    const vtLen = this.dv.getUint16(vtable, true);
    const vo = 4 + 2 * slot;
    if (vo + 2 > vtLen) return 0;
    this.need(vtable + vo, 2);
    const rel = this.dv.getUint16(vtable + vo, true);
    return rel === 0 ? 0 : table + rel;
  }

  /** Follows the offset stored in field `slot`; 0 when absent. */
  ref(table: number, slot: number): number {
    const pos = this.field(table, slot);
    return pos === 0 ? 0 : pos + this.u32(pos);
  }

  bytes(table: number, slot: number): Uint8Array | undefined {
    const vec = this.ref(table, slot);
    if (vec === 0) return undefined;
    const len = this.u32(vec);
    this.need(vec + 4, len);
    // A view: checking a model before load must not copy it.
    return this.buf.subarray(vec + 4, vec + 4 + len);
  }

  string(table: number, slot: number): string | undefined {
    const raw = this.bytes(table, slot);
    if (raw === undefined) return undefined;
    // Flatbuffers strings end with a NUL inside the buffer (what a verifier checks, and what
    // C readers rely on); a file cut inside that terminator is truncated.
    const vec = this.ref(table, slot);
    this.need(vec + 4 + raw.length, 1);
    if (this.buf[vec + 4 + raw.length] !== 0) throw corrupt('packed model has a header string without its NUL terminator');
    try {
      return decoder.decode(raw);
    } catch {
      throw corrupt('packed model has a header string that is not UTF-8');
    }
  }

  bool(table: number, slot: number): boolean | undefined {
    const pos = this.field(table, slot);
    if (pos === 0) return undefined;
    this.need(pos, 1);
    return this.buf[pos] !== 0;
  }
}

/**
 * Reads a packed model into its parts, checking every offset the runtime follows (a truncated or
 * malformed file throws instead of reading out of range). Encrypted parts are returned as stored,
 * as views into `bytes`.
 *
 * @param bytes the packed file's bytes
 * @returns the header strings and the stored data
 * @throws LiteError `LITE_INVALID_ARGUMENT` when the tag is missing or the structure is malformed.
 */
export function readPackedModel(bytes: Uint8Array): PackedModelParts {
  if (!isPackedModel(bytes)) throw new LiteError('LITE_INVALID_ARGUMENT', 'not a packed model: the "packed_model" tag is missing');
  const r = new FbReader(bytes.subarray(PACKED_MODEL_TAG.length));
  const root = r.root();
  const models = r.ref(root, PACK_MODELS);
  if (models === 0) throw corrupt('packed model has no models vector');
  const count = r.u32(models);
  if (count !== 1) throw corrupt(`packed model holds ${count} models; Lite supports exactly one`);
  const modelTable = models + 4 + r.u32(models + 4);

  const header = r.ref(modelTable, MODEL_HEADER);
  if (header === 0) throw corrupt('packed model has no header');
  const required = (slot: number, what: string): string => {
    const s = r.string(header, slot);
    if (s === undefined) throw corrupt(`packed model header lacks ${what}`);
    return s;
  };
  const result: PackedModelParts = {
    name: required(HEADER_NAME, 'the name'),
    infoCryption: required(HEADER_INFO_DECRYPTION, 'the info decryption method'),
    infoParser: required(HEADER_INFO_PARSE, 'the info parse method'),
    modelCryption: required(HEADER_MODEL_DECRYPTION, 'the model decryption method'),
    model: new Uint8Array(0),
  };
  const cacheParser = r.string(header, HEADER_INFO_CACHE_PARSE);
  if (cacheParser !== undefined) result.infoCacheParser = cacheParser;
  const fastRun = r.bool(header, HEADER_IS_FAST_RUN_CACHE);
  if (fastRun !== undefined) result.isFastRunCache = fastRun;

  const infoTable = r.ref(modelTable, MODEL_INFO);
  if (infoTable !== 0) {
    const data = r.bytes(infoTable, INFO_DATA);
    if (data !== undefined) result.info = data;
    const algo = r.bytes(infoTable, INFO_ALGO_POLICY);
    if (algo !== undefined) result.algoPolicy = algo;
    const bin = r.bytes(infoTable, INFO_BINARY_CACHE);
    if (bin !== undefined) result.binaryCache = bin;
  }

  const dataTable = r.ref(modelTable, MODEL_DATA);
  const model = dataTable === 0 ? undefined : r.bytes(dataTable, DATA_DATA);
  if (model === undefined || model.length === 0) throw corrupt('packed model has no model data');
  result.model = model;
  return result;
}

/** A flatbuffer written front to back: every offset points forward, patched once its target is placed. */
class FbWriter {
  #buf = new Uint8Array(1024);
  #len = 0;
  readonly #patches: { at: number; target: () => number }[] = [];

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Zero bytes up to a multiple of `align`, counted from `base` bytes before the buffer. */
  pad(align: number, base = 0): void {
    while ((base + this.#len) % align !== 0) this.u8(0);
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v;
  }

  u16(v: number): void {
    this.u8(v & 0xff);
    this.u8((v >>> 8) & 0xff);
  }

  u32(v: number): void {
    this.#room(4);
    new DataView(this.#buf.buffer).setUint32(this.#len, v, true);
    this.#len += 4;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** A u32 offset field here, pointing at what `target()` returns once everything is placed. */
  offset(target: () => number): void {
    this.#patches.push({ at: this.#len, target });
    this.u32(0);
  }

  /**
   * A table: its vtable, then the table itself (soffset, the offset fields in slot order, then
   * the bools). `fields[slot]` is a target for an offset field, a boolean, or undefined (absent).
   * Returns the table's position.
   */
  table(fields: readonly ((() => number) | boolean | undefined)[]): number {
    const offsets = fields.filter((f) => typeof f === 'function').length;
    const bools = fields.filter((f) => typeof f === 'boolean').length;
    this.pad(4);
    const vtable = this.#len;
    this.u16(4 + 2 * fields.length);
    this.u16(4 + 4 * offsets + bools);
    let offsetAt = 4;
    let boolAt = 4 + 4 * offsets;
    for (const f of fields) {
      if (typeof f === 'function') {
        this.u16(offsetAt);
        offsetAt += 4;
      } else if (typeof f === 'boolean') {
        this.u16(boolAt);
        boolAt += 1;
      } else this.u16(0);
    }
    this.pad(4);
    const table = this.#len;
    this.u32(table - vtable);
    for (const f of fields) if (typeof f === 'function') this.offset(f);
    for (const f of fields) if (typeof f === 'boolean') this.u8(f ? 1 : 0);
    return table;
  }

  /** A byte vector (a string gets its NUL terminator); its data starts at a multiple of `align` from `base`. Returns its position. */
  vector(data: Uint8Array, terminated = false, align = 4, base = 0): number {
    this.pad(4);
    while ((base + this.#len + 4) % align !== 0) this.u32(0);
    const at = this.#len;
    this.u32(data.length);
    this.bytes(data);
    if (terminated) this.u8(0);
    return at;
  }

  finish(): Uint8Array {
    const view = new DataView(this.#buf.buffer);
    for (const p of this.#patches) view.setUint32(p.at, p.target() - p.at, true);
    return this.#buf.slice(0, this.#len);
  }
}

const encoder = new TextEncoder();

/**
 * Writes a packed model from its parts (the inverse of {@link readPackedModel}: reading the
 * result gives the same parts). Used to hand the runtime a packed model whose parts were
 * decrypted on the JS thread, under the method name `"NONE"`.
 */
export function writePackedModel(parts: PackedModelParts): Uint8Array {
  const w = new FbWriter();
  const at: Record<string, number> = {};
  const ref = (key: string) => (): number => {
    const pos = at[key];
    if (pos === undefined) throw new LiteError('LITE_ERROR', `writePackedModel: ${key} was not written`);
    return pos;
  };
  const hasInfo = parts.info !== undefined || parts.algoPolicy !== undefined || parts.binaryCache !== undefined;
  w.offset(ref('pack'));
  at.pack = w.table([ref('models')]);
  w.pad(4);
  at.models = w.length;
  w.u32(1);
  w.offset(ref('model'));
  at.model = w.table([ref('header'), hasInfo ? ref('info') : undefined, ref('data')]);
  at.header = w.table([
    ref('name'),
    ref('infoCryption'),
    ref('infoParser'),
    ref('modelCryption'),
    parts.infoCacheParser !== undefined ? ref('infoCacheParser') : undefined,
    parts.isFastRunCache,
  ]);
  at.name = w.vector(encoder.encode(parts.name), true);
  at.infoCryption = w.vector(encoder.encode(parts.infoCryption), true);
  at.infoParser = w.vector(encoder.encode(parts.infoParser), true);
  at.modelCryption = w.vector(encoder.encode(parts.modelCryption), true);
  if (parts.infoCacheParser !== undefined) at.infoCacheParser = w.vector(encoder.encode(parts.infoCacheParser), true);
  if (hasInfo) {
    at.info = w.table([
      parts.info !== undefined ? ref('infoData') : undefined,
      parts.algoPolicy !== undefined ? ref('algoPolicy') : undefined,
      parts.binaryCache !== undefined ? ref('binaryCache') : undefined,
    ]);
    if (parts.info !== undefined) at.infoData = w.vector(parts.info);
    if (parts.algoPolicy !== undefined) at.algoPolicy = w.vector(parts.algoPolicy);
    if (parts.binaryCache !== undefined) at.binaryCache = w.vector(parts.binaryCache);
  }
  at.data = w.table([ref('modelData')]);
  // The model's bytes start 16-byte aligned in the file (after the tag), as the engine's
  // loader reads them in place.
  at.modelData = w.vector(parts.model, false, 16, PACKED_MODEL_TAG.length);
  const fb = w.finish();
  const out = new Uint8Array(PACKED_MODEL_TAG.length + fb.length);
  out.set(encoder.encode(PACKED_MODEL_TAG), 0);
  out.set(fb, PACKED_MODEL_TAG.length);
  return out;
}
