import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { decryptModel, defaultKey, encryptModel } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const PLAIN_FIXTURE = `${FIXTURES}shufflenet.mge`;
const AES_FIXTURE = `${FIXTURES}shufflenet.aes.mge`;

/** Decrypts the AES_default layout with node:crypto directly, as Lite's decryptor does. */
function referenceDecrypt(data: Uint8Array, key: Uint8Array): Uint8Array {
  const size = data.length;
  const length = Number(Buffer.from(data.subarray(size - 8)).readBigUInt64BE(0));
  const d = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16));
  d.setAutoPadding(false);
  const body = Buffer.concat([d.update(data.subarray(16, size - 8)), d.final()]);
  return body.subarray(0, length);
}

describe('AES_default', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  for (const n of [1, 15, 16, 17, 1000, 65536 + 5]) {
    it(`round trip of ${n} bytes through node:crypto`, () => {
      const plain = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 255);
      const enc = encryptModel(plain, { method: 'AES_default', key });
      // IV + PKCS#7-padded body + 8-byte length
      expect(enc.length).toBe(16 + (Math.floor(n / 16) + 1) * 16 + 8);
      expect(Buffer.from(enc.subarray(enc.length - 8)).readBigUInt64BE(0)).toBe(BigInt(n));
      expect(Buffer.from(referenceDecrypt(enc, key)).equals(Buffer.from(plain))).toBe(true);
      expect(Buffer.from(decryptModel(enc, { method: 'AES_default', key })).equals(Buffer.from(plain))).toBe(true);
    });
  }

  it('uses a fresh random IV each time', () => {
    const plain = new Uint8Array(100);
    const a = encryptModel(plain, { method: 'AES_default' });
    const b = encryptModel(plain, { method: 'AES_default' });
    expect(Buffer.from(a.subarray(0, 16)).equals(Buffer.from(b.subarray(0, 16)))).toBe(false);
  });

  it('a fixed IV gives the openssl enc -aes-256-cbc layout (known answer)', () => {
    // Same as: openssl enc -e -aes-256-cbc -K 000102..1f -iv 000102..0f, IV prepended, size appended.
    const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
    const enc = encryptModel(new TextEncoder().encode('MegEngine'), { method: 'AES_default', iv });
    expect(Buffer.from(enc.subarray(0, 16)).equals(Buffer.from(iv))).toBe(true);
    // ciphertext computed with the openssl CLI
    expect(Buffer.from(enc.subarray(16, 32)).toString('hex')).toBe('349a03bc67fe1d3b1ddd71c7fe9096df');
    expect(Buffer.from(enc.subarray(32)).toString('hex')).toBe('0000000000000009');
    expect(enc.length).toBe(40);
  });

  it('the default key is 0x00..0x1F', () => {
    expect(Buffer.from(defaultKey('AES_default')).toString('hex')).toBe(
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    );
    const plain = new TextEncoder().encode('default key');
    const enc = encryptModel(plain, { method: 'AES_default' });
    expect(Buffer.from(referenceDecrypt(enc, defaultKey('AES_default'))).toString()).toBe('default key');
  });

  it('accepts the key as a number array', () => {
    const arr = Array.from({ length: 32 }, (_, i) => i);
    const enc = encryptModel(new Uint8Array([1, 2, 3]), { method: 'AES_default', key: arr });
    expect([...decryptModel(enc, { method: 'AES_default' })]).toEqual([1, 2, 3]);
  });

  it('corrupted sizes are rejected, not mis-decrypted', () => {
    const enc = encryptModel(new Uint8Array(40), { method: 'AES_default' });
    expect(() => decryptModel(enc.subarray(0, enc.length - 1), { method: 'AES_default' })).toThrow(
      expect.objectContaining({ code: 'LITE_CRYPTO_CORRUPT' }),
    );
    expect(() => decryptModel(new Uint8Array(24), { method: 'AES_default' })).toThrow(/bad size/);
    const lying = enc.slice();
    lying[lying.length - 3] = 0xff; // stored length far beyond the data
    expect(() => decryptModel(lying, { method: 'AES_default' })).toThrow(/stored length/);
  });

  it(
    'decrypts the Python-encrypted fixture shufflenet.aes.mge (key 0..31) to shufflenet.mge byte for byte',
    () => {
      const enc = new Uint8Array(readFileSync(AES_FIXTURE));
      const plain = readFileSync(PLAIN_FIXTURE);
      const dec = decryptModel(enc, { method: 'AES_default', key: Array.from({ length: 32 }, (_, i) => i) });
      expect(dec.length).toBe(plain.length);
      expect(Buffer.from(dec).equals(plain)).toBe(true);
      // and our encryption of the plain model decrypts back the same way
      const again = encryptModel(new Uint8Array(plain), { method: 'AES_default' });
      expect(again.length).toBe(enc.length);
      expect(Buffer.from(referenceDecrypt(again, defaultKey('AES_default'))).equals(plain)).toBe(true);
    },
  );
});
