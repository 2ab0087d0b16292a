// MegEngine publishes no linux-arm64 runtime (no megengine wheel for aarch64), while the
// linux-arm64 binding package exists (for @lite/mindspore). On linux-arm64 @lite/core must say
// that the runtime is what is missing, not that there is no prebuilt binding. Simulated here by
// overriding process.arch in this test's own process (vitest forks); tools/arm64/ checks the same
// message for real with the aarch64 Node under qemu-aarch64.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiteError } from '../src/errors.js';

const realArch = Object.getOwnPropertyDescriptor(process, 'arch');
const realLibPath = process.env.LITE_LIB_PATH;

/** A fresh copy of the loader (it caches its outcome) and of its LiteError class. */
async function freshLoader(): Promise<{ lib: () => unknown; LiteError: typeof LiteError }> {
  vi.resetModules();
  const { lib } = await import('../src/native.js');
  const { LiteError } = await import('../src/errors.js');
  return { lib, LiteError };
}

/** What `f` throws (undefined when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.runIf(process.platform === 'linux')('@lite/core on linux-arm64 (process.arch overridden)', () => {
  beforeEach(() => {
    Object.defineProperty(process, 'arch', { value: 'arm64', configurable: true, enumerable: true });
    delete process.env.LITE_LIB_PATH;
  });
  afterEach(() => {
    if (realArch) Object.defineProperty(process, 'arch', realArch);
    if (realLibPath === undefined) delete process.env.LITE_LIB_PATH;
    else process.env.LITE_LIB_PATH = realLibPath;
  });

  it('throws LITE_RUNTIME_NOT_FOUND saying MegEngine Lite has no linux-arm64 runtime', async () => {
    const loader = await freshLoader();
    const e = thrown(loader.lib);
    expect(e).toBeInstanceOf(loader.LiteError);
    expect((e as LiteError).code).toBe('LITE_RUNTIME_NOT_FOUND');
    expect((e as LiteError).message).toBe(
      'MegEngine Lite has no linux-arm64 runtime (MegEngine publishes none), so @lite/core cannot run here: ' +
        'use @lite/mindspore, or set LITE_LIB_PATH to a liblite_shared.so you built.',
    );
    expect((e as LiteError).message).not.toMatch(/prebuilt/);
  });

  it('throws the same error on every later call', async () => {
    const loader = await freshLoader();
    const errors = [thrown(loader.lib), thrown(loader.lib)];
    expect(errors[0]).toBeInstanceOf(loader.LiteError);
    expect(errors[1]).toBe(errors[0]);
  });

  it('with LITE_LIB_PATH set (a MegEngine Lite the user built) it goes on to load the binding', async () => {
    process.env.LITE_LIB_PATH = '/nonexistent/liblite_shared.so';
    const loader = await freshLoader();
    const e = thrown(loader.lib);
    // On this x64 machine the arm64 binding cannot load, so some other error follows; what
    // matters is that the platform check stood aside.
    expect(e).toBeInstanceOf(loader.LiteError);
    expect((e as LiteError).message).not.toMatch(/has no linux-arm64 runtime/);
  });
});

describe('@lite/core on this machine', () => {
  it.runIf(process.platform === 'linux' && process.arch === 'x64')('loads the runtime on linux-x64 (the check is arm64-only)', async () => {
    const loader = await freshLoader();
    expect(thrown(loader.lib)).toBeUndefined();
  });
});
