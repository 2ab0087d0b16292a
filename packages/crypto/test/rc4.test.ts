import { describe, expect, it } from 'vitest';

import { decryptModel, defaultKey, encryptModel, rc4Key } from '../src/index.js';
// The C++ encryptors accept an empty input while encryptModel rejects it, so the KATs also
// call the internal encryptors directly.
import { Hash64, Rc4Stream, rc4Encrypt, simpleFastRc4Encrypt, splitRc4Key } from '../src/rc4.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The second key of the known-answer vectors: byte i = 7 * i + 3. */
const customKey = Uint8Array.from({ length: 16 }, (_, i) => i * 7 + 3);

/**
 * Known answers produced by compiling MegEngine's lite/src/decryption/rc4 sources
 * (rc4_cryption_base.h + the encrypt/decrypt routines of rc4_cryption_impl.cpp) in a
 * throw-away harness on x86-64 (little-endian), key = the built-in default key (k0) or
 * `customKey` (k1). The decrypted forms are exactly what Lite's decryptors return.
 */
const KAT: Array<{ key: 'k0' | 'k1'; msg: string; rc4: string; sfrc4: string; rc4dec?: string; sfdec?: string }> = [
  { key: 'k0', msg: '', rc4: 'aa76aea2a8e42ddf', sfrc4: '6c69656a67666b68' },
  {
    key: 'k0',
    msg: 'a',
    rc4: '4002d4fcd6c433d29a8cebddb4afe3ea',
    sfrc4: 'cb76aea2a8e42ddf27164b5ea5eb5a05',
    rc4dec: '6100000000000000dd99281624e01165',
    sfdec: '6100000000000000b1d27a1625887d7f',
  },
  {
    key: 'k0',
    msg: 'MegEngine Lite!',
    rc4: '2fe9ed641e234764540b808a14853d7ec15ab4da882dfab1',
    sfrc4: 'e713c9e7c68344b1f3e47d21f406067a67d5b5707fd39c0e',
    rc4dec: '4d6567456e67696e65204c6974652100f98c55c238489b79',
    sfdec: '4d6567456e67696e65204c697465210057bcfe0adc26c6f5',
  },
  {
    key: 'k0',
    msg: '0123456789abcdef',
    rc4: '47cdb1e6d6085616b83dcc1806b2793acfb6a577502c851f',
    sfrc4: '9a479c919cd11be8aefd502ae307421c06b495bede4f6fb8',
    rc4dec: '30313233343536373839616263646566a924f745b5706aee',
    sfdec: '3031323334353637383961626364656636dddec47dba3543',
  },
  {
    key: 'k0',
    msg: 'The quick brown fox jumps over the lazy dog',
    rc4: '7e846411e2ffa8d6fe5619798e89b3af6059b932bdb7fcc58496bb23a4b86fcdea209c2c6fcc1a98cf51bff5226cddbf94ace1329208e400',
    sfrc4: 'fe1ecb82d99144bcfde4533aef14495a5606335ac980378ba4e5ee0b34490a7284ba84314326e2f536112364259b21e53db581a388a57898',
    rc4dec: '54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f6700000000007b93a36b4a2d163f',
    sfdec: '54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f6700000000000adf026f608bbe06',
  },
  { key: 'k1', msg: '', rc4: '72a4a09bf448f6b0', sfrc4: '030a11181f262d34' },
  {
    key: 'k1',
    msg: 'a',
    rc4: 'd9fe0a93071efc826e1d1cd3372ee452',
    sfrc4: '13a4a09bf448f6b00574bef2d7512626',
    rc4dec: '61000000000000009ef0b8a499e24563',
    sfdec: '610000000000000008a88a8ec371c084',
  },
  {
    key: 'k1',
    msg: 'MegEngine Lite!',
    rc4: '550fa83fb649652808cc490d26c1525851ea73a48725294d',
    sfrc4: '3fc1c7de9a2f9fde68fc78156045c7a2c822d1842bc35a61',
    rc4dec: '4d6567456e67696e65204c69746521006593bd6fd9c56525',
    sfdec: '4d6567456e67696e65204c69746521006fa0b7f2d4491c82',
  },
  {
    key: 'k1',
    msg: '0123456789abcdef',
    rc4: '3218f6acf2c458df5e877d39a5ec5592d3b3706f07fd1ab7',
    sfrc4: '429592a8c07dc08735e5551e774483c4a6a190ed15e3baec',
    rc4dec: '303132333435363738396162636465669fdd4a29c458b2d8',
    sfdec: '303132333435363738396162636465660123f69bea69fc0f',
  },
  {
    key: 'k1',
    msg: 'The quick brown fox jumps over the lazy dog',
    rc4: '2eef6dfabed9e3134efd4d1ba261126e067e2eddccfcdc68ebfc35fbabde14c49a48a993a004740e614c80d07e7f8a54c1a582123c2ada30',
    sfrc4: '26ccc5bb853d9fd366fc560e7b578882c1ed1e5695ff2b939c0de7afe470a747de81b65297f286bb57d35b30399791e3500b6315233bd4be',
    rc4dec: '54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f6700000000000003f10f735f7705',
    sfdec: '54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f67000000000017bf7eade94872a9',
  },
];

