/**
 * MegEngine Lite for Node.js.
 *
 * @packageDocumentation
 */
export * from './enums.js';
export { LiteError, type LiteErrorCode } from './errors.js';
export * from './dtype.js';
export { LiteLayout, MAX_NDIM } from './layout.js';
