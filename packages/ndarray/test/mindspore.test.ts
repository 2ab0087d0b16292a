// toNdarray / setFromNdarray on @lite/mindspore Tensors, with the real MindSpore Lite runtime
// and its committed LeNet fixture (fixtures/mindspore). @lite/mindspore is a dev dependency only:
// the package recognises its tensors by shape.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { fixture, readNpy } from '@lite/testing';
import { LiteLayout, LiteTensor } from '@lite/core';
import { Context, DataType, Model, ModelType, Tensor } from '@lite/mindspore';
import { isFloat16, isMindsporeTensor, setFromNdarray, toNdarray } from '../src/index.js';

const ms = (name: string): string => join(fixture('mindspore'), name);
const f32 = (name: string): Float32Array => readNpy(ms(name)).data as Float32Array;

function lenet(): Model {
  const context = new Context();
  context.cpu.threadNum = 1;
  const model = new Model();
  model.buildFromFile(ms('lenet.mindir'), ModelType.MINDIR, context);
  return model;
}

describe('@lite/ndarray with @lite/mindspore tensors', () => {
  it('recognises MindSpore tensors structurally, not LiteTensors or ndarrays', () => {
    expect(isMindsporeTensor(new Tensor(new Float32Array(4), { shape: [2, 2] }))).toBe(true);
    const lt = new LiteTensor(new LiteLayout([2, 2]));
    expect(isMindsporeTensor(lt)).toBe(false);
    lt.dispose();
    expect(isMindsporeTensor(ndarray(new Float32Array(4), [2, 2]))).toBe(false);
    expect(isMindsporeTensor({ getData: 1 })).toBe(false);
  });

  it('setFromNdarray with strided, offset and float64 views feeds predict; toNdarray of the outputs equals the Python reference', () => {
    const model = lenet();
    const x = f32('lenet_input_b2.npy'); // [2,1,28,28]
    const want = f32('lenet_output_logits_b2.npy'); // [2,10]
    // The same values as a view at offset 7 inside a bigger buffer with doubled strides.
    const spread = new Float32Array(7 + x.length * 2);
    x.forEach((v, i) => (spread[7 + 2 * i] = v));
    const views = [
      ndarray(spread, [2, 1, 28, 28], [2 * 784, 2 * 784, 2 * 28, 2], 7),
      ndarray(Float64Array.from(x), [2, 1, 28, 28]), // converted to float32: exact (the values came from float32)
      ndarray(x, [2, 1, 28, 28]),
    ];
    for (const view of views) {
      const [input] = model.getInputs();
      if (!input) throw new Error('no input');
      setFromNdarray(input, view);
      expect(input.shape).toEqual([2, 1, 28, 28]);
      const outputs = model.predict([input]);
      const logits = outputs.find((t) => t.name === 'logits');
      if (!logits) throw new Error('no logits output');
      const nd = toNdarray(logits);
      expect(nd.shape).toEqual([2, 10]);
      // Bit-identical to mindspore_lite (Python) on this input: same runtime, same kernels.
      expect(nd.data).toEqual(want);
      expect(nd.get(1, 3)).toBe(want[13]);
    }
    model.dispose();
  });

  it('toNdarray is a copy (share is ignored); float16 comes tagged; dynamic dims are refused', () => {
    const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    const nd = toNdarray(t, { share: true });
    nd.set(0, 0, 42);
    expect(t.getData()[0]).toBe(1);
    expect(nd.stride).toEqual([3, 1]);
    const half = new Tensor(new Uint16Array([0x3c00, 0x4000]), { shape: [2], dtype: DataType.FLOAT16 });
    const hn = toNdarray(half);
    expect(isFloat16(hn)).toBe(true);
    expect(Array.from(hn.data as Uint16Array)).toEqual([0x3c00, 0x4000]);
    const model = lenet();
    const [input] = model.getInputs(); // [-1,1,28,28] until data is set
    if (!input) throw new Error('no input');
    expect(() => toNdarray(input)).toThrow(/dynamic dim/);
    model.dispose();
  });

  it('works in a process without the MegEngine runtime (only MindSpore Lite installed)', () => {
    const dist = (pkg: string): string => fileURLToPath(new URL(`../../${pkg}/dist/index.js`, import.meta.url));
    const cache = process.env.LITE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lite-node');
    const empty = mkdtempSync(join(tmpdir(), 'lite-nd-nomge-'));
    const script = `
import { readFileSync } from 'node:fs';
import { Model, ModelType, Tensor } from ${JSON.stringify(dist('mindspore'))};
import { setFromNdarray, toNdarray } from ${JSON.stringify(dist('ndarray'))};
import ndarray from 'ndarray';
const model = new Model();
model.buildFromFile(${JSON.stringify(ms('lenet.mindir'))}, ModelType.MINDIR);
const [input] = model.getInputs();
setFromNdarray(input, ndarray(new Float64Array(784), [1, 1, 28, 28]));
const nd = toNdarray(model.predict([input])[1]);
const maps = readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ shape: nd.shape, megengine: /libmegengine|liblite_shared/.test(maps) }));
`;
    // @lite/core (this package's peer) finds no MegEngine runtime here: its import then only
    // records that; the MindSpore runtime comes from its own folder.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, LITE_CACHE_DIR: empty, LITE_LIB_PATH: undefined, MINDSPORE_LITE_LIB_DIR: join(cache, 'runtime', 'mindspore-2.0.0-linux-x64') },
    });
    rmSync(empty, { recursive: true, force: true });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ shape: [1, 10], megengine: false });
  });
});
