// Issue 22, parity with mindspore_lite 2.0: a bad `parallel.configInfo` value is reported as
// `context.parallel.configInfo…` (it used to be reported as `configDict`, the name of
// Model.build's own argument). Python stores the config info when it is set (in its RunnerConfig)
// and reads back a new dict, so a later change to the caller's object does not reach a build.
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Context, LiteError, Model, ModelParallelRunner, ModelType, type ConfigDict } from '../src/index.js';
import { context, failure, lenet, path } from './helpers.js';

const missing = join(tmpdir(), 'lite-parallel-config-missing.mindir');

describe('parallel.configInfo', () => {
  it('a bad value is named context.parallel.configInfo, set directly or with the whole group', () => {
    const c = new Context();
    const direct = failure(() => (c.parallel.configInfo = { sec: { key: 1 } } as unknown as ConfigDict));
    expect([direct.code, direct.message]).toEqual(['LITE_INVALID_ARGUMENT', 'context.parallel.configInfo.sec.key must be a string, got 1']);
    const group = failure(() => (c.parallel = { configInfo: { sec: 'x' } as unknown as ConfigDict }));
    expect([group.code, group.message]).toEqual(['LITE_INVALID_ARGUMENT', 'context.parallel.configInfo.sec must be { key: value }, got "x"']);
    expect(c.parallel.configInfo).toBeUndefined();
  });

  it('is kept as set: changing the object given (or the one read back) changes nothing', () => {
    const c = new Context();
    const info: Record<string, Record<string, unknown>> = { sec: { key: 'v' } };
    c.parallel.configInfo = info as ConfigDict;
    (info.sec as Record<string, unknown>).key = 1;
    info.other = { k: 2 };
    expect(c.parallel.configInfo).toEqual({ sec: { key: 'v' } });
    const read = c.parallel.configInfo as ConfigDict;
    (read.sec as Record<string, string>).key = 'changed';
    expect(c.parallel.configInfo).toEqual({ sec: { key: 'v' } });
    expect(c.toJSON().parallel).toEqual({ configInfo: { sec: { key: 'v' } } });
  });

  it('a runner build never reports the context’s config info as configDict', () => {
    const c = context();
    const info: Record<string, Record<string, unknown>> = { sec: { key: 'v' } };
    c.parallel.configInfo = info as ConfigDict;
    (info.sec as Record<string, unknown>).key = 1; // after the check: must not reach the build
    const e = failure(() => new ModelParallelRunner().buildFromFile(missing, c));
    expect(e.code).toBe('LITE_FILE_NOT_FOUND');
    expect(e.message).not.toContain('configDict');
  });

  it('Model.build’s own configDict argument keeps its name', () => {
    const e = failure(() => new Model().buildFromFile(path(lenet.file), ModelType.MINDIR, context(), undefined, { sec: { key: 1 } } as unknown as ConfigDict));
    expect(e).toBeInstanceOf(LiteError);
    expect([e.code, e.message]).toEqual(['LITE_INVALID_ARGUMENT', 'configDict.sec.key must be a string, got 1']);
  });
});
