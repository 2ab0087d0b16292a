import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy, liteReference } from '@lite/testing';
import { LiteNetwork, LiteTensorPhase, version } from '../src/index.js';

describe('end to end through @lite/core', () => {
  it('reports the runtime version', () => {
    expect(version()).toBe('1.13.0');
  });

  it('shufflenet forward matches megengine and megenginelite', () => {
    const m = manifest().models.shufflenet!;
    const net = new LiteNetwork();
    net.load(fixture(m.file));
    const input = readNpy(fixture(m.inputs[0]!.npy!));
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input.data as Float32Array);
    net.forward();
    net.wait();
    const out = net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toTypedArray() as Float32Array;
    const reference = readNpy(fixture(m.outputs[0]!.reference_npy!)).data as Float32Array;
    const lite = readNpy(liteReference(m.outputs[0]!.lite_npy!)).data as Float32Array;
    // Same runtime, same options, same input as Python megenginelite: bit-identical.
    expect(maxAbsDiff(out, lite)).toBe(0);
    // megengine's own (imperative) reference differs by float rounding only.
    expect(maxAbsDiff(out, reference)).toBeLessThan(1e-5);
    net.dispose();
  });

  it('loadAsync + predict give the same output as the sync path', async () => {
    const m = manifest().models.shufflenet!;
    const net = new LiteNetwork();
    await net.loadAsync(readFileSync(fixture(m.file)));
    const input = readNpy(fixture(m.inputs[0]!.npy!));
    const { prob } = await net.predict({ data: input.data as Float32Array });
    const lite = readNpy(liteReference(m.outputs[0]!.lite_npy!)).data as Float32Array;
    expect(maxAbsDiff(prob!.toTypedArray() as Float32Array, lite)).toBe(0);
  });

  it('a missing runtime gives one clear error, not a crash', () => {
    const script = `
      import('@lite/core').then((m) => {
        try { new m.LiteNetwork(); console.log('NO ERROR'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, name: e.name, message: e.message })); }
      });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, LITE_LIB_PATH: '/nonexistent/liblite_shared.so' },
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    });
    expect(r.status).toBe(0);
    const err = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(err.code).toBe('LITE_RUNTIME_NOT_FOUND');
    expect(err.name).toBe('LiteError');
    expect(err.message).toContain('/nonexistent/liblite_shared.so');
    expect(err.message).toContain('LITE_LIB_PATH');
  });
});
