// Model fuzzing, bounded: mutants of the small fixture models loaded in child processes.
// The long run is by hand: `node tools/fuzz/models.mjs --count 2000`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';
import { LiteConfig, LiteError, validateModel } from '@lite/core';
import { encryptModel } from '@lite/crypto';
import { fuzzModels, makeMutant, parseArgs } from '../../../tools/fuzz/models.mjs';

const ALL = ['mlp', 'two_io', 'dtypes', 'dynamic_batch', 'shufflenet'];
function fixtureBytes(names: string[]): Record<string, Uint8Array> {
  return Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(fixture(`${n}.mge`)))]));
}

describe('model fuzzing', () => {
  it('mutants are reproducible from the seed', () => {
    const models = fixtureBytes(['mlp', 'two_io']);
    const a = makeMutant(3, 17, models);
    const b = makeMutant(3, 17, models);
    expect(a.kinds).toEqual(b.kinds);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(Buffer.compare(a.bytes, makeMutant(4, 17, models).bytes)).not.toBe(0);
  });

  it('60 mutants: every one is classified, none hangs; crashes are counted', async () => {
    // Small models only (each child: node start + runtime load + model load + 1 forward ≈ 0.4 s).
    const opts = { ...parseArgs([]), count: 60, seed: 1, models: ['mlp', 'two_io', 'dtypes', 'dynamic_batch'], timeout: 30_000 };
    const s = await fuzzModels(opts);
    console.log(`[fuzz-models] seed 1, 60 mutants in ${s.seconds.toFixed(1)} s: ok ${s.counts.ok}, LiteError ${s.counts.error} ${JSON.stringify(s.errorCodes)}, crash ${s.counts.crash}, hang ${s.counts.hang}`);
    for (const c of s.crashes) console.log(`[fuzz-models]   ${c.result} #${c.index} ${c.model} [${c.kinds.join('+')}] signal=${c.signal ?? '-'}`);
    expect(s.counts.ok + s.counts.error + s.counts.crash + s.counts.hang).toBe(60);
    expect(s.counts.hang).toBe(0);
    // Every clean failure is a LiteError with a load code, never a foreign exception.
    expect(Object.keys(s.errorCodes).every((c) => ['LITE_INVALID_MODEL', 'LITE_ERROR', 'LITE_INVALID_ARGUMENT'].includes(c))).toBe(true);
    expect(s.counts.error).toBeGreaterThan(0);
    // Crashes are the runtime's own (MegEngine's loader, see validateModel); any that occur must be
    // contained by validateModel — checked on each of them here.
    for (const c of s.crashes.filter((k) => k.result === 'crash')) {
      const m = makeMutant(1, c.index, fixtureBytes(opts.models));
      const v = await validateModel(m.bytes, { timeout: 30_000 });
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.crashed).toBe(true);
    }
  });

  it('the mutant that crashed the runtime (SIGSEGV in GraphLoaderOSSV2::load_oprs) is refused before the loader; encrypted, where no check can look, validateModel contains the crash', async () => {
    // Seed 1, mutant 25 over all five fixtures: dynamic_batch.mge with header bits flipped; it
    // passes MegEngine's flatbuffer verifier and segfaults in the loader (found by this fuzzer).
    const m = makeMutant(1, 25, fixtureBytes(ALL));
    expect(m.model).toBe('dynamic_batch');
    const plain = await validateModel(m.bytes);
    expect(plain.ok).toBe(false);
    if (!plain.ok) {
      expect([plain.crashed, plain.error.code]).toEqual([false, 'LITE_INVALID_MODEL']);
      expect(plain.error.message).toMatch(/is not a valid MegEngine model: /);
    }
    // Encrypted with AES_default, the bytes reach the engine's loader after decryption.
    const config = new LiteConfig();
    config.bareModelCryptionName = 'AES_default';
    const v = await validateModel(encryptModel(m.bytes, { method: 'AES_default' }), { config });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.crashed).toBe(true);
    expect(v.signal).toBe('SIGSEGV');
    expect(v.error).toBeInstanceOf(LiteError);
    expect(v.error.code).toBe('LITE_ERROR');
    expect(v.error.message).toMatch(/crashed \(signal SIGSEGV\)/);
    // And this process is still alive and able to load the good model.
    const good = await validateModel(fixture('two_io.mge'));
    expect(good).toEqual({ ok: true, inputs: ['b', 'a'], outputs: ['sum_out', 'prod_out'] });
  });

  it('validateModel reports a clean engine error and rejects bad arguments up front', async () => {
    const truncated = readFileSync(fixture('mlp.mge')).subarray(0, 30_000);
    const v = await validateModel(truncated);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.crashed).toBe(false);
      expect(v.error.code).toBe('LITE_INVALID_MODEL');
      // Truncation is found by the structural check, before the engine's loader.
      expect(v.error.message).toMatch(/is not a valid MegEngine model: /);
      expect(v.error.engineMessage).toBeUndefined();
    }
    const missing = await validateModel('/nonexistent/model.mge', { forward: false });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.code).toBe('LITE_FILE_NOT_FOUND');
    await expect(validateModel(42 as unknown as string)).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(validateModel(new Uint8Array(0))).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
    await expect(validateModel(fixture('mlp.mge'), { timeout: -1 })).rejects.toMatchObject({ code: 'LITE_INVALID_ARGUMENT' });
  });
});
