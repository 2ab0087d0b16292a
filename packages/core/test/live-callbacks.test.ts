// Start/finish callbacks get the network's live IO tensors (as megenginelite's do): the engine
// waits while the callback runs, so a start callback can fill the inputs of the very run it
// starts, for a sync forward() and for forwardAsync() alike.
import { describe, expect, it } from 'vitest';
import { fixture, manifest, maxAbsDiff, readNpy } from '@lite/testing';
import { LiteError, LiteNetwork, LiteTensorPhase, type LiteTensor } from '../src/index.js';

const m = manifest().models.shufflenet!;
const modelPath = fixture(m.file);
const input = readNpy(fixture(m.inputs[0]!.npy!)).data as Float32Array;
// megengine's own (imperative) reference output: float rounding differences only.
const reference = readNpy(fixture(m.outputs[0]!.reference_npy!)).data as Float32Array;
const TOLERANCE = 1e-5; // max abs diff of the recorded outputs is 2.4e-7

function zeroInput(net: LiteNetwork): void {
  net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(new Float32Array(input.length));
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof LiteError ? e.code : 'not a LiteError';
  }
  return undefined;
}

describe('start callback fills the inputs of the run it starts', () => {
  it('sync forward()', () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    zeroInput(net);
    let calls = 0;
    net.setStartCallback((ios) => {
      calls++;
      const [t] = [...ios.values()];
      t!.setDataByCopy(input);
    });
    net.forward();
    net.wait();
    expect(calls).toBe(1);
    expect(maxAbsDiff(net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toFloat32Array(), reference)).toBeLessThan(TOLERANCE);
  });

  it('forwardAsync() (the pool thread is held until the callback returned)', async () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    zeroInput(net);
    net.setStartCallback((ios) => {
      for (const t of ios.values()) t.setDataByCopy(input);
    });
    await net.forwardAsync();
    expect(maxAbsDiff(net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toFloat32Array(), reference)).toBeLessThan(TOLERANCE);
  });
});

describe('finish callback reads the live outputs', () => {
  it('the tensors are the network IO tensors: usable after the run, busy during a later one', async () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input);
    let kept: LiteTensor | undefined;
    let inside: number | undefined;
    let busyInside: string | undefined;
    net.setFinishCallback((ios) => {
      kept = [...ios.values()][0];
      inside = maxAbsDiff(kept!.toFloat32Array(), reference);
      // calls on the network itself wait for the run to end
      busyInside = codeOf(() => net.getAllOutputName());
    });
    await net.forwardAsync();
    expect(inside).toBeLessThan(TOLERANCE);
    expect(busyInside).toBe('LITE_BUSY');
    // after the run: an ordinary IO tensor, same data as getIoTensor's
    expect(Array.from(kept!.toFloat32Array())).toEqual(Array.from(net.getIoTensor('prob', LiteTensorPhase.LITE_OUTPUT).toFloat32Array()));
    // during a later run (not inside its callback): busy, never racing the engine
    net.setFinishCallback(() => undefined);
    const run = net.forwardAsync();
    const during = codeOf(() => kept!.toFloat32Array());
    await run;
    expect(['LITE_BUSY', undefined]).toContain(during);
    expect(kept!.toFloat32Array().length).toBe(reference.length);
  });

  it('sync forward: the finish callback runs inside wait() with the outputs of this run', () => {
    const net = new LiteNetwork();
    net.load(modelPath);
    net.getIoTensor('data', LiteTensorPhase.LITE_INPUT).setDataByCopy(input);
    const seen: number[] = [];
    net.setFinishCallback((ios) => {
      for (const t of ios.values()) seen.push(maxAbsDiff(t.toFloat32Array(), reference));
    });
    net.forward();
    expect(seen).toEqual([]);
    net.wait();
    expect(seen.length).toBe(1);
    expect(seen[0]).toBeLessThan(TOLERANCE);
  });
});
