// Shared assertions of the @lite/core tests.
import { expect } from 'vitest';
import { LiteError } from '../src/index.js';

/** Runs `fn`, expects it to throw a LiteError with `code`, and returns that error. */
export function expectCode(fn: () => unknown, code: string): LiteError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, String(caught)).toBeInstanceOf(LiteError);
  expect((caught as LiteError).code).toBe(code);
  return caught as LiteError;
}
