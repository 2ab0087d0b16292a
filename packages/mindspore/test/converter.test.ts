// The Converter on the real runtime: the committed ONNX source of the LeNet fixture converts in
// Node, with the options tools/models/make_mindspore_fixtures.py gave Python's Converter
// (saveType MINDIR, optimize "none"), into a model that predicts bit for bit what the
// Python-converted fixture predicts. Plus the 2.0 options the CPU runtime supports, the errors,
// the CLI and a quiet stdout/stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { Context, Converter, DataType, FmkType, Format, LiteError, Model, ModelType, Tensor } from '../src/index.js';
import { lenet, npy, path } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'lite-ms-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const out = (name: string): string => join(work, name);
const onnx = path('lenet.onnx');

function context(): Context {
  const c = new Context();
  c.target = ['cpu'];
  c.cpu.threadNum = 1;
  return c;
}

/** Every output of every fixture batch of a LeNet model file, as Float32Arrays by name. */
function predictAll(file: string): Record<string, Float32Array>[] {
  const model = new Model();
  model.buildFromFile(file, ModelType.MINDIR, context());
  const results = lenet.runs.map((run) => {
    const input = run.inputs[0];
    if (!input) throw new Error('fixture run without input');
    const outputs = model.predict([new Tensor(npy(input.npy), { shape: input.shape })]);
    return Object.fromEntries(outputs.map((o) => [o.name, o.getData() as Float32Array]));
  });
  model.dispose();
  return results;
}

function pythonLike(): Converter {
  const c = new Converter();
  c.saveType = ModelType.MINDIR;
  c.optimize = 'none';
  return c;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return (e as LiteError).code;
  }
  return 'none';
}

// Computed after the first conversion: the converter numbers graph nodes with a process-wide
// counter that building models also advances, so the first test converts before any build.
let cached: Record<string, Float32Array>[] | undefined;
const ref = (): Record<string, Float32Array>[] => (cached ??= predictAll(path(lenet.file)));

describe('Converter: ONNX -> MindIR in Node vs the Python-converted fixture', () => {
  it('predicts bit-identically on every fixture batch (and the bytes are a reordering at most)', () => {
    const written = pythonLike().convert(FmkType.ONNX, onnx, out('lenet'));
    expect(written).toBe(out('lenet.mindir'));
    const ours = readFileSync(written);
    const theirs = readFileSync(path(lenet.file));
    // Converted first in a fresh process, like the fixture: the same node numbering. Both Python
    // and Node write the op attribute table in an order that varies from run to run (two Python
    // runs differ the same way): same length and the same bytes, possibly reordered.
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from([...ours].sort((a, b) => a - b)).equals(Buffer.from([...theirs].sort((a, b) => a - b)))).toBe(true);
    const got = predictAll(written);
    expect(got).toHaveLength(ref().length);
    got.forEach((outputs, i) => {
      for (const [name, data] of Object.entries(ref()[i] ?? {})) {
        // Bit-identical: the same graph on the same kernels; no tolerance.
        expect(outputs[name], `batch ${lenet.runs[i]?.batch} ${name}`).toEqual(data);
      }
    });
  });

  it('convertAsync gives the same model; concurrent conversions queue, a sync one meanwhile is LITE_BUSY', async () => {
    const c = pythonLike();
    const a = c.convertAsync(FmkType.ONNX, onnx, out('async-a'));
    const b = c.convertAsync(FmkType.ONNX, onnx, out('async-b'));
    // Both tasks are queued on the pool; the first holds the engine at some point: a sync call
    // made then is refused. Poll until that happens or both finished.
    let sawBusy = false;
    let settled = false;
    const both = Promise.all([a, b]).finally(() => {
      settled = true;
    });
    while (!settled && !sawBusy) {
      sawBusy = codeOf(() => c.convert(FmkType.ONNX, onnx, out('sync-meanwhile'))) === 'LITE_BUSY';
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await both).toEqual([out('async-a.mindir'), out('async-b.mindir')]);
    expect(sawBusy || existsSync(out('sync-meanwhile.mindir'))).toBe(true);
    for (const file of [out('async-a.mindir'), out('async-b.mindir')]) expect(predictAll(file)).toEqual(ref());
  });

  it('optimize "general" (the default) fuses ops: outputs match within float32 rounding', () => {
    const c = new Converter();
    expect(c.optimize).toBe('general');
    const got = predictAll(c.convert(FmkType.ONNX, onnx, out('general')));
    got.forEach((outputs, i) => {
      for (const [name, data] of Object.entries(ref()[i] ?? {})) {
        const mine = outputs[name];
        if (!mine) throw new Error(`missing output ${name}`);
        // Fused conv+relu / matmul+add reorder float32 sums: |diff| <= 1e-5 (logits are O(1)).
        data.forEach((v, j) => expect(Math.abs((mine[j] ?? NaN) - v)).toBeLessThanOrEqual(1e-5));
      }
    });
  });
});