const keyOf = (k: 'k0' | 'k1'): Uint8Array => (k === 'k0' ? defaultKey('RC4_default') : customKey);

describe('RC4 building blocks (known answers from the upstream C++)', () => {
  it('default key layout: hash key then encryption key, little-endian', () => {
    expect(hex(defaultKey('RC4_default').subarray(0, 16))).toBe('6c69656a67666b687c7f7e79787d7b7a');
    expect(defaultKey('RC4_default').length).toBe(128);
    expect(defaultKey('SIMPLE_FAST_RC4_default')).toEqual(defaultKey('RC4_default'));
    expect(hex(rc4Key(0x686b66676a65696cn, 0x7a7b7d78797e7f7cn))).toBe('6c69656a67666b687c7f7e79787d7b7a');
  });

  it('stream seeded with the default encryption key', () => {
    const s = new Rc4Stream(splitRc4Key(defaultKey('RC4_default')).encKey);
    const out = Uint8Array.from({ length: 32 }, () => s.next8());
    expect(hex(out)).toBe('aa76aea2a8e42ddf96c431488063277a30694b7aa3f55afbd7c5817d513b2a06');
  });

  it('stream seeded with 0', () => {
    const s = new Rc4Stream({ lo: 0, hi: 0 });
    expect(hex(Uint8Array.from({ length: 16 }, () => s.next8()))).toBe('c339fdc62dafd93cb58a84fcd404476f');
  });

  it('hash of two words with the default hash key', () => {
    const h = new Hash64(splitRc4Key(defaultKey('RC4_default')).hashKey);
    h.feed(0x89abcdef, 0x01234567);
    h.feed(0xffffffff, 0xffffffff);
    const v = h.get();
    expect((BigInt(v.hi) << 32n) | BigInt(v.lo)).toBe(0xe8a071d139462302n);
  });

  it('hash matches a BigInt model of the C++ arithmetic on random words', () => {
    const M = (1n << 64n) - 1n;
    const mul0 = 0x2127599bf4325c37n;
    const mul1 = 0x880355f21e6d1965n;
    let seed = 0x12345678n;
    const rand64 = (): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) & M;
      return seed;
    };
    for (let trial = 0; trial < 50; trial++) {
      const start = rand64();
      const h = new Hash64({ lo: Number(start & 0xffffffffn), hi: Number(start >> 32n) });
      let ref = start;
      for (let k = 0; k < 20; k++) {
        let v = rand64();
        h.feed(Number(v & 0xffffffffn), Number(v >> 32n));
        v ^= v >> 23n;
        v = (v * mul0) & M;
        v ^= v >> 47n;
        ref ^= v;
        ref = (ref * mul1) & M;
      }
      const got = h.get();
      expect((BigInt(got.hi) << 32n) | BigInt(got.lo)).toBe(ref);
    }
  });
});

describe('RC4_default and SIMPLE_FAST_RC4_default known answers', () => {
  for (const v of KAT) {
    it(`${v.key} ${JSON.stringify(v.msg)}`, () => {
      const key = keyOf(v.key);
      const parts = splitRc4Key(key);
      const plain = ascii(v.msg);
      expect(hex(rc4Encrypt(plain, parts))).toBe(v.rc4);
      expect(hex(simpleFastRc4Encrypt(plain, parts))).toBe(v.sfrc4);
      if (v.msg.length > 0) {
        expect(hex(encryptModel(plain, { method: 'RC4_default', key }))).toBe(v.rc4);
        expect(hex(encryptModel(plain, { method: 'SIMPLE_FAST_RC4_default', key }))).toBe(v.sfrc4);
      }
      if (v.rc4dec !== undefined && v.sfdec !== undefined) {
        expect(hex(decryptModel(Buffer.from(v.rc4, 'hex'), { method: 'RC4_default', key }))).toBe(v.rc4dec);
        expect(hex(decryptModel(Buffer.from(v.sfrc4, 'hex'), { method: 'SIMPLE_FAST_RC4_default', key }))).toBe(
          v.sfdec,
        );
      }
    });
  }

  it('a 3001-byte input (several 1 KiB read chunks in the decryptor)', () => {
    const big = Uint8Array.from({ length: 3001 }, (_, i) => (i * 31 + 7) & 255);
    const rc4 = encryptModel(big, { method: 'RC4_default', key: customKey });
    expect(rc4.length).toBe(3016);
    expect(hex(rc4.subarray(rc4.length - 16))).toBe('5332215668edd4e81c5b19e2d37afa07');
    const sf = encryptModel(big, { method: 'SIMPLE_FAST_RC4_default', key: customKey });
    expect(sf.length).toBe(3016);
    expect(hex(sf.subarray(sf.length - 16))).toBe('443bda70a595a8c291d1506f4247f8c0');
  });

  it('the default key is used when none is given, and only 16 key bytes matter', () => {
    const plain = ascii('MegEngine Lite!');
    expect(hex(encryptModel(plain, { method: 'RC4_default' }))).toBe(KAT[2]!.rc4);
    const key16 = defaultKey('RC4_default').slice(0, 16);
    expect(hex(encryptModel(plain, { method: 'RC4_default', key: key16 }))).toBe(KAT[2]!.rc4);
    expect(hex(encryptModel(plain, { method: 'RC4_default', key: [...key16, 9, 9, 9] }))).toBe(KAT[2]!.rc4);
  });
});

