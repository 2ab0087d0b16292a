// The seed tutorial's workflow (MindSpore Lite Python cloud inference), step by step, in TypeScript:
// Context → buildFromFile → getInputs → setData (flat data, as np.fromfile gives) → predict →
// each output's name, dataSize, elementNum and data.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Context, DataType, Model, ModelType, version } from '../src/index.js';
import { expectReference, lenet, npy, path, runFor } from './helpers.js';

it('runs the tutorial end to end and prints what the tutorial prints', () => {
  const context = new Context();
  context.target = ['cpu'];
  context.cpu.threadNum = 1;
  context.cpu.threadAffinityMode = 2;

  const model = new Model();
  model.buildFromFile(path(lenet.file), ModelType.MINDIR, context);

  const inputs = model.getInputs();
  const run = runFor(lenet, 1);
  // The tutorial reads raw float32 with np.fromfile: a flat array, no shape.
  const raw = readFileSync(path(run.inputs[0]?.npy as string));
  const inData = npy(run.inputs[0]?.npy as string);
  expect(raw.byteLength).toBeGreaterThan(inData.byteLength);
  inputs[0]?.setData(inData);
  expect(inputs[0]?.shape).toEqual([1, 1, 28, 28]);

  const outputs = model.predict(inputs);
  const lines: string[] = [];
  for (const output of outputs) {
    const data = output.getData() as Float32Array;
    lines.push(`tensor's name is:${output.name} data size is:${output.dataSize} tensor elements num is:${output.elementNum}`);
    lines.push(`output data is: ${Array.from(data.slice(0, 5)).join(' ')}`);
    expect(output.dtype).toBe(DataType.FLOAT32);
    expect(output.elementNum).toBe(10);
    expect(output.dataSize).toBe(40);
    expect(data.length).toBe(10);
  }
  expect(lines[0]).toBe("tensor's name is:logits data size is:40 tensor elements num is:10");
  expect(lines[2]).toBe("tensor's name is:probs data size is:40 tensor elements num is:10");
  expectReference(outputs, run);
  // softmax outputs sum to 1 (float32 rounding of 10 terms: well within 1e-6).
  expect(Math.abs((outputs[1]?.getData() as Float32Array).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
  expect(version).toBe(JSON.parse(readFileSync(new URL('../../../tools/runtime/mindspore-runtime.json', import.meta.url), 'utf8')).mindspore);
  model.dispose();
});