describe('Converter options on the 2.0.0 CPU runtime', () => {
  it('saveType MINDIR_LITE writes the .ms flatbuffer (NHWC inputs); weightFp16 halves it, within fp16 rounding', () => {
    const logits = (file: string): Float32Array[] => {
      const model = new Model();
      model.buildFromFile(file, ModelType.MINDIR_LITE, context());
      expect(model.getInputs()[0]?.shape).toEqual([-1, 28, 28, 1]);
      // One channel: the NCHW fixture data is already in NHWC order.
      const outs = lenet.runs.map((run) => {
        const input = run.inputs[0];
        if (!input) throw new Error('fixture run without input');
        const o = model.predict([new Tensor(npy(input.npy), { shape: [run.batch, 28, 28, 1] })]);
        return o.find((t) => t.name === 'logits')?.getData() as Float32Array;
      });
      model.dispose();
      return outs;
    };
    const maxDiff = (got: Float32Array[]): number =>
      Math.max(...got.flatMap((g, i) => [...(ref()[i]?.logits ?? [])].map((v, j) => Math.abs((g[j] ?? NaN) - v))));
    const c = pythonLike();
    c.saveType = ModelType.MINDIR_LITE;
    const ms = c.convert(FmkType.ONNX, onnx, out('lite'));
    expect(ms).toBe(out('lite.ms'));
    // The lite graph runs other kernels: float32 rounding only (measured 2.4e-7 on logits of O(1)).
    expect(maxDiff(logits(ms))).toBeLessThan(1e-5);
    c.weightFp16 = true;
    const half = c.convert(FmkType.ONNX, onnx, out('lite-fp16'));
    // 61,706 float32 weights stored in 2 bytes instead of 4.
    expect(statSync(half).size).toBeLessThan(statSync(ms).size * 0.6);
    // fp16 weights carry ~2^-11 relative error each (measured 5.1e-4 on the logits): below 5e-3, above 0.
    const d = maxDiff(logits(half));
    expect(d).toBeLessThan(5e-3);
    expect(d).toBeGreaterThan(0);
  });

  it('inputShape fixes the dynamic batch at conversion', () => {
    const c = pythonLike();
    c.inputShape = { x: [2, 1, 28, 28] };
    expect(c.inputShape).toEqual({ x: [2, 1, 28, 28] });
    const model = new Model();
    model.buildFromFile(c.convert(FmkType.ONNX, onnx, out('shape2')), ModelType.MINDIR, context());
    expect(model.getInputs()[0]?.shape).toEqual([2, 1, 28, 28]);
    model.dispose();
  });

  it('inputFormat NHWC gives an NCHW model NHWC inputs; NCHW and the data types keep the outputs bit-identical', () => {
    const c = pythonLike();
    expect(c.inputFormat).toBe(Format.DEFAULT);
    c.inputFormat = Format.NHWC;
    const model = new Model();
    model.buildFromFile(c.convert(FmkType.ONNX, onnx, out('nhwc')), ModelType.MINDIR, context());
    expect(model.getInputs()[0]?.shape).toEqual([-1, 28, 28, 1]);
    model.dispose();
    const d = pythonLike();
    d.inputFormat = Format.NCHW;
    d.inputDataType = DataType.FLOAT32;
    d.outputDataType = DataType.FLOAT32;
    expect(predictAll(d.convert(FmkType.ONNX, onnx, out('settings')))).toEqual(ref());
  });

  it('encryption writes a model the runtime cannot build without the key; infer is refused (2.0.0 writes broken models)', () => {
    const e = pythonLike();
    e.enableEncryption = true;
    e.encryptKey = '30313233343637383939414243444546';
    const enc = e.convert(FmkType.ONNX, onnx, out('encrypted'));
    expect(readFileSync(enc).equals(readFileSync(path(lenet.file)))).toBe(false);
    expect(codeOf(() => new Model().buildFromFile(enc, ModelType.MINDIR, context()))).not.toBe('none');
    const i = pythonLike();
    i.infer = true;
    expect(codeOf(() => i.convert(FmkType.ONNX, onnx, out('infer')))).toBe('LITE_UNSUPPORTED');
  });

  it('setConfigInfo passes converter config sections (weight quantization shrinks the model)', () => {
    const c = pythonLike();
    c.setConfigInfo('common_quant_param', { quant_type: 'WEIGHT_QUANT', bit_num: '8', min_quant_weight_size: '0', min_quant_weight_channel: '16' });
    expect(c.getConfigInfo()).toEqual({ common_quant_param: { quant_type: 'WEIGHT_QUANT', bit_num: '8', min_quant_weight_size: '0', min_quant_weight_channel: '16' } });
    const file = c.convert(FmkType.ONNX, onnx, out('quant'));
    expect(statSync(file).size).toBeLessThan(statSync(path(lenet.file)).size * 0.5);
  });
});

