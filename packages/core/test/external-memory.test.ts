// Native memory is reported to V8 (napi_adjust_external_memory), so undisposed networks and
// tensors weigh what they hold when the garbage collector decides when to run. The reported
// figure is internal (`externalMemory` on the native objects); these tests check that it follows
// the objects' lives. Real runtime, no mocks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture } from '@lite/testing';
import { LiteLayout, LiteNetwork, LiteTensor } from '../src/index.js';

const MiB = 1 << 20;

describe('native memory reported to V8', () => {
  it('a network reports its model and runtime memory after load and first run, and nothing after dispose', async () => {
    const bytes = readFileSync(fixture('shufflenet.mge'));
    const net = new LiteNetwork();
    expect(net.native.externalMemory).toBe(0);
    net.load(bytes);
    const loaded = net.native.externalMemory;
    // At least the model bytes the network keeps (1.57 MB), which the heap growth is added to.
    expect(loaded).toBeGreaterThanOrEqual(bytes.byteLength);
    const name = net.getAllInputName()[0]!;
    await net.predict({ [name]: new Float32Array(3 * 224 * 224) });
    expect(net.native.externalMemory).toBeGreaterThanOrEqual(loaded);
    const n = net.native;
    net.dispose();
    expect(n.externalMemory).toBe(0);
  });

  it('an async load reports too', async () => {
    const net = new LiteNetwork();
    await net.loadAsync(fixture('mlp.mge'));
    // mlp.mge holds 68 KB of weights; the engine's copy and graph are more than that.
    expect(net.native.externalMemory).toBeGreaterThan(64 * 1024);
    net.dispose();
  });

  it('a standalone tensor reports its bytes; slices, shared memory and disposed tensors report none', () => {
    const t = new LiteTensor(new LiteLayout([256, 1024], 'float32'));
    expect(t.native.externalMemory).toBe(MiB);
    t.layout = new LiteLayout([512, 1024], 'float32');
    expect(t.native.externalMemory).toBe(2 * MiB);
    const s = t.slice([0], [8]);
    expect(s.native.externalMemory).toBe(0);
    const shared = new LiteTensor(new LiteLayout([4], 'float32'));
    shared.setDataByShare(new Float32Array(1024));
    expect(shared.native.externalMemory).toBe(0);
    const n = t.native;
    t.dispose();
    expect(n.externalMemory).toBe(0);
  });
});
