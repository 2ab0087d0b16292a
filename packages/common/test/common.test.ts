// @lite/common on its own: the one LiteError, the codes, the conversion of what the binding
// throws, the { signal } helpers and the dtype table; require/import identity on the built
// package (dist) in a plain Node child, as the engine packages load it.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DTYPES,
  LITE_ERROR_CODES,
  LiteError,
  dtypeOfConstructor,
  dtypeOfTypedArray,
  float32ToHalfArray,
  floatToHalf,
  halfArrayToFloat32,
  halfToFloat,
  isLiteErrorCode,
} from '../src/index.js';
import * as internal from '../src/internal.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('LiteError', () => {
  it('carries code, one-line message and engineMessage; name stays "LiteError"', () => {
    const cause = new Error('inner');
    const e = new LiteError('LITE_INVALID_MODEL', 'not a model', { cause, engineMessage: 'raw\ntext' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('LiteError');
    expect(LiteError.name).toBe('LiteError');
    expect(e.code).toBe('LITE_INVALID_MODEL');
    expect(e.message).toBe('not a model');
    expect(e.engineMessage).toBe('raw\ntext');
    expect(e.cause).toBe(cause);
    expect(String(e)).toBe('LiteError: not a model');
    const plain = new LiteError('LITE_BUSY', 'busy');
    expect(plain.engineMessage).toBeUndefined();
    expect('cause' in plain).toBe(false);
  });

  it('the codes are the nine of the API contract', () => {
    expect([...LITE_ERROR_CODES]).toEqual([
      'LITE_ERROR',
      'LITE_INVALID_ARGUMENT',
      'LITE_DISPOSED',
      'LITE_RUNTIME_NOT_FOUND',
      'LITE_UNSUPPORTED',
      'LITE_BUSY',
      'LITE_FILE_NOT_FOUND',
      'LITE_INVALID_MODEL',
      'LITE_DECRYPTION_FAILED',
    ]);
    expect(Object.isFrozen(LITE_ERROR_CODES)).toBe(true);
    expect(isLiteErrorCode('LITE_BUSY')).toBe(true);
    expect(isLiteErrorCode('ENOENT')).toBe(false);
    expect(isLiteErrorCode(7)).toBe(false);
  });

  it('@lite/common and @lite/common/internal hand out the same class', () => {
    expect(internal.LiteError).toBe(LiteError);
  });

  it('require and import give the same class (plain Node, by package name)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('@lite/common');
      const esm = await import('@lite/common');
      const cjsInternal = require('@lite/common/internal');
      const esmInternal = await import('@lite/common/internal');
      const e = new cjs.LiteError('LITE_ERROR', 'x');
      console.log(JSON.stringify({
        same: [esm.LiteError, cjsInternal.LiteError, esmInternal.LiteError].every((c) => c === cjs.LiteError),
        crossInstanceof: e instanceof esm.LiteError && e instanceof esmInternal.LiteError,
        binding: Object.keys(require.cache).some((k) => k.includes('binding')),
      }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true, crossInstanceof: true, binding: false });
  });
});

describe('errors from the binding', () => {
  it('an Error with a known code becomes a one-line LiteError; others pass through', () => {
    const e = internal.toLiteError(Object.assign(new Error('the file "a.mge"\n  does not exist'), { code: 'LITE_FILE_NOT_FOUND' }));
    expect(e).toBeInstanceOf(LiteError);
    expect((e as LiteError).code).toBe('LITE_FILE_NOT_FOUND');
    expect((e as LiteError).message).toBe('the file "a.mge" does not exist');
    const other = new TypeError('x');
    expect(internal.toLiteError(other)).toBe(other);
    expect(internal.toLiteError('text')).toBe('text');
    const same = new LiteError('LITE_BUSY', 'b');
    expect(internal.toLiteError(same)).toBe(same);
  });

  it('a napi-rs conversion status is LITE_INVALID_ARGUMENT', () => {
    const napi = Object.assign(new Error('Failed to convert napi value Undefined into rust type `i32`\nmore'), { code: 'NumberExpected' });
    const e = internal.toLiteError(napi) as LiteError;
    expect(e.code).toBe('LITE_INVALID_ARGUMENT');
    expect(e.message).toBe('the native binding could not take an argument: Failed to convert napi value Undefined into rust type `i32`');
    expect(e.cause).toBe(napi);
  });

  it('an engine factory decides the LiteError of a coded binding error', () => {
    const e = internal.toLiteError(Object.assign(new Error('raw'), { code: 'LITE_ERROR' }), (code, message) => new LiteError(code, `[${message}]`));
    expect((e as LiteError).message).toBe('[raw]');
  });

  it('a structured failure keeps its code and engine text; an unknown code is LITE_ERROR', () => {
    const e = internal.failureError({ code: 'LITE_INVALID_MODEL', message: 'bad\n model', engineMessage: 'engine says' });
    expect([e.code, e.message, e.engineMessage]).toEqual(['LITE_INVALID_MODEL', 'bad model', 'engine says']);
    const u = internal.failureError({ code: 'SOMETHING_NEW', message: 'm', engineMessage: null });
    expect([u.code, u.engineMessage]).toEqual(['LITE_ERROR', undefined]);
  });

  it('show() describes any value without throwing; clip() cuts with an ellipsis', () => {
    expect(internal.show('a'.repeat(50))).toBe(`"${'a'.repeat(40)}..."`);
    expect(internal.show([1, 2])).toBe('[1, 2]');
    expect(internal.show(Object.create(null))).toBe('an object');
    expect(internal.show(new Float32Array(1))).toBe('a Float32Array');
    expect(internal.show(Symbol('s'))).toBe('Symbol(s)');
    expect(internal.show(10n)).toBe('10n');
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    expect(internal.show(revoked.proxy)).toBe('an unprintable value');
    expect(internal.clip('abcdef', 4)).toBe('abc…');
    expect(internal.clip('abc', 4)).toBe('abc');
  });
});

