import { Builder } from 'flatbuffers';

import { encryptModel } from './cipher.js';
import { corrupt, invalidArgument } from './errors.js';
import { isBuiltinCryptionMethod, type BuiltinCryptionMethod, type KeyLike } from './keys.js';
import { validateModelInfo, type LiteModelInfo } from './info.js';

/** The 12 ASCII bytes that open every packed model file. */
export const PACKED_MODEL_TAG = 'packed_model';

/** Name Lite uses for "not encrypted". */
export const NO_CRYPTION = 'NONE';

/** Name of Lite's built-in JSON info parser. */
export const DEFAULT_INFO_PARSER = 'LITE_default';

/**
 * How a part (model or info) of a packed model is encrypted.
 *
 * - `"NONE"` (or leaving the option out): stored as is.
 * - a built-in method name: encrypted here with that method's default key.
 * - `{ method, key? }` with a built-in method: encrypted here with `key` (default key if
 *   left out).
 * - `{ method, preEncrypted: true }`: the bytes you pass are already encrypted (for
 *   instance with your own cipher registered under `method`); only the name is recorded.
 */
export type PackCryption =
  | typeof NO_CRYPTION
  | BuiltinCryptionMethod
  | { method: BuiltinCryptionMethod; key?: KeyLike }
  | { method: string; preEncrypted: true };

/** Options of {@link packModel}. */
export interface PackModelOptions {
  /** The model (`.mge`), plain unless `modelCryption` says it is pre-encrypted. */
  model: Uint8Array;
  /**
   * The model info: an object (serialised with `JSON.stringify`), a JSON string, or raw
   * bytes (plain, unless `infoCryption` says they are pre-encrypted). Leave it out for a
   * packed model without info.
   */
  info?: LiteModelInfo | string | Uint8Array;
  /**
   * Header name. Lite's `LITE_default` parser requires it to equal the info's `name`.
   * Default: the info's `name` when the info is readable JSON, else `"NONE"`.
   */
  name?: string;
  /** Encryption of the model part; default `"NONE"`. */
  modelCryption?: PackCryption;
  /** Encryption of the info part; default `"NONE"`. */
  infoCryption?: PackCryption;
  /** Name of the info parser Lite should use; default `"LITE_default"`. */
  infoParser?: string;
  /**
   * When `infoParser` is `"LITE_default"` and the info is plain, the info is parsed and
   * checked against what that parser accepts (see `validateModelInfo`). Set true to skip.
   */
  skipInfoValidation?: boolean;
}

/** The parts of a packed model, as stored (encrypted parts stay encrypted). */
export interface UnpackedModel {
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

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface ResolvedCryption {
  name: string;
  encrypt?: { method: BuiltinCryptionMethod; key?: KeyLike };
}

function resolveCryption(what: string, c: PackCryption | undefined): ResolvedCryption {
  if (c === undefined || c === NO_CRYPTION) return { name: NO_CRYPTION };
  if (typeof c === 'string') {
    if (!isBuiltinCryptionMethod(c)) {
      throw invalidArgument(
        `${what}: unknown method ${JSON.stringify(c)}; use a built-in method, "NONE", or { method, preEncrypted: true } for a custom one`,
      );
    }
    return { name: c, encrypt: { method: c } };
  }
  if (typeof c !== 'object' || c === null || typeof c.method !== 'string' || c.method === '') {
    throw invalidArgument(`${what} must be a method name or { method, key? | preEncrypted }`);
  }
  if ('preEncrypted' in c && c.preEncrypted === true) {
    if (c.method === NO_CRYPTION) throw invalidArgument(`${what}: "NONE" cannot be pre-encrypted`);
    return { name: c.method };
  }
  if (!isBuiltinCryptionMethod(c.method)) {
    throw invalidArgument(
      `${what}: unknown method ${JSON.stringify(c.method)}; only built-in methods can be encrypted here (pass preEncrypted: true for a custom one)`,
    );
  }
  const key = 'key' in c ? c.key : undefined;
  return { name: c.method, encrypt: key === undefined ? { method: c.method } : { method: c.method, key } };
}

function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(`${what} must be a non-empty string`);
  if (value.includes('\0')) throw invalidArgument(`${what} must not contain NUL characters`);
  return value;
}

/**
 * Writes a packed model (`.lite`): the 12-byte tag `packed_model` followed by a flatbuffer
 * of `model_parse.PackModel` holding one `Model` with its header (name, info/model
 * decryption method names, info parser name), the info bytes and the model bytes, the same
 * layout as MegEngine's own packing tools.
 *
 * Notes:
 * - All four header strings are always written (Lite reads them without null checks).
 * - When the info is encrypted here with an RC4 variant, a NUL byte is appended to the JSON
 *   first: Lite hands the parser the decrypted buffer including the padding and the 8
 *   trailer bytes, and the JSON parser treats NUL as the end of input.
 *
 * @param options see {@link PackModelOptions}
 * @returns the packed file's bytes
 * @throws LiteCryptoError (`LITE_INVALID_ARGUMENT`) for an empty model, bad method names,
 *   bad keys, info that the `LITE_default` parser would reject, or a name mismatch.
 */
