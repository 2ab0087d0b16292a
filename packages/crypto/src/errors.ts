/**
 * Stable error codes thrown by `@lite/crypto`.
 *
 * - `LITE_INVALID_ARGUMENT`: a caller passed something unusable (unknown method, empty or
 *   badly sized key, empty model, malformed info).
 * - `LITE_CRYPTO_CORRUPT`: input that should be encrypted or packed data is truncated,
 *   inconsistent, or fails a checksum.
 */
export type LiteCryptoErrorCode = 'LITE_INVALID_ARGUMENT' | 'LITE_CRYPTO_CORRUPT';

/**
 * The error class of this package. Messages never contain key bytes.
 */
export class LiteCryptoError extends Error {
  /** A stable, machine-readable code; see {@link LiteCryptoErrorCode}. */
  readonly code: LiteCryptoErrorCode;

  /**
   * @param code the stable error code
   * @param message a human-readable description (never includes key material)
   */
  constructor(code: LiteCryptoErrorCode, message: string) {
    super(message);
    this.name = 'LiteCryptoError';
    this.code = code;
  }
}

/** @internal */
export function invalidArgument(message: string): LiteCryptoError {
  return new LiteCryptoError('LITE_INVALID_ARGUMENT', message);
}

/** @internal */
export function corrupt(message: string): LiteCryptoError {
  return new LiteCryptoError('LITE_CRYPTO_CORRUPT', message);
}