describe('Converter errors', () => {
  it('missing inputs are LITE_FILE_NOT_FOUND, bad arguments LITE_INVALID_ARGUMENT, and nothing is written', () => {
    const c = pythonLike();
    const before = readdirSync(work).length;
    expect(codeOf(() => c.convert(FmkType.ONNX, out('none.onnx'), out('x')))).toBe('LITE_FILE_NOT_FOUND');
    expect(codeOf(() => c.convert(FmkType.ONNX, onnx, out('x'), undefined, out('none.cfg')))).toBe('LITE_FILE_NOT_FOUND');
    expect(codeOf(() => c.convert(FmkType.CAFFE, onnx, out('x'), out('none.caffemodel')))).toBe('LITE_FILE_NOT_FOUND');
    expect(codeOf(() => c.convert(FmkType.CAFFE, onnx, out('x')))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => c.convert(FmkType.ONNX, onnx, join(work, 'no-such-folder', 'x')))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => c.convert(FmkType.ONNX, onnx, join(onnx, 'x')))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => c.convert(42 as FmkType, onnx, out('x')))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => c.convert(FmkType.ONNX, onnx, ''))).toBe('LITE_INVALID_ARGUMENT');
    expect(codeOf(() => c.convert(FmkType.PYTORCH, onnx, out('x')))).toBe('LITE_UNSUPPORTED');
    expect(readdirSync(work).length).toBe(before);
  });

  it('setters reject values 2.0 does not accept', () => {
    const c = new Converter();
    const bad: [string, () => void][] = [
      ['weightFp16', () => ((c as unknown as { weightFp16: unknown }).weightFp16 = 1)],
      ['inputFormat', () => (c.inputFormat = Format.NC4HW4)],
      ['inputDataType', () => (c.inputDataType = DataType.FLOAT16)],
      ['outputDataType', () => (c.outputDataType = DataType.INT32)],
      ['saveType', () => (c.saveType = 3 as ModelType)],
      ['optimize', () => ((c as unknown as { optimize: unknown }).optimize = 'fast')],
      ['device', () => (c.device = 'GPU')],
      ['decryptMode', () => ((c as unknown as { decryptMode: unknown }).decryptMode = 'ROT13')],
      ['encryptKey', () => (c.encryptKey = 'xyz')],
      ['inputShape', () => (c.inputShape = { x: [1.5] })],
      ['setConfigInfo', () => c.setConfigInfo('s', { k: 1 } as unknown as Record<string, string>)],
    ];
    for (const [what, f] of bad) expect(codeOf(f), what).toBe('LITE_INVALID_ARGUMENT');
    expect(c.weightFp16).toBe(false);
    expect(c.inputFormat).toBe(Format.DEFAULT);
    expect(c.saveType).toBe(ModelType.MINDIR);
  });

  it('a model the engine cannot read is LITE_INVALID_MODEL with its reason; bad config values are LITE_INVALID_ARGUMENT', async () => {
    const garbage = out('garbage.onnx');
    writeFileSync(garbage, 'not an onnx model');
    const c = pythonLike();
    let err: unknown;
    try {
      c.convert(FmkType.ONNX, garbage, out('g'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LiteError);
    expect((err as LiteError).code).toBe('LITE_INVALID_MODEL');
    expect((err as LiteError).message).toContain('Read onnx model file failed');
    await expect(c.convertAsync(FmkType.ONNX, garbage, out('g'))).rejects.toMatchObject({ code: 'LITE_INVALID_MODEL' });
    expect(codeOf(() => c.convert(FmkType.TF, onnx, out('g')))).toBe('LITE_INVALID_MODEL');
    const q = pythonLike();
    q.setConfigInfo('common_quant_param', { quant_type: 'NOPE' });
    expect(codeOf(() => q.convert(FmkType.ONNX, onnx, out('q')))).toBe('LITE_INVALID_ARGUMENT');
    const a = pythonLike();
    a.optimize = 'ascend_oriented';
    expect(a.device).toBe('Ascend');
    expect(codeOf(() => a.convert(FmkType.ONNX, onnx, out('a')))).toBe('LITE_UNSUPPORTED');
    expect(readdirSync(work).filter((f) => /^(g|q|a)\./.test(f))).toEqual([]);
  });
});