describe('RC4 round trips', () => {
  const sizes = [1, 7, 8, 9, 15, 16, 17, 1023, 1024, 1025, 1031, 1032, 4096 + 3, 20000];
  for (const method of ['RC4_default', 'SIMPLE_FAST_RC4_default'] as const) {
    for (const n of sizes) {
      it(`${method} ${n} bytes`, () => {
        const plain = Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 8)) & 255);
        const key = rc4Key(0x0123456789abcdefn + BigInt(n), 0xfedcba9876543210n);
        const enc = encryptModel(plain, { method, key });
        const padded = Math.ceil(n / 8) * 8;
        expect(enc.length).toBe(padded + 8);
        expect(Buffer.from(enc.subarray(0, n)).equals(Buffer.from(plain))).toBe(false);
        const dec = decryptModel(enc, { method, key });
        expect(dec.length).toBe(enc.length);
        expect(Buffer.from(dec.subarray(0, n)).equals(Buffer.from(plain))).toBe(true);
        expect(dec.subarray(n, padded).every((b) => b === 0)).toBe(true);
      });
    }
  }

  it('RC4_default: any flipped byte (body or trailer) garbles the whole output', () => {
    const plain = Uint8Array.from({ length: 256 }, (_, i) => i);
    const enc = encryptModel(plain, { method: 'RC4_default' });
    for (const pos of [0, 100, enc.length - 1]) {
      const bad = enc.slice();
      bad[pos] = bad[pos]! ^ 1;
      const dec = decryptModel(bad, { method: 'RC4_default' });
      let same = 0;
      for (let i = 0; i < 256; i++) if (dec[i] === plain[i]) same++;
      expect(same).toBeLessThan(16);
    }
  });

  it('RC4_default with the wrong key gives garbage (no integrity check)', () => {
    const plain = Uint8Array.from({ length: 64 }, (_, i) => i);
    const enc = encryptModel(plain, { method: 'RC4_default' });
    const dec = decryptModel(enc, { method: 'RC4_default', key: new Uint8Array(16).fill(1) });
    expect(Buffer.from(dec.subarray(0, 64)).equals(Buffer.from(plain))).toBe(false);
  });

  it('SIMPLE_FAST_RC4_default rejects a wrong key, a flipped byte and a wrong method', () => {
    const plain = Uint8Array.from({ length: 64 }, (_, i) => i);
    const enc = encryptModel(plain, { method: 'SIMPLE_FAST_RC4_default' });
    expect(() => decryptModel(enc, { method: 'SIMPLE_FAST_RC4_default', key: new Uint8Array(16).fill(1) })).toThrow(
      /checksum/,
    );
    const bad = enc.slice();
    bad[3] = bad[3]! ^ 0x80;
    expect(() => decryptModel(bad, { method: 'SIMPLE_FAST_RC4_default' })).toThrow(
      expect.objectContaining({ code: 'LITE_CRYPTO_CORRUPT' }),
    );
    const rc4 = encryptModel(plain, { method: 'RC4_default' });
    expect(() => decryptModel(rc4, { method: 'SIMPLE_FAST_RC4_default' })).toThrow(/checksum/);
  });

  it('inputs shorter than the 8-byte trailer are rejected', () => {
    for (const method of ['RC4_default', 'SIMPLE_FAST_RC4_default'] as const) {
      expect(() => decryptModel(new Uint8Array(7), { method })).toThrow(
        expect.objectContaining({ code: 'LITE_CRYPTO_CORRUPT' }),
      );
    }
  });
});
