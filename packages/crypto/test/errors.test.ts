import { describe, expect, it } from 'vitest';

import {
  BUILTIN_CRYPTION_METHODS,
  LiteCryptoError,
  decryptModel,
  encryptModel,
  isBuiltinCryptionMethod,
  rc4Key,
} from '../src/index.js';

const data = new Uint8Array([1, 2, 3, 4]);
/** A recognisable key: its bytes must never show up in an error message. */
const secret = Uint8Array.from({ length: 31 }, (_, i) => 0xa0 + i);

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LiteCryptoError);
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

describe('bad inputs to encryptModel / decryptModel', () => {
  it('lists the built-in methods', () => {
    expect(BUILTIN_CRYPTION_METHODS).toEqual(['AES_default', 'RC4_default', 'SIMPLE_FAST_RC4_default']);
    expect(isBuiltinCryptionMethod('RC4_default')).toBe(true);
    expect(isBuiltinCryptionMethod('rc4_default')).toBe(false);
  });

  it('unknown method', () => {
    const msg = messageOf(() => encryptModel(data, { method: 'DES_default' as never }));
    expect(msg).toMatch(/unknown cryption method "DES_default"/);
    expect(msg).toMatch(/AES_default, RC4_default, SIMPLE_FAST_RC4_default/);
    expect(() => decryptModel(data, { method: 'NONE' as never })).toThrow(/unknown cryption method/);
    expect(() => encryptModel(data, undefined as never)).toThrow(/options/);
  });

  it('empty key', () => {
    for (const method of BUILTIN_CRYPTION_METHODS) {
      expect(() => encryptModel(data, { method, key: [] })).toThrow(`${method} key must not be empty`);
      expect(() => encryptModel(data, { method, key: new Uint8Array(0) })).toThrow(/must not be empty/);
    }
  });

  it('AES key must be exactly 32 bytes, and the key never appears in the message', () => {
    const msg = messageOf(() => encryptModel(data, { method: 'AES_default', key: secret }));
    expect(msg).toMatch(/exactly 32 bytes .* got 31/);
    const hex = Buffer.from(secret).toString('hex');
    expect(msg).not.toContain(hex.slice(0, 8));
    expect(msg).not.toContain(String(secret[0]));
    expect(msg).not.toContain(String(secret[5]));
    expect(() => encryptModel(data, { method: 'AES_default', key: new Uint8Array(33) })).toThrow(/got 33/);
    expect(() => decryptModel(data, { method: 'AES_default', key: new Uint8Array(16) })).toThrow(/got 16/);
  });

  it('RC4 keys need at least 16 bytes (Lite reads two 64-bit words)', () => {
    for (const method of ['RC4_default', 'SIMPLE_FAST_RC4_default'] as const) {
      const msg = messageOf(() => encryptModel(data, { method, key: secret.subarray(0, 15) }));
      expect(msg).toMatch(/at least 16 bytes .* got 15/);
      expect(msg).not.toContain(String(secret[1]));
    }
  });

  it('key arrays must hold bytes; the message names the index, not the value', () => {
    const msg = messageOf(() =>
      encryptModel(data, { method: 'RC4_default', key: [...new Array<number>(15).fill(1), 1234] }),
    );
    expect(msg).toMatch(/element 15 is not an integer in 0..255/);
    expect(msg).not.toContain('1234');
    expect(() => encryptModel(data, { method: 'RC4_default', key: 'abc' as never })).toThrow(/Uint8Array or an array/);
    expect(() => encryptModel(data, { method: 'RC4_default', key: new Array(16).fill(0.5) })).toThrow(/element 0/);
  });

  it('input must be a non-empty Uint8Array', () => {
    expect(() => encryptModel(new Uint8Array(0), { method: 'AES_default' })).toThrow(/must not be empty/);
    expect(() => encryptModel([1, 2] as never, { method: 'AES_default' })).toThrow(/must be a Uint8Array/);
    expect(() => decryptModel(new Uint8Array(0), { method: 'RC4_default' })).toThrow(/must not be empty/);
  });

  it('errors carry stable codes', () => {
    expect(() => encryptModel(data, { method: 'X' as never })).toThrow(
      expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT', name: 'LiteCryptoError' }),
    );
  });

  it('the caller’s key buffer is neither kept nor altered', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const enc = encryptModel(data, { method: 'AES_default', key });
    expect([...key]).toEqual(Array.from({ length: 32 }, (_, i) => i));
    key.fill(0);
    expect([...decryptModel(enc, { method: 'AES_default' })]).toEqual([1, 2, 3, 4]);
  });

  it('rc4Key validates its halves', () => {
    expect(() => rc4Key(-1n, 0n)).toThrow(/unsigned 64-bit/);
    expect(() => rc4Key(0n, 1n << 64n)).toThrow(/unsigned 64-bit/);
    expect(() => rc4Key(1 as never, 0n)).toThrow(/bigints/);
    expect(rc4Key((1n << 64n) - 1n, 0n).subarray(0, 8).every((b) => b === 255)).toBe(true);
  });
});
