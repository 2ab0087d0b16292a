// `require('@lite/core')` and `import('@lite/core')` are one module (the ESM entry re-exports the
// CommonJS build): same classes, same native state. Checked on the built package in a plain Node
// child (the package resolves itself by name from here), not through vitest's module loader.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture, liteReference, manifest, maxAbsDiff, nodeJson, readNpy } from '@lite/testing';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs an ES module script with plain Node in the package folder; returns its JSON output. */
const run = (script: string, ...args: string[]): Record<string, unknown> => nodeJson(packageDir, script, ...args);

const PRELUDE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const cjs = require('@lite/core');
const esm = await import('@lite/core');
`;

describe('one @lite/core for require and import', () => {
  it('every export is the same value, @lite/core/internal too', () => {
    const out = run(`${PRELUDE}
      const cjsInternal = require('@lite/core/internal');
      const esmInternal = await import('@lite/core/internal');
      const differ = (a, b) => Object.keys(a).filter((k) => a[k] !== b[k]);
      console.log(JSON.stringify({
        count: Object.keys(cjs).length,
        differ: differ(cjs, esm), esmOnly: Object.keys(esm).filter((k) => !(k in cjs)),
        internalDiffer: differ(cjsInternal, esmInternal),
        names: [cjs.LiteTensor.name, cjs.LiteNetwork.name, cjs.LiteLayout.name, cjs.LiteError.name],
      }));`);
    expect(out.count).toBeGreaterThan(30);
    expect(out.differ).toEqual([]);
    expect(out.esmOnly).toEqual([]);
    expect(out.internalDiffer).toEqual([]);
    // keepNames: the classes keep their names (messages never say `_LiteTensor`).
    expect(out.names).toEqual(['LiteTensor', 'LiteNetwork', 'LiteLayout', 'LiteError']);
  });

  it('a tensor made through require feeds a network made through import (copyFrom), bit-identical to megenginelite', () => {
    const m = manifest().models.mlp!;
    const input = readNpy(fixture(m.inputs[0]!.npy!));
    const out = run(
      `${PRELUDE}
      const [model, inputName, outputName, inputB64] = process.argv.slice(1);
      const data = new Float32Array(new Uint8Array(Buffer.from(inputB64, 'base64')).buffer);
      const src = new cjs.LiteTensor(new cjs.LiteLayout([1, data.length], 'float32'));
      src.setDataByCopy(data);
      const net = new esm.LiteNetwork();
      net.load(model);
      net.getIoTensor(inputName, esm.LiteTensorPhase.LITE_INPUT).copyFrom(src);
      net.forward();
      net.wait();
      const result = net.getIoTensor(outputName, esm.LiteTensorPhase.LITE_OUTPUT).toTypedArray();
      let error;
      try { net.getIoTensor('no such tensor', esm.LiteTensorPhase.LITE_INPUT); } catch (e) { error = e; }
      let wrongType;
      try { src.copyFrom(new Float32Array(4)); } catch (e) { wrongType = e; }
      console.log(JSON.stringify({
        output: Buffer.from(result.buffer, result.byteOffset, result.byteLength).toString('base64'),
        instanceOfCjs: error instanceof cjs.LiteError, instanceOfEsm: error instanceof esm.LiteError,
        tensorInstanceOf: src instanceof esm.LiteTensor && net.getIoTensor(inputName, esm.LiteTensorPhase.LITE_INPUT) instanceof cjs.LiteTensor,
        code: error?.code, wrongType: wrongType?.message,
        version: [cjs.version(), esm.version()],
      }));`,
      fixture(m.file),
      m.inputs[0]!.name,
      m.outputs[0]!.name,
      Buffer.from((input.data as Float32Array).buffer).toString('base64'),
    );
    const got = new Float32Array(new Uint8Array(Buffer.from(out.output as string, 'base64')).buffer);
    const lite = readNpy(liteReference(m.outputs[0]!.lite_npy!)).data as Float32Array;
    expect(got.length).toBe(lite.length);
    expect(maxAbsDiff(got, lite)).toBe(0);
    expect(out.instanceOfCjs).toBe(true);
    expect(out.instanceOfEsm).toBe(true);
    expect(out.tensorInstanceOf).toBe(true);
    expect(out.code).toBe('LITE_INVALID_ARGUMENT');
    expect(out.wrongType).toMatch(/^copyFrom expects a LiteTensor, got a Float32Array/);
    expect(out.version).toEqual(['1.13.0', '1.13.0']);
  });

  it.runIf(process.platform === 'linux')('importing does not load the engine: under 30 MB of RSS, and the runtime loads on first use', () => {
    const out = run(`
      import { readFileSync } from 'node:fs';
      const engineMapped = () => readFileSync('/proc/self/maps', 'utf8').includes('libmegengine_shared');
      const before = process.memoryUsage().rss;
      const core = await import('@lite/core');
      const imported = process.memoryUsage().rss - before;
      const loadedAtImport = engineMapped();
      const v = core.version();
      console.log(JSON.stringify({ imported, loadedAtImport, loadedAfter: engineMapped(), v }));`);
    expect(out.imported as number).toBeLessThan(30 * 1024 * 1024);
    expect(out.loadedAtImport).toBe(false);
    expect(out.loadedAfter).toBe(true);
    expect(out.v).toBe('1.13.0');
  });
});
