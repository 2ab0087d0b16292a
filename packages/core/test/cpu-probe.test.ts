// Options that select the engine's MKL-DNN kernels (enableNchw88, the global layout transform)
// are tried in a child process first: on some x86 CPUs (non-Intel with AVX-512) those kernels
// call exit(1) or hang the process. On this CPU they work; the "no" path is exercised with an
// option set that fails everywhere, through the same probe. Real runtime, no mocks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy } from '@lite/testing';
import { LiteConfig, LiteError, LiteNetwork } from '../src/index.js';
import { cpuIdentity, probe, probeSync, unsupportedError } from '../src/cpu-probe.js';
import { lib } from '../src/native.js';

const dir = mkdtempSync(join(tmpdir(), 'lite-cpu-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const m = manifest().models.shufflenet!;
const input = readNpy(fixture(m.inputs[0]!.npy!)).data as Float32Array;
const reference = readNpy(fixture(m.outputs[0]!.reference_npy!)).data as Float32Array;

describe('the CPU probe', () => {
  it('enableNchw88 and the global layout transform: the reference outputs where the probe passes, LITE_UNSUPPORTED within seconds where it does not', async () => {
    // The default layout must work here whatever the verdicts: a "no" is only acceptable from a
    // working engine, never from a missing or broken one.
    const plain = new LiteNetwork();
    await plain.loadAsync(fixture('shufflenet.mge'));
    const base = await plain.predict({ data: input });
    expect(maxAbsDiff(base.prob!.toTypedArray() as Float32Array, reference)).toBeLessThan(1e-4);
    for (const set of [{ nchw88: true, layoutTransform: false }, { nchw88: false, layoutTransform: true }]) {
      const verdict = probeSync(set);
      const cfg = new LiteConfig();
      cfg.options.enableNchw88 = set.nchw88;
      const net = new LiteNetwork(cfg);
      if (set.layoutTransform) net.enableGlobalLayoutTransform();
      if (!verdict.ok) {
        // E.g. an AMD EPYC (Zen 4): the kernels call exit(1) or hang; here they never run.
        expect(verdict.reason).toMatch(/^the probe (ended with|did not finish|ran but)/);
        await expect(net.loadAsync(fixture('shufflenet.mge'))).rejects.toMatchObject({ code: 'LITE_UNSUPPORTED' });
        continue;
      }
      await net.loadAsync(fixture('shufflenet.mge'));
      const out = await net.predict({ data: input });
      // NCHW88 kernels round differently from the default ones: 2.7e-7 measured; 1e-4 as elsewhere.
      expect(maxAbsDiff(out.prob!.toTypedArray() as Float32Array, reference)).toBeLessThan(1e-4);
    }
  });

  it('the "no" path: a child that fails gives a cached verdict and a LITE_UNSUPPORTED naming the option', async () => {
    const cacheDir = join(dir, 'fails');
    // jitLevel 1 fails at load on every CPU (this runtime has no JIT backend): the probe child exits 1.
    const internals = { cacheDir, extraOptions: { jitLevel: 1 } };
    const set = { nchw88: true, layoutTransform: false };
    const v = probeSync(set, internals);
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/^the probe ended with exit code 1: .*jitLevel 1 needs a JIT compiler backend/);
    expect(v.cpu).toBe(cpuIdentity().label);
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^megengine-1\\.13\\.0-${cpuIdentity().key}-nchw88\\+extra-[0-9a-f]{8}\\.json$`));
    // Cached: the second answer needs no child.
    const t0 = performance.now();
    expect(probeSync(set, internals)).toEqual(v);
    expect(await probe(set, internals)).toEqual(v);
    expect(performance.now() - t0).toBeLessThan(200);
    const e = unsupportedError(set, v);
    expect(e).toBeInstanceOf(LiteError);
    expect(e.code).toBe('LITE_UNSUPPORTED');
    expect(e.message).toMatch(/^options\.enableNchw88 cannot be used here: the engine's MKL-DNN convolution kernels, which it selects for this layout, fail on this CPU .*use the default layout instead \(leave enableNchw88 off\)/);
  });

  it('the hang path: a child that outlives the timeout is killed and counts as a "no" (sync and async)', async () => {
    const set = { nchw88: false, layoutTransform: true };
    const sync = probeSync(set, { cacheDir: join(dir, 'hang-sync'), timeoutMs: 1 });
    expect([sync.ok, sync.reason]).toEqual([false, expect.stringMatching(/^the probe did not finish within 0\.001 s/)]);
    const later = await probe(set, { cacheDir: join(dir, 'hang-async'), timeoutMs: 1 });
    expect([later.ok, later.reason]).toEqual([false, expect.stringMatching(/^the probe did not finish within 0\.001 s/)]);
  });

  it('a "no" verdict in the cache makes load and loadAsync throw LITE_UNSUPPORTED before the engine sees the option', () => {
    const cache = join(dir, 'cache');
    mkdirSync(join(cache, 'cpu-probe'), { recursive: true });
    const verdict = { ok: false, cpu: cpuIdentity().label, reason: 'the probe ended with exit code 1: bad err=45 in Xbyak::Error' };
    writeFileSync(join(cache, 'cpu-probe', `megengine-1.13.0-${cpuIdentity().key}-nchw88.json`), JSON.stringify(verdict));
    const core = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
    expect(existsSync(core)).toBe(true);
    const script = `const core = await import(${JSON.stringify(core)});
const cfg = new core.LiteConfig(); cfg.options.enableNchw88 = true;
const out = [];
try { new core.LiteNetwork(cfg).load(${JSON.stringify(fixture('mlp.mge'))}); out.push('loaded'); } catch (e) { out.push(e.code, e.message); }
try { await new core.LiteNetwork(cfg).loadAsync(${JSON.stringify(fixture('mlp.mge'))}); out.push('loaded'); } catch (e) { out.push(e.code); }
new core.LiteNetwork().load(${JSON.stringify(fixture('mlp.mge'))});
console.log(JSON.stringify(out));`;
    // Another cache folder for the verdicts; the runtime this process loaded stays the same.
    const runtime = lib().loadRuntime(undefined);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, LITE_CACHE_DIR: cache, LITE_LIB_PATH: runtime }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    const [code, message, asyncCode] = JSON.parse(r.stdout) as string[];
    expect([code, asyncCode]).toEqual(['LITE_UNSUPPORTED', 'LITE_UNSUPPORTED']);
    expect(message).toMatch(/^options\.enableNchw88 cannot be used here: .*bad err=45 in Xbyak::Error.*delete it to probe again\.$/);
  });

  it('options this runtime cannot run are LITE_UNSUPPORTED at load, not LITE_INVALID_MODEL', () => {
    for (const [key, value, pattern] of [
      ['graphOptLevel', 3, /graph JIT fusion/],
      ['jitLevel', 1, /jitLevel 1 needs a JIT compiler backend/],
      ['enableNhwcd4', true, /enableNhwcd4 is a layout for mobile GPUs and ARM/],
    ] as const) {
      const cfg = new LiteConfig();
      (cfg.options as unknown as Record<string, number | boolean>)[key] = value;
      try {
        new LiteNetwork(cfg).load(fixture('mlp.mge'));
        expect.unreachable();
      } catch (e) {
        expect((e as LiteError).code).toBe('LITE_UNSUPPORTED');
        expect((e as LiteError).message).toMatch(pattern);
      }
    }
  });
});
