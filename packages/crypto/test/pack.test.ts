import { readPackedModel, writePackedModel, type PackedModelParts } from '@lite/core/internal';
import { ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';

import {
  decryptModel,
  isPackedModel,
  packModel,
  unpackModel,
  validateModelInfo,
  type LiteModelInfo,
} from '../src/index.js';

const model = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13 + 5) & 255);
const info: LiteModelInfo = {
  name: 'shufflenet',
  valid: true,
  version: '8.9999.0',
  has_compression: false,
  device: { type: 'CPU', number_threads: 2, device_id: 0, enable_inplace_model: false, use_tensorrt: false },
  options: { weight_preprocess: false, var_sanity_check_first_run: true, graph_opt_level: 2, async_exec_level: 1 },
  IO: {
    inputs: [{ name: 'data', io_type: 'value', is_host: true, dtype: 'float32', shape: { dim0: 1, dim1: 3, dim2: 224, dim3: 224 } }],
    outputs: [{ name: 'out', dtype: 'float32', is_host: true }],
  },
  extra_info: { note: 'packed by @lite/crypto' },
};
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** Reads the file with the flatbuffers library's own accessors, following pack_model.fbs. */
function readWithLibrary(file: Uint8Array) {
  const bb = new ByteBuffer(file.subarray(12));
  const root = bb.readInt32(bb.position()) + bb.position();
  const fieldPos = (table: number, slot: number): number => bb.__offset(table, 4 + 2 * slot);
  const table = (t: number, slot: number): number => {
    const o = fieldPos(t, slot);
    return o ? bb.__indirect(t + o) : 0;
  };
  const str = (t: number, slot: number): string | null => {
    const o = fieldPos(t, slot);
    return o ? (bb.__string(t + o) as string) : null;
  };
  const bytes = (t: number, slot: number): Uint8Array | null => {
    const o = fieldPos(t, slot);
    if (!o) return null;
    const start = bb.__vector(t + o);
    return bb.bytes().subarray(start, start + bb.__vector_len(t + o));
  };
  const modelsO = fieldPos(root, 0);
  const nModels = bb.__vector_len(root + modelsO);
  const m = bb.__indirect(bb.__vector(root + modelsO));
  const h = table(m, 0);
  const i = table(m, 1);
  const d = table(m, 2);
  return {
    nModels,
    name: str(h, 0),
    infoDecryption: str(h, 1),
    infoParse: str(h, 2),
    modelDecryption: str(h, 3),
    info: i ? bytes(i, 0) : null,
    data: bytes(d, 0),
  };
}

describe("@lite/core's writePackedModel (the packed model loadAsync hands the engine after a JS decryptor ran)", () => {
  const enc = new TextEncoder();
  const full: PackedModelParts = {
    name: 'shufflenet',
    modelCryption: 'NONE',
    infoCryption: 'RC4_default',
    infoParser: 'LITE_default',
    model,
    info: enc.encode(JSON.stringify(info)),
    infoCacheParser: 'LITE_parse_cache',
    isFastRunCache: true,
    algoPolicy: Uint8Array.from([1, 2, 3, 4, 5]),
    binaryCache: Uint8Array.from([9, 8, 7]),
  };
  const plain = (p: PackedModelParts): Record<string, unknown> =>
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]));

  it('reading what it writes gives the same parts (every optional field, then none of them)', () => {
    expect(plain(readPackedModel(writePackedModel(full)))).toEqual(plain(full));
    const bare: PackedModelParts = { name: 'NONE', modelCryption: 'my_js', infoCryption: 'NONE', infoParser: 'LITE_default', model };
    expect(plain(readPackedModel(writePackedModel(bare)))).toEqual(plain(bare));
    const { infoCacheParser: _c, isFastRunCache: _f, algoPolicy: _a, binaryCache: _b, ...noCache } = full;
    expect(plain(readPackedModel(writePackedModel(noCache)))).toEqual(plain(noCache));
  });

  it('the flatbuffers library reads it per pack_model.fbs, and it rewrites packModel output faithfully', () => {
    const lib = readWithLibrary(writePackedModel(full));
    expect(lib.nModels).toBe(1);
    expect([lib.name, lib.infoDecryption, lib.infoParse, lib.modelDecryption]).toEqual(['shufflenet', 'RC4_default', 'LITE_default', 'NONE']);
    expect(JSON.parse(text(lib.info ?? undefined))).toEqual(info);
    expect(Buffer.from(lib.data!).equals(Buffer.from(model))).toBe(true);
    const packed = packModel({ model, info, infoCryption: 'RC4_default' });
    expect(plain(unpackModel(writePackedModel(unpackModel(packed))))).toEqual(plain(unpackModel(packed)));
  });

  it('stores the model bytes 16-byte aligned in the file', () => {
    const file = writePackedModel(full);
    const lib = readWithLibrary(file);
    expect((lib.data!.byteOffset - file.byteOffset) % 16).toBe(0);
  });
});

