// validateModel: a build (and one predict on zeros) in a child process, so a model that crashes
// the runtime is reported instead of taking the caller down. Real runtime, no mocks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LiteError, ModelType, validateModel } from '../src/index.js';
import { path } from './helpers.js';

describe('validateModel', () => {
  it('a good model: ok, with its input and output names (path and bytes)', async () => {
    const byPath = await validateModel(path('lenet.mindir'));
    expect(byPath.ok).toBe(true);
    if (!byPath.ok) return;
    expect(byPath.inputs).toHaveLength(1);
    expect(byPath.outputs.length).toBeGreaterThan(0);
    const byBytes = await validateModel(readFileSync(path('two_io.mindir')), { predict: false });
    expect(byBytes.ok).toBe(true);
    if (byBytes.ok) expect(byBytes.inputs).toHaveLength(2);
  });

  it('a corrupt MindIR: the structural check\'s LITE_INVALID_MODEL, not a crash', async () => {
    const bytes = readFileSync(path('lenet.mindir'));
    bytes[2522] = 12;
    const v = await validateModel(bytes);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.crashed).toBe(false);
    expect(v.error).toBeInstanceOf(LiteError);
    expect(v.error.code).toBe('LITE_INVALID_MODEL');
    expect(v.error.message).toMatch(/declares dims \[12\]/);
  });

  it('engine failures, missing files and timeouts are reported, never thrown', async () => {
    const lite = await validateModel(new TextEncoder().encode('not a model'), { modelType: ModelType.MINDIR_LITE });
    expect(lite.ok).toBe(false);
    if (!lite.ok) expect([lite.error.code, lite.crashed]).toEqual(['LITE_ERROR', false]);
    const missing = await validateModel('/nonexistent/model.mindir');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.code).toBe('LITE_FILE_NOT_FOUND');
    const slow = await validateModel(path('lenet.mindir'), { timeout: 1 });
    expect(slow.ok).toBe(false);
    if (!slow.ok) expect([slow.timedOut, slow.crashed, slow.error.code]).toEqual([true, false, 'LITE_ERROR']);
  });

  it('bad arguments reject with LITE_INVALID_ARGUMENT before spawning anything', async () => {
    await expect(validateModel(42 as unknown as string)).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(validateModel(new Uint8Array(0))).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(validateModel(path('lenet.mindir'), { timeout: -1 })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(validateModel(path('lenet.mindir'), { modelType: 3 as ModelType })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
  });
});