export function packModel(options: PackModelOptions): Uint8Array {
  if (typeof options !== 'object' || options === null) throw invalidArgument('packModel options are required');
  const { model } = options;
  if (!(model instanceof Uint8Array) || model.length === 0) {
    throw invalidArgument('packModel: model must be a non-empty Uint8Array');
  }
  const infoParser = checkName('infoParser', options.infoParser ?? DEFAULT_INFO_PARSER);
  const modelCryption = resolveCryption('modelCryption', options.modelCryption);
  const infoCryption = resolveCryption('infoCryption', options.infoCryption);

  // Info bytes (plain) and, when readable, its parsed JSON.
  let infoBytes: Uint8Array | undefined;
  let infoJson: unknown;
  let infoReadable = false;
  const info = options.info;
  if (info !== undefined) {
    const plain = infoCryption.name === NO_CRYPTION || infoCryption.encrypt !== undefined;
    if (info instanceof Uint8Array) {
      infoBytes = new Uint8Array(info);
    } else if (typeof info === 'string') {
      infoBytes = encoder.encode(info);
    } else if (typeof info === 'object' && info !== null) {
      infoBytes = encoder.encode(JSON.stringify(info));
    } else {
      throw invalidArgument('packModel: info must be an object, a JSON string or a Uint8Array');
    }
    if (infoBytes.length === 0) throw invalidArgument('packModel: info must not be empty');
    if (plain) {
      try {
        infoJson = JSON.parse(decoder.decode(infoBytes));
        infoReadable = true;
      } catch {
        if (infoParser === DEFAULT_INFO_PARSER) {
          throw invalidArgument('packModel: info is not valid UTF-8 JSON, which the LITE_default parser needs');
        }
      }
      if (infoReadable && infoParser === DEFAULT_INFO_PARSER && options.skipInfoValidation !== true) {
        validateModelInfo(infoJson);
      }
    }
  }

  const infoName =
    infoReadable && typeof infoJson === 'object' && infoJson !== null
      ? (infoJson as { name?: unknown }).name
      : undefined;
  const name = checkName(
    'name',
    options.name ?? (typeof infoName === 'string' && infoName !== '' ? infoName : NO_CRYPTION),
  );
  if (
    infoParser === DEFAULT_INFO_PARSER &&
    typeof infoName === 'string' &&
    infoName !== name &&
    options.skipInfoValidation !== true
  ) {
    throw invalidArgument(
      `packModel: name ${JSON.stringify(name)} differs from the info's name ${JSON.stringify(infoName)}; the LITE_default parser would reject it`,
    );
  }

  let modelBytes = model;
  if (modelCryption.encrypt) modelBytes = encryptModel(model, modelCryption.encrypt);
  if (infoBytes && infoCryption.encrypt) {
    let toEncrypt = infoBytes;
    if (infoCryption.encrypt.method !== 'AES_default') {
      toEncrypt = new Uint8Array(infoBytes.length + 1);
      toEncrypt.set(infoBytes);
    }
    infoBytes = encryptModel(toEncrypt, infoCryption.encrypt);
  }

  const b = new Builder(Math.max(1024, modelBytes.length + (infoBytes?.length ?? 0) + 512));
  const nameOff = b.createString(name);
  const infoCryptOff = b.createString(infoCryption.name);
  const parserOff = b.createString(infoParser);
  const modelCryptOff = b.createString(modelCryption.name);
  const infoDataOff = infoBytes ? b.createByteVector(infoBytes) : 0;
  const modelDataOff = b.createByteVector(modelBytes);

  b.startObject(4);
  b.addFieldOffset(HEADER_NAME, nameOff, 0);
  b.addFieldOffset(HEADER_INFO_DECRYPTION, infoCryptOff, 0);
  b.addFieldOffset(HEADER_INFO_PARSE, parserOff, 0);
  b.addFieldOffset(HEADER_MODEL_DECRYPTION, modelCryptOff, 0);
  const headerOff = b.endObject();

  let infoTableOff = 0;
  if (infoDataOff) {
    b.startObject(1);
    b.addFieldOffset(INFO_DATA, infoDataOff, 0);
    infoTableOff = b.endObject();
  }

  b.startObject(1);
  b.addFieldOffset(DATA_DATA, modelDataOff, 0);
  const dataTableOff = b.endObject();

  b.startObject(3);
  b.addFieldOffset(MODEL_HEADER, headerOff, 0);
  if (infoTableOff) b.addFieldOffset(MODEL_INFO, infoTableOff, 0);
  b.addFieldOffset(MODEL_DATA, dataTableOff, 0);
  const modelOff = b.endObject();

  b.startVector(4, 1, 4);
  b.addOffset(modelOff);
  const modelsOff = b.endVector();

  b.startObject(1);
  b.addFieldOffset(PACK_MODELS, modelsOff, 0);
  b.finish(b.endObject());

  const fb = b.asUint8Array();
  const out = new Uint8Array(PACKED_MODEL_TAG.length + fb.length);
  out.set(encoder.encode(PACKED_MODEL_TAG), 0);
  out.set(fb, PACKED_MODEL_TAG.length);
  return out;
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
    return this.buf.slice(vec + 4, vec + 4 + len);
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
 * Reads a packed model back into its parts, checking every offset (a truncated or
 * malformed file throws instead of reading out of range). Encrypted parts are returned as
 * stored; decrypt them with `decryptModel`.
 *
 * @param bytes the packed file's bytes
 * @returns the header strings and the stored data
 * @throws LiteCryptoError `LITE_INVALID_ARGUMENT` when the tag is missing (a bare model),
 *   `LITE_CRYPTO_CORRUPT` when the flatbuffer is malformed or lacks a part Lite requires.
 */
export function unpackModel(bytes: Uint8Array): UnpackedModel {
  if (!isPackedModel(bytes)) throw invalidArgument('not a packed model: the "packed_model" tag is missing');
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
  const result: UnpackedModel = {
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