describe('packModel / unpackModel', () => {
  it('writes the tag and a flatbuffer the flatbuffers library reads per pack_model.fbs', () => {
    const file = packModel({ model, info });
    expect(text(file.subarray(0, 12))).toBe('packed_model');
    expect(isPackedModel(file)).toBe(true);
    expect(isPackedModel(model)).toBe(false);
    const lib = readWithLibrary(file);
    expect(lib.nModels).toBe(1);
    expect(lib.name).toBe('shufflenet');
    expect(lib.infoDecryption).toBe('NONE');
    expect(lib.infoParse).toBe('LITE_default');
    expect(lib.modelDecryption).toBe('NONE');
    expect(JSON.parse(text(lib.info ?? undefined))).toEqual(info);
    expect(Buffer.from(lib.data!).equals(Buffer.from(model))).toBe(true);
  });

  it('round trips through unpackModel', () => {
    const parts = unpackModel(packModel({ model, info }));
    expect(parts.name).toBe('shufflenet');
    expect(parts.modelCryption).toBe('NONE');
    expect(parts.infoCryption).toBe('NONE');
    expect(parts.infoParser).toBe('LITE_default');
    expect(JSON.parse(text(parts.info))).toEqual(info);
    expect(Buffer.from(parts.model).equals(Buffer.from(model))).toBe(true);
    expect(parts.infoCacheParser).toBeUndefined();
    expect(parts.algoPolicy).toBeUndefined();
  });

  it('without info: all header strings present, no info table, name "NONE"', () => {
    const file = packModel({ model });
    const lib = readWithLibrary(file);
    expect(lib.info).toBeNull();
    expect(lib.name).toBe('NONE');
    expect(lib.infoDecryption).toBe('NONE');
    expect(lib.infoParse).toBe('LITE_default');
    expect(lib.modelDecryption).toBe('NONE');
    const parts = unpackModel(file);
    expect(parts.info).toBeUndefined();
  });

  it('info as a JSON string or bytes; the header name comes from the info', () => {
    const s = JSON.stringify(info, null, 2);
    expect(unpackModel(packModel({ model, info: s })).name).toBe('shufflenet');
    expect(text(unpackModel(packModel({ model, info: new TextEncoder().encode(s) })).info)).toBe(s);
  });

  it('RC4-encrypted model and info (the encrypt_info_and_model.sh layout)', () => {
    const file = packModel({ model, info, modelCryption: 'RC4_default', infoCryption: 'RC4_default' });
    const parts = unpackModel(file);
    expect(parts.modelCryption).toBe('RC4_default');
    expect(parts.infoCryption).toBe('RC4_default');
    const m = decryptModel(parts.model, { method: 'RC4_default' });
    expect(Buffer.from(m.subarray(0, model.length)).equals(Buffer.from(model))).toBe(true);
    // Lite parses the decrypted info including padding and trailer: a NUL ends the JSON first.
    const i = decryptModel(parts.info!, { method: 'RC4_default' });
    const json = JSON.stringify(info);
    expect(text(i.subarray(0, json.length))).toBe(json);
    expect(i[json.length]).toBe(0);
  });

  it('SIMPLE_FAST_RC4 and AES with explicit keys', () => {
    const rc4key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const aeskey = Uint8Array.from({ length: 32 }, (_, i) => 100 + i);
    const file = packModel({
      model,
      info,
      modelCryption: { method: 'SIMPLE_FAST_RC4_default', key: rc4key },
      infoCryption: { method: 'AES_default', key: aeskey },
    });
    const parts = unpackModel(file);
    expect(parts.modelCryption).toBe('SIMPLE_FAST_RC4_default');
    expect(parts.infoCryption).toBe('AES_default');
    const m = decryptModel(parts.model, { method: 'SIMPLE_FAST_RC4_default', key: rc4key });
    expect(Buffer.from(m.subarray(0, model.length)).equals(Buffer.from(model))).toBe(true);
    // AES output is trimmed exactly, so no NUL is added
    expect(JSON.parse(text(decryptModel(parts.info!, { method: 'AES_default', key: aeskey })))).toEqual(info);
  });

  it('pre-encrypted parts with a custom method name are stored as given', () => {
    const blob = Uint8Array.from([9, 8, 7, 6]);
    const parts = unpackModel(
      packModel({
        model: blob,
        info: blob,
        name: 'custom',
        modelCryption: { method: 'my_xor', preEncrypted: true },
        infoCryption: { method: 'my_xor', preEncrypted: true },
      }),
    );
    expect(parts.modelCryption).toBe('my_xor');
    expect(parts.name).toBe('custom');
    expect([...parts.model]).toEqual([9, 8, 7, 6]);
    expect([...parts.info!]).toEqual([9, 8, 7, 6]);
  });

  it('a custom info parser name skips LITE_default checks', () => {
    const parts = unpackModel(packModel({ model, info: 'not json', infoParser: 'my_parser', name: 'x' }));
    expect(parts.infoParser).toBe('my_parser');
    expect(text(parts.info)).toBe('not json');
  });
});

