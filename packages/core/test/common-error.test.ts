// @lite/core's LiteError is @lite/common's (issue 22): one class for both engines, so a service
// that catches `LiteError` from either engine package needs one `instanceof`. The @lite/mindspore
// side (and errors crossing the two) is checked in packages/mindspore/test/one-error-class.test.ts.
import { createRequire } from 'node:module';
import * as common from '@lite/common';
import { describe, expect, it } from 'vitest';
import { LiteError, LiteNetwork, LiteTensor } from '../src/index.js';

const require = createRequire(import.meta.url);

describe('one LiteError', () => {
  it('is the class of @lite/common, by import and by require', () => {
    expect(LiteError).toBe(common.LiteError);
    expect(LiteError).toBe((require('@lite/common') as typeof common).LiteError);
    expect(LiteError.name).toBe('LiteError');
  });

  it('errors of @lite/core are instanceof @lite/common’s class and keep code and engineMessage', () => {
    let e: unknown;
    try {
      new LiteNetwork().load('/nonexistent/dir/model.mge');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(common.LiteError);
    expect((e as LiteError).code).toBe('LITE_FILE_NOT_FOUND');
    const t = new LiteTensor();
    t.dispose();
    let d: unknown;
    try {
      t.fillZero();
    } catch (err) {
      d = err;
    }
    expect(d).toBeInstanceOf(common.LiteError);
    expect((d as LiteError).code).toBe('LITE_DISPOSED');
    expect((d as LiteError).engineMessage).toBeUndefined();
  });
});
