import { LiteError } from '@lite/core';
import { PACK_SLOTS as _PACK_SLOTS, PACKED_MODEL_TAG as _PACKED_MODEL_TAG, isPackedModel as _isPackedModel, readPackedModel as _readPackedModel, type PackedModelParts as _PackedModelParts } from '@lite/core/internal';
import { Builder } from 'flatbuffers';

import { encryptModel } from './cipher.js';
import { corrupt, invalidArgument } from './errors.js';
import { isBuiltinCryptionMethod, type BuiltinCryptionMethod, type KeyLike } from './keys.js';
import { validateModelInfo, type LiteModelInfo } from './info.js';

/** The 12 ASCII bytes that open every packed model file. */
export const PACKED_MODEL_TAG = _PACKED_MODEL_TAG;

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
export type UnpackedModel = _PackedModelParts;

// Field slots of pack_model.fbs (namespace model_parse), shared with @lite/core's reader.
const { HEADER_NAME, HEADER_INFO_DECRYPTION, HEADER_INFO_PARSE, HEADER_MODEL_DECRYPTION, INFO_DATA, DATA_DATA, MODEL_HEADER, MODEL_INFO, MODEL_DATA, PACK_MODELS } = _PACK_SLOTS;

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
  return _isPackedModel(bytes);
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
  let parts: UnpackedModel;
  try {
    parts = _readPackedModel(bytes);
  } catch (e) {
    throw e instanceof LiteError ? corrupt(e.message) : e;
  }
  // The reader returns views into `bytes`; the parts handed out are independent copies.
  const result: UnpackedModel = { ...parts, model: parts.model.slice() };
  if (parts.info) result.info = parts.info.slice();
  if (parts.algoPolicy) result.algoPolicy = parts.algoPolicy.slice();
  if (parts.binaryCache) result.binaryCache = parts.binaryCache.slice();
  return result;
}
