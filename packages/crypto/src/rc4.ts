/**
 * The two RC4-flavoured ciphers of MegEngine Lite ("RC4_default" and
 * "SIMPLE_FAST_RC4_default"), re-implemented from a reading of the upstream sources.
 *
 * Building blocks (all 64-bit words are little-endian, as on the platforms Lite runs on):
 *
 * - A keyed byte stream ({@link Rc4Stream}): an RC4 key schedule fed with the 8 bytes of a
 *   64-bit seed (byte `k % 8` at step `k`), then 768 outputs dropped, then one more output
 *   `t` read and `t` further outputs dropped. Each output byte is *not* the textbook RC4
 *   byte: after the usual i/j update and swap it mixes five S-box look-ups.
 * - A 64-bit hash ({@link Hash64}), a fast-hash style mixer seeded with the hash key and
 *   fed one 64-bit word at a time.
 *
 * 64-bit arithmetic is done on pairs of unsigned 32-bit halves to stay fast without BigInt.
 *
 * @module
 */

import { corrupt } from './errors.js';

/** A 64-bit unsigned value as two unsigned 32-bit halves. */
interface U64 {
  lo: number;
  hi: number;
}

/** Multiplies two 64-bit values modulo 2^64. */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number, out: U64): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const mid = a0 * b1 + a1 * b0; // < 2^33, exact in a double
  const p11 = a1 * b1;
  const lowSum = p00 + (mid % 65536) * 65536; // < 2^33
  const carry = Math.floor(lowSum / 4294967296);
  out.lo = lowSum >>> 0;
  out.hi =
    (p11 + Math.floor(mid / 65536) + carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** First multiplier of the hash: 0x2127599bf4325c37. */
const MUL0: U64 = { lo: 0xf4325c37, hi: 0x2127599b };
/** Second multiplier of the hash: 0x880355f21e6d1965. */
const MUL1: U64 = { lo: 0x1e6d1965, hi: 0x880355f2 };

/**
 * 64-bit hash used by both RC4 variants for integrity and key mixing.
 * feed(v): v ^= v >> 23; v *= MUL0; v ^= v >> 47; h ^= v; h *= MUL1 (all mod 2^64).
 * @internal
 */
export class Hash64 {
  private lo: number;
  private hi: number;
  private readonly tmp: U64 = { lo: 0, hi: 0 };

  /** @param seed the initial hash state (the "hash key") */
  constructor(seed: U64) {
    this.lo = seed.lo >>> 0;
    this.hi = seed.hi >>> 0;
  }

  /** Mixes one 64-bit word (given as halves) into the state. */
  feed(vLo: number, vHi: number): void {
    // v ^= v >> 23
    let lo = (vLo ^ ((vLo >>> 23) | (vHi << 9))) >>> 0;
    let hi = (vHi ^ (vHi >>> 23)) >>> 0;
    // v *= MUL0
    mul64(lo, hi, MUL0.lo, MUL0.hi, this.tmp);
    lo = this.tmp.lo;
    hi = this.tmp.hi;
    // v ^= v >> 47
    lo = (lo ^ (hi >>> 15)) >>> 0;
    // h ^= v; h *= MUL1
    mul64((this.lo ^ lo) >>> 0, (this.hi ^ hi) >>> 0, MUL1.lo, MUL1.hi, this.tmp);
    this.lo = this.tmp.lo;
    this.hi = this.tmp.hi;
  }

  /** The current hash value. */
  get(): U64 {
    return { lo: this.lo, hi: this.hi };
  }
}

/**
 * The keyed pseudo-random byte stream of Lite's RC4 ciphers.
 * @internal
 */
export class Rc4Stream {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** @param seed the 64-bit seed (an encryption key or a hash value) */
  constructor(seed: U64) {
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const shift = (k % 8) * 8;
      const keyByte = shift < 32 ? (seed.lo >>> shift) & 0xff : (seed.hi >>> (shift - 32)) & 0xff;
      const sk = s[k]!;
      j = (j + sk + keyByte) & 0xff;
      s[k] = s[j]!;
      s[j] = sk;
    }
    for (let k = 0; k < 768; k++) this.next8();
    const extra = this.next8();
    for (let k = 0; k < extra; k++) this.next8();
  }

  /** The next byte of the stream. */
  next8(): number {
    const s = this.s;
    const i = (this.i + 1) & 0xff;
    const a = s[i]!;
    const j = (this.j + a) & 0xff;
    const b = s[j]!;
    s[i] = b;
    s[j] = a;
    this.i = i;
    this.j = j;
    const c = (s[((i << 5) ^ (j >>> 3)) & 0xff]! + s[((j << 5) ^ (i >>> 3)) & 0xff]!) & 0xff;
    return ((s[(a + b) & 0xff]! + s[c ^ 0xaa]!) ^ s[(j + b) & 0xff]!) & 0xff;
  }

  /** The next 8 bytes of the stream as a little-endian 64-bit word. */
  next64(): U64 {
    const b0 = this.next8();
    const b1 = this.next8();
    const b2 = this.next8();
    const b3 = this.next8();
    const b4 = this.next8();
    const b5 = this.next8();
    const b6 = this.next8();
    const b7 = this.next8();
    return {
      lo: (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0,
      hi: (b4 | (b5 << 8) | (b6 << 16) | (b7 << 24)) >>> 0,
    };
  }
}

/** The two 64-bit halves of an RC4 key: bytes 0..7 and 8..15, little-endian. */
export interface Rc4KeyParts {
  /** Seed of the integrity/mixing hash (key bytes 0..7). */
  hashKey: U64;
  /** Seed of the outer encryption stream (key bytes 8..15). */
  encKey: U64;
}

/** @internal Splits a key of at least 16 bytes; only the first 16 bytes are used. */
export function splitRc4Key(key: Uint8Array): Rc4KeyParts {
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return {
    hashKey: { lo: dv.getUint32(0, true), hi: dv.getUint32(4, true) },
    encKey: { lo: dv.getUint32(8, true), hi: dv.getUint32(12, true) },
  };
}

/** Copies `plain` into a zeroed buffer padded to a multiple of 8, plus 8 spare bytes. */
function padded(plain: Uint8Array): { buf: Uint8Array; body: number } {
  const body = Math.ceil(plain.length / 8) * 8;
  const buf = new Uint8Array(body + 8);
  buf.set(plain);
  return { buf, body };
}

function writeU64(dv: DataView, offset: number, v: U64): void {
  dv.setUint32(offset, v.lo, true);
  dv.setUint32(offset + 4, v.hi, true);
}

/** Hashes the first `words` 64-bit words of `dv`. */
function hashWords(seed: U64, dv: DataView, words: number): U64 {
  const h = new Hash64(seed);
  for (let w = 0; w < words; w++) h.feed(dv.getUint32(w * 8, true), dv.getUint32(w * 8 + 4, true));
  return h.get();
}

/**
 * RC4_default encryption. Output: `pad8(plain) ^ S_hash ^ S_enc` followed by a protected
 * 8-byte hash, where
 * - `H_plain = Hash64(hashKey)` over the zero-padded plaintext words,
 * - `S_hash = Rc4Stream(H_plain)`, `S_enc = Rc4Stream(encKey)` (one stream byte per data byte),
 * - `H_mid = Hash64(hashKey)` over the words of `pad8(plain) ^ S_hash`,
 * - the trailer is `H_plain ^ H_mid ^ (next 8 bytes of S_enc)`.
 * @internal
 */
export function rc4Encrypt(plain: Uint8Array, key: Rc4KeyParts): Uint8Array {
  const { buf, body } = padded(plain);
  const dv = new DataView(buf.buffer);
  const plainHash = hashWords(key.hashKey, dv, body / 8);
  const hashStream = new Rc4Stream(plainHash);
  const encStream = new Rc4Stream(key.encKey);
  const midHash = new Hash64(key.hashKey);
  for (let off = 0; off < body; off += 8) {
    for (let k = off; k < off + 8; k++) buf[k] = buf[k]! ^ hashStream.next8();
    midHash.feed(dv.getUint32(off, true), dv.getUint32(off + 4, true));
    for (let k = off; k < off + 8; k++) buf[k] = buf[k]! ^ encStream.next8();
  }
  const mid = midHash.get();
  const pad = encStream.next64();
  writeU64(dv, body, {
    lo: (plainHash.lo ^ mid.lo ^ pad.lo) >>> 0,
    hi: (plainHash.hi ^ mid.hi ^ pad.hi) >>> 0,
  });
  return buf;
}

/**
 * RC4_default decryption exactly as Lite's built-in decryptor does it: the output has the
 * same length as the input (the zero padding and the 8 trailer bytes, decrypted to noise,
 * are kept). There is no integrity check: a wrong key or damaged data gives garbage.
 * @internal
 */
export function rc4Decrypt(cipher: Uint8Array, key: Rc4KeyParts): Uint8Array {
  if (cipher.length < 8) throw corrupt('RC4_default data is shorter than its 8-byte trailer');
  const dv = new DataView(cipher.buffer, cipher.byteOffset, cipher.byteLength);
  const words = Math.floor((cipher.length - 8) / 8);
  // Recover the plaintext hash: undo the outer stream word by word while re-hashing.
  const outer = new Rc4Stream(key.encKey);
  const h = new Hash64(key.hashKey);
  for (let w = 0; w < words; w++) {
    const s = outer.next64();
    h.feed((dv.getUint32(w * 8, true) ^ s.lo) >>> 0, (dv.getUint32(w * 8 + 4, true) ^ s.hi) >>> 0);
  }
  const mid = h.get();
  const pad = outer.next64();
  const tail = cipher.length - 8;
  const plainHash: U64 = {
    lo: (dv.getUint32(tail, true) ^ mid.lo ^ pad.lo) >>> 0,
    hi: (dv.getUint32(tail + 4, true) ^ mid.hi ^ pad.hi) >>> 0,
  };
  const hashStream = new Rc4Stream(plainHash);
  const encStream = new Rc4Stream(key.encKey);
  const out = new Uint8Array(cipher.length);
  for (let k = 0; k < cipher.length; k++) out[k] = cipher[k]! ^ hashStream.next8() ^ encStream.next8();
  return out;
}

/**
 * SIMPLE_FAST_RC4_default encryption. Output: `pad8(plain) ^ Rc4Stream(encKey)` followed by
 * the 8-byte checksum `Hash64(hashKey)` over the *ciphertext* words.
 * @internal
 */
export function simpleFastRc4Encrypt(plain: Uint8Array, key: Rc4KeyParts): Uint8Array {
  const { buf, body } = padded(plain);
  const dv = new DataView(buf.buffer);
  const encStream = new Rc4Stream(key.encKey);
  for (let k = 0; k < body; k++) buf[k] = buf[k]! ^ encStream.next8();
  writeU64(dv, body, hashWords(key.hashKey, dv, body / 8));
  return buf;
}

/**
 * SIMPLE_FAST_RC4_default decryption exactly as Lite's built-in decryptor does it: the
 * checksum is verified first (a mismatch throws), then every input byte, trailer included,
 * is XORed with `Rc4Stream(encKey)`; the output has the input's length.
 * @internal
 */
export function simpleFastRc4Decrypt(cipher: Uint8Array, key: Rc4KeyParts): Uint8Array {
  if (cipher.length < 8) {
    throw corrupt('SIMPLE_FAST_RC4_default data is shorter than its 8-byte checksum');
  }
  const dv = new DataView(cipher.buffer, cipher.byteOffset, cipher.byteLength);
  const words = Math.floor((cipher.length - 8) / 8);
  const sum = hashWords(key.hashKey, dv, words);
  const tail = cipher.length - 8;
  if (dv.getUint32(tail, true) !== sum.lo || dv.getUint32(tail + 4, true) !== sum.hi) {
    throw corrupt(
      'SIMPLE_FAST_RC4_default checksum mismatch: wrong key, wrong method, or damaged data',
    );
  }
  const encStream = new Rc4Stream(key.encKey);
  const out = new Uint8Array(cipher.length);
  for (let k = 0; k < cipher.length; k++) out[k] = cipher[k]! ^ encStream.next8();
  return out;
}
