import { invalidArgument } from './errors.js';

/** The decryption methods built into MegEngine Lite that this package can also encrypt for. */
export type BuiltinCryptionMethod = 'AES_default' | 'RC4_default' | 'SIMPLE_FAST_RC4_default';

/** Every built-in method name, in a stable order. */
export const BUILTIN_CRYPTION_METHODS: readonly BuiltinCryptionMethod[] = Object.freeze([
  'AES_default',
  'RC4_default',
  'SIMPLE_FAST_RC4_default',
]);

/** A key as bytes: a `Uint8Array` or an array of integers 0..255. */
export type KeyLike = Uint8Array | readonly number[];

/** Length in bytes of an `AES_default` key (AES-256). */
export const AES_KEY_LENGTH = 32;

/** Minimum length in bytes of an RC4 key; only the first 16 bytes are used by Lite. */
export const RC4_KEY_LENGTH = 16;

/** True when `name` is one of {@link BUILTIN_CRYPTION_METHODS}. */
export function isBuiltinCryptionMethod(name: unknown): name is BuiltinCryptionMethod {
  return typeof name === 'string' && (BUILTIN_CRYPTION_METHODS as readonly string[]).includes(name);
}

/**
 * Builds a 16-byte RC4 key (for `RC4_default` / `SIMPLE_FAST_RC4_default`) from its two
 * 64-bit halves, the way Lite lays it out: bytes 0..7 hold `hashKey` and bytes 8..15 hold
 * `encKey`, each little-endian.
 *
 * @param hashKey seed of the cipher's 64-bit hash, 0 <= hashKey < 2^64
 * @param encKey seed of the cipher's encryption stream, 0 <= encKey < 2^64
 */
export function rc4Key(hashKey: bigint, encKey: bigint): Uint8Array {
  const limit = 1n << 64n;
  if (typeof hashKey !== 'bigint' || typeof encKey !== 'bigint') {
    throw invalidArgument('rc4Key: hashKey and encKey must be bigints');
  }
  if (hashKey < 0n || hashKey >= limit || encKey < 0n || encKey >= limit) {
    throw invalidArgument('rc4Key: hashKey and encKey must be unsigned 64-bit values');
  }
  const out = new Uint8Array(RC4_KEY_LENGTH);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, hashKey, true);
  dv.setBigUint64(8, encKey, true);
  return out;
}

/**
 * The key Lite registers for `method` when the user has not updated it: `0x00..0x1F` for
 * AES_default; for the RC4 variants a 128-byte key whose first 16 bytes are the built-in
 * hash key `0x686b6667_6a65696c` and encryption key `0x7a7b7d78_797e7f7c` (little-endian),
 * the rest zeros. A fresh copy is returned each time.
 */
export function defaultKey(method: BuiltinCryptionMethod): Uint8Array {
  switch (method) {
    case 'AES_default':
      return Uint8Array.from({ length: AES_KEY_LENGTH }, (_, i) => i);
    case 'RC4_default':
    case 'SIMPLE_FAST_RC4_default': {
      const key = new Uint8Array(128);
      key.set([0x6c, 0x69, 0x65, 0x6a, 0x67, 0x66, 0x6b, 0x68], 0);
      key.set([0x7c, 0x7f, 0x7e, 0x79, 0x78, 0x7d, 0x7b, 0x7a], 8);
      return key;
    }
    default:
      throw unknownMethod(method);
  }
}

/** @internal */
export function unknownMethod(method: unknown): Error {
  const shown = typeof method === 'string' ? JSON.stringify(method) : typeof method;
  return invalidArgument(
    `unknown cryption method ${shown}; expected one of ${BUILTIN_CRYPTION_METHODS.join(', ')}`,
  );
}

/**
 * Validates a key for `method` and returns it as a private `Uint8Array` copy.
 * Error messages mention lengths only, never key bytes.
 * @internal
 */
export function normalizeKey(method: BuiltinCryptionMethod, key: KeyLike | undefined): Uint8Array {
  if (key === undefined) return defaultKey(method);
  let bytes: Uint8Array;
  if (key instanceof Uint8Array) {
    bytes = new Uint8Array(key);
  } else if (Array.isArray(key)) {
    bytes = new Uint8Array(key.length);
    for (let i = 0; i < key.length; i++) {
      const v: unknown = key[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw invalidArgument(`${method} key: element ${i} is not an integer in 0..255`);
      }
      bytes[i] = v;
    }
  } else {
    throw invalidArgument(`${method} key must be a Uint8Array or an array of bytes`);
  }
  if (bytes.length === 0) throw invalidArgument(`${method} key must not be empty`);
  if (method === 'AES_default' && bytes.length !== AES_KEY_LENGTH) {
    throw invalidArgument(
      `AES_default key must be exactly ${AES_KEY_LENGTH} bytes (AES-256), got ${bytes.length}`,
    );
  }
  if (method !== 'AES_default' && bytes.length < RC4_KEY_LENGTH) {
    throw invalidArgument(
      `${method} key must be at least ${RC4_KEY_LENGTH} bytes (8-byte hash key + 8-byte encryption key), got ${bytes.length}`,
    );
  }
  return bytes;
}