describe('the { signal } option', () => {
  it('signalOption checks the options and the signal', () => {
    const ac = new AbortController();
    expect(internal.signalOption({ signal: ac.signal }, 'predict')).toBe(ac.signal);
    expect(internal.signalOption({}, 'predict')).toBeUndefined();
    expect(() => internal.signalOption(null, 'predict')).toThrow('predict: options must be an object, got null');
    expect(() => internal.signalOption({ signal: 1 }, 'predict')).toThrow('predict: signal must be an AbortSignal, got 1');
  });

  it('abortable rejects with the reason at once and hands a late result to drop', async () => {
    const ac = new AbortController();
    let finish: (v: string) => void = () => undefined;
    const run = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const dropped: string[] = [];
    const p = internal.abortable(run, ac.signal, (late) => dropped.push(late));
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    finish('late');
    await run;
    await new Promise((r) => setImmediate(r));
    expect(dropped).toEqual(['late']);
  });

  it('abortable on an already aborted signal rejects without waiting; without a signal it is the run', async () => {
    const reason = new Error('already');
    const p = internal.abortable(new Promise<number>(() => undefined), AbortSignal.abort(reason));
    await expect(p).rejects.toBe(reason);
    const run = Promise.resolve(3);
    expect(internal.abortable(run, undefined)).toBe(run);
    await expect(internal.abortable(Promise.resolve(4), new AbortController().signal)).resolves.toBe(4);
  });
});

describe('dtype table', () => {
  it('names, sizes and TypedArrays', () => {
    expect(Object.keys(DTYPES)).toEqual(['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64']);
    expect(Object.values(DTYPES).map((d) => [d.name, d.size, d.array.name])).toEqual([
      ['bool', 1, 'Uint8Array'],
      ['int8', 1, 'Int8Array'],
      ['int16', 2, 'Int16Array'],
      ['int32', 4, 'Int32Array'],
      ['int64', 8, 'BigInt64Array'],
      ['uint8', 1, 'Uint8Array'],
      ['uint16', 2, 'Uint16Array'],
      ['uint32', 4, 'Uint32Array'],
      ['uint64', 8, 'BigUint64Array'],
      ['float16', 2, 'Uint16Array'],
      ['float32', 4, 'Float32Array'],
      ['float64', 8, 'Float64Array'],
    ]);
  });

  it('the dtype a TypedArray stands for', () => {
    expect(dtypeOfTypedArray(new Float32Array(1))).toBe('float32');
    expect(dtypeOfTypedArray(new Uint16Array(1))).toBe('uint16');
    expect(dtypeOfTypedArray(new Uint8ClampedArray(1))).toBe('uint8');
    expect(dtypeOfTypedArray(new DataView(new ArrayBuffer(1)))).toBeUndefined();
    expect(dtypeOfConstructor(BigUint64Array)).toBe('uint64');
    expect(dtypeOfConstructor(Array)).toBeUndefined();
  });

  it('float16 round trips, with round to nearest even, infinities and NaN', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway: to even
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325, 5);
    expect(halfToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(halfToFloat(floatToHalf(Number.NaN)))).toBe(true);
    expect([...halfArrayToFloat32(float32ToHalfArray([0.5, -1.5, 1024]))]).toEqual([0.5, -1.5, 1024]);
  });
});

describe('runtimeOnce (the engine packages’ lib())', () => {
  it('a failure is thrown again, the same error, without a second attempt', () => {
    let attempts = 0;
    const error = new LiteError('LITE_RUNTIME_NOT_FOUND', 'no runtime');
    const lib = internal.runtimeOnce((): { shutdownNetworkThreads(): void } => {
      attempts++;
      throw error;
    });
    const thrown = [0, 1, 2].map(() => {
      try {
        lib();
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expect(thrown).toEqual([error, error, error]);
    expect(thrown.every((e) => e === error)).toBe(true);
    expect(attempts).toBe(1);
  });

  it('a success is kept, and the engine threads are joined at exit (one listener)', () => {
    const before = process.listenerCount('exit');
    let attempts = 0;
    let joined = 0;
    const binding = { shutdownNetworkThreads: () => joined++ };
    const lib = internal.runtimeOnce(() => {
      attempts++;
      return binding;
    });
    expect([lib(), lib()]).toEqual([binding, binding]);
    expect(attempts).toBe(1);
    expect(process.listenerCount('exit')).toBe(before + 1);
    const listener = process.listeners('exit').at(-1) as (code: number) => void;
    process.removeListener('exit', listener);
    listener(0);
    expect(joined).toBe(1);
  });
});