describe('lite-convert CLI and a quiet process', () => {
  it('converts with the CLI (exit 0) and reports failures with their code (exit 1/2)', () => {
    expect(main(['--fmk', 'onnx', '--model', onnx, '--output', out('cli'), '--optimize', 'none', '--save-type', 'MINDIR'])).toBe(0);
    expect(predictAll(out('cli.mindir'))).toEqual(ref());
    expect(main(['--fmk', 'onnx', '--model', out('none.onnx'), '--output', out('cli2')])).toBe(1);
    expect(main(['--fmk', 'keras', '--model', onnx, '--output', out('cli2')])).toBe(2);
    expect(main(['--model', onnx])).toBe(2);
  });

  it('a conversion in a fresh process prints nothing (no CONVERT RESULT line, no engine log)', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
import { Converter, FmkType } from ${JSON.stringify(dist)};
const c = new Converter();
c.convert(FmkType.ONNX, ${JSON.stringify(onnx)}, ${JSON.stringify(out('quiet'))});
try { c.convert(FmkType.ONNX, ${JSON.stringify(path('lenet_input_b1.npy'))}, ${JSON.stringify(out('quiet-bad'))}); } catch (e) { if (e.code !== 'LITE_INVALID_MODEL') throw e; }
await c.convertAsync(FmkType.ONNX, ${JSON.stringify(onnx)}, ${JSON.stringify(out('quiet-async'))});
`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, GLOG_v: undefined },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(out('quiet.mindir')) && existsSync(out('quiet-async.mindir'))).toBe(true);
  });
});
