// Native memory is reported to V8 (napi_adjust_external_memory): an undisposed Model or runner
// weighs what the engine holds when the garbage collector decides when to run. The reported
// figure is internal (`externalMemory` on the binding's objects), read here through the binding
// itself. Real runtime, no mocks.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { MsModel, MsRunner } from '@lite/binding';
import { Model, ModelType } from '../src/index.js';
import { context, path } from './helpers.js';

const binding = createRequire(import.meta.url)('@lite/binding') as {
  MsModel: new () => MsModel;
  MsRunner: new (width: number) => MsRunner;
};

describe('native memory reported to V8', () => {
  it('a model reports what its build made resident (about 2 MB for LeNet, not the 256 MB pool it maps), and nothing after dispose', async () => {
    new Model().buildFromFile(path('lenet.mindir'), ModelType.MINDIR, context()); // runtime loaded
    const m = new binding.MsModel();
    expect(m.externalMemory).toBe(0);
    m.buildFromFile(path('lenet.mindir'), 0, { threadNum: 1 });
    const built = m.externalMemory;
    // Measured here: about 2.1 MB per LeNet model (resident growth), never less than the model
    // file (254 KB: the engine holds the weights). The engine also maps a 256 MiB pool per model
    // that it barely touches, which must not be counted.
    const size = statSync(path('lenet.mindir')).size;
    expect(built).toBeGreaterThanOrEqual(size);
    expect(built).toBeLessThan(64 * 1024 * 1024);
    m.dispose();
    expect(m.externalMemory).toBe(0);

    const a = new binding.MsModel();
    await a.buildFromFileAsync(path('lenet.mindir'), 0, { threadNum: 1 });
    expect(a.externalMemory).toBeGreaterThanOrEqual(size);
    a.dispose();
  });

  it('a runner reports its workers\' memory', () => {
    const r = new binding.MsRunner(2);
    r.buildFromFile(path('lenet.mindir'), { threadNum: 1, workersNum: 2 });
    expect(r.externalMemory).toBeGreaterThanOrEqual(statSync(path('lenet.mindir')).size);
    r.dispose();
    expect(r.externalMemory).toBe(0);
  });
});
