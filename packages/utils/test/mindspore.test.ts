// A CPU TensorBatchCollector assembling a batch for @lite/mindspore (the pattern its README gives
// MindSpore users): samples collected out of order, one freed and collected again, then fed via
// toTypedArray() to the real MindSpore Lite runtime and compared with the Python reference.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, readNpy } from '@lite/testing';
import { LiteDeviceType } from '@lite/core';
import { Context, Model, ModelType, Tensor } from '@lite/mindspore';
import { TensorBatchCollector } from '../src/index.js';

const ms = (name: string): string => join(fixture('mindspore'), name);

describe('TensorBatchCollector feeding @lite/mindspore', () => {
  it('a collected batch of 4 LeNet samples predicts the Python batch-4 reference bit for bit', () => {
    const x = readNpy(ms('lenet_input_b4.npy')).data as Float32Array; // [4,1,28,28]
    const want = readNpy(ms('lenet_output_logits_b4.npy')).data as Float32Array; // [4,10]
    const sample = (i: number): Float32Array => x.slice(i * 784, (i + 1) * 784);
    const batch = new TensorBatchCollector([4, 1, 28, 28], { dtype: 'float32', deviceType: LiteDeviceType.LITE_CPU });
    expect(batch.collectId(sample(2), 2)).toBe(2);
    expect(batch.collectId(sample(0), 0)).toBe(0);
    expect(batch.collect(sample(3))).toBe(1); // first free slot: 1 gets the wrong sample ...
    batch.free([1]);
    expect(batch.collectId(sample(1), 1)).toBe(1); // ... and the right one after a free
    expect(batch.collectId(sample(3), 3)).toBe(3);
    expect(batch.freeList).toEqual([]);

    const context = new Context();
    context.cpu.threadNum = 1;
    const model = new Model();
    model.buildFromFile(ms('lenet.mindir'), ModelType.MINDIR, context);
    const input = new Tensor(batch.toTypedArray() as Float32Array, { shape: batch.shape });
    const logits = model.predict([input]).find((t) => t.name === 'logits');
    expect(logits?.shape).toEqual([4, 10]);
    // Same runtime, same kernels, same input bytes as mindspore_lite (Python): no tolerance.
    expect(logits?.getData()).toEqual(want);
    model.dispose();
  });
});