describe('packModel rejects what Lite would reject', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['empty model', () => packModel({ model: new Uint8Array(0) }), /model must be a non-empty/],
    ['unknown method', () => packModel({ model, modelCryption: 'ROT13' as never }), /unknown method "ROT13"/],
    [
      'custom method without preEncrypted',
      () => packModel({ model, modelCryption: { method: 'mine' } as never }),
      /only built-in methods/,
    ],
    ['name mismatch', () => packModel({ model, info, name: 'other' }), /differs from the info's name/],
    ['non-JSON info for LITE_default', () => packModel({ model, info: '{oops' }), /not valid UTF-8 JSON/],
    ['missing valid', () => packModel({ model, info: { name: 'a', version: '1.0.0' } as never }), /valid must be a boolean/],
    ['bad version', () => packModel({ model, info: { ...info, version: '1.0' } }), /version/],
    ['bad device type', () => packModel({ model, info: { ...info, device: { type: 'GPU' as never } } }), /device.type/],
    [
      'bad dtype',
      () => packModel({ model, info: { ...info, IO: { inputs: [{ name: 'x', dtype: 'float64' as never }] } } }),
      /IO.inputs\[0\].dtype/,
    ],
    [
      'gap in shape',
      () => packModel({ model, info: { ...info, IO: { inputs: [{ name: 'x', shape: { dim0: 1, dim2: 3 } }] } } }),
      /dim2 is given but dim1 is not/,
    ],
    [
      'negative thread count',
      () => packModel({ model, info: { ...info, device: { type: 'CPU', number_threads: -1 } } }),
      /number_threads/,
    ],
    ['empty key', () => packModel({ model, modelCryption: { method: 'AES_default', key: [] } }), /must not be empty/],
  ];
  for (const [what, fn, re] of bad) {
    it(what, () => {
      expect(fn).toThrow(re);
      expect(fn).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    });
  }

  it('validateModelInfo accepts the full example and unknown extra keys', () => {
    expect(() => validateModelInfo(info)).not.toThrow();
    expect(() => validateModelInfo({ ...info, something_new: 1 })).not.toThrow();
  });
});

describe('unpackModel on damaged input', () => {
  const file = packModel({ model, info });

  it('rejects a bare model', () => {
    expect(() => unpackModel(model)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
  });

  it('every truncation throws a clear error, never reads out of range', () => {
    // The file ends with the name string "shufflenet", its NUL and 1 alignment byte; cutting
    // only those two does not lose data, every longer cut must be detected.
    for (let cut = 12; cut <= file.length - 3; cut++) {
      expect(() => unpackModel(file.subarray(0, cut))).toThrow(
        expect.objectContaining({ code: 'LITE_CRYPTO_CORRUPT' }),
      );
    }
  });

  it('garbage after the tag throws a clear error', () => {
    const junk = new Uint8Array(64).fill(0xff);
    junk.set(new TextEncoder().encode('packed_model'));
    expect(() => unpackModel(junk)).toThrow(expect.objectContaining({ code: 'LITE_CRYPTO_CORRUPT' }));
  });
});
