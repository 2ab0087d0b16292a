// Port of megenginelite's lite/pylite/test/test_global.py (CPU scenarios) plus LiteGlobal checks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy } from '@lite/testing';
import { LiteAlgoSelectStrategy, LiteBackend, LiteDeviceType, LiteError, LiteGlobal, LiteLogLevel, LiteNetwork, getLogLevel, setLogHandler, setLogLevel } from '../src/index.js';

const m = manifest().models.shufflenet!;
const modelPath = fixture(m.file);
const input = readNpy(fixture(m.inputs[0]!.npy!)).data as Float32Array;
const correct = readNpy(fixture(m.outputs[0]!.reference_npy!)).data as Float32Array;
const dir = mkdtempSync(join(tmpdir(), 'lite-global-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function doForward(net: LiteNetwork): void {
  net.getIoTensor('data').setDataByCopy(input);
  for (let i = 0; i < 3; i++) {
    net.forward();
    net.wait();
  }
  expect(maxAbsDiff(net.getIoTensor('prob').toTypedArray() as Float32Array, correct)).toBeLessThan(1e-4);
}

describe('test_global.py ports', () => {
  it('device count (CPU > 0; CUDA 0 on this machine)', () => {
    expect(LiteGlobal.getDeviceCount(LiteDeviceType.LITE_CPU)).toBeGreaterThan(0);
    expect(LiteGlobal.getDeviceCount(LiteDeviceType.LITE_CUDA)).toBe(0);
  });

  it('persistent cache: fast-run, dump, set, reload, still correct', () => {
    const cache = join(dir, 'algo_cache');
    const net = new LiteNetwork();
    net.setNetworkAlgoPolicy(LiteAlgoSelectStrategy.LITE_ALGO_PROFILE | LiteAlgoSelectStrategy.LITE_ALGO_REPRODUCIBLE);
    net.load(modelPath);
    doForward(net);
    LiteGlobal.dumpPersistentCache(cache);
    expect(statSync(cache).size).toBeGreaterThan(0);
    LiteGlobal.setPersistentCache(cache, true);
    const net2 = new LiteNetwork();
    net2.setNetworkAlgoPolicy(LiteAlgoSelectStrategy.LITE_ALGO_PROFILE | LiteAlgoSelectStrategy.LITE_ALGO_REPRODUCIBLE);
    net2.load(modelPath);
    doForward(net2);
    LiteGlobal.setPersistentCache(join(dir, 'fresh_cache'));
  });

  it('try coalesce free memory works on CPU', () => {
    expect(() => LiteGlobal.tryCoalesceAllFreeMemory()).not.toThrow();
  });

  it('log level round trip, OFF included; anything else is refused', () => {
    const before = getLogLevel();
    setLogLevel(LiteLogLevel.ERROR);
    expect(getLogLevel()).toBe(LiteLogLevel.ERROR);
    setLogLevel(LiteLogLevel.OFF);
    expect(getLogLevel()).toBe(LiteLogLevel.OFF);
    for (const bad of [5, -1, 1.5, '3', null]) {
      expect(() => setLogLevel(bad as unknown as LiteLogLevel)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    }
    expect(getLogLevel()).toBe(LiteLogLevel.OFF);
    setLogLevel(before);
  });

  it('setLogHandler takes a function or null only', () => {
    for (const bad of [42, 'log', {}, undefined]) {
      expect(() => setLogHandler(bad as unknown as null)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    }
    setLogHandler(() => undefined);
    setLogHandler(null);
  });
});

describe('LiteGlobal bad input and unsupported features', () => {
  it('paths are validated', () => {
    for (const f of [() => LiteGlobal.setPersistentCache(''), () => LiteGlobal.dumpPersistentCache('a\0b'), () => LiteGlobal.setLoaderLibPath(3 as unknown as string)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    }
  });

  it('setLoaderLibPath with a missing library gives a clear error or is accepted lazily', () => {
    try {
      LiteGlobal.setLoaderLibPath(join(dir, 'no-such-loader.so'));
    } catch (e) {
      expect(e).toBeInstanceOf(LiteError);
    }
  });

  it('TensorRT cache: CPU-only runtime → clear LiteError or accepted, never a crash', () => {
    for (const f of [() => LiteGlobal.setTensorrtCache(join(dir, 'trt')), () => LiteGlobal.dumpTensorrtCache()]) {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LiteError);
      }
    }
    expect(existsSync(dir)).toBe(true);
  });

  it('memory pairs: LITE_UNSUPPORTED on this CPU machine, arguments validated first', () => {
    const cases = [
      () => LiteGlobal.registerMemoryPair(0x1000n, 0x2000n, 64, LiteDeviceType.LITE_CPU),
      () => LiteGlobal.registerMemoryPair(0x1000n, 0x2000n, 64, LiteDeviceType.LITE_NPU, LiteBackend.LITE_DEFAULT),
      () => LiteGlobal.clearMemoryPair(0x1000n, 0x2000n, LiteDeviceType.LITE_ATLAS),
      () => LiteGlobal.lookupPhysicPtr(0x1000n, LiteDeviceType.LITE_CUDA),
    ];
    for (const f of cases) expect(f).toThrow(expect.objectContaining({ code: 'LITE_UNSUPPORTED' }));
    expect(() => LiteGlobal.registerMemoryPair(1 as unknown as bigint, 0n, 64, LiteDeviceType.LITE_NPU)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    expect(() => LiteGlobal.registerMemoryPair(1n, 0n, 0, LiteDeviceType.LITE_NPU)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
    expect(() => LiteGlobal.lookupPhysicPtr(1n, 99 as LiteDeviceType)).toThrow(expect.objectContaining({ code: 'LITE_INVALID_ARGUMENT' }));
  });
});

describe('a guest in its host process', () => {
  it('the binding exports nothing but its Node-API entry point (no symbol interposition on the engine)', () => {
    const require = createRequire(import.meta.url);
    const bindingDir = dirname(require.resolve('@lite/binding'));
    const nodeFile = readdirSync(bindingDir).find((f) => f.endsWith('.node'));
    expect(nodeFile).toBeDefined();
    const nm = spawnSync('nm', ['-D', '--defined-only', join(bindingDir, nodeFile!)], { encoding: 'utf8' });
    if (nm.error) return; // binutils absent: nothing to inspect with
    const exported = nm.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).pop());
    expect(exported).toEqual(['napi_register_module_v1']);
  });
});
