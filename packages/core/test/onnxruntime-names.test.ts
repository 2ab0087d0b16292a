// The names onnxruntime-node users know, beside megenginelite's (issue 22): LiteNetwork.create,
// inputNames / outputNames, and an AbortSignal on predict. Values against megenginelite's outputs
// on this machine (tolerance 0: same engine, same input bytes).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, liteReference, manifest, readNpy } from '@lite/testing';
import { LiteError, LiteNetwork } from '../src/index.js';
import { expectCode } from './helpers.js';

const mlp = manifest().models.mlp!;
const mlpInput = readNpy(fixture(mlp.inputs[0]!.npy!)).data as Float32Array;
const mlpOut = readNpy(liteReference(mlp.outputs[0]!.lite_npy!)).data as Float32Array;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('LiteNetwork.create', () => {
  it('loads from a path or bytes off the JS thread; inputNames/outputNames; predict by name', async () => {
    for (const model of [fixture(mlp.file), readFileSync(fixture(mlp.file))]) {
      const net = await LiteNetwork.create(model);
      expect(net.inputNames).toEqual(net.getAllInputName());
      expect(net.outputNames).toEqual(net.getAllOutputName());
      expect(net.inputNames).toEqual(['data']);
      const out = await net.predict({ [net.inputNames[0] as string]: mlpInput });
      expect(out[net.outputNames[0] as string]?.toTypedArray()).toEqual(mlpOut);
      net.dispose();
    }
  });

  it('a failed load rejects with its code (and leaves nothing behind)', async () => {
    const e = await rejection(LiteNetwork.create(fixture('no-such-model.mge')));
    expect(e).toBeInstanceOf(LiteError);
    expect((e as LiteError).code).toBe('LITE_FILE_NOT_FOUND');
    const bad = await rejection(LiteNetwork.create(fixture(mlp.file), null as unknown as object));
    expect((bad as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
  });

  it('inputNames before a load: LITE_INVALID_ARGUMENT, as getAllInputName', () => {
    expectCode(() => new LiteNetwork().inputNames, 'LITE_INVALID_ARGUMENT');
  });
});

describe('predict(feeds, { signal })', () => {
  it('an aborted signal rejects with its reason, before anything is queued', async () => {
    const net = await LiteNetwork.create(fixture(mlp.file));
    const reason = new Error('too late');
    expect(await rejection(net.predict({ data: mlpInput }, { signal: AbortSignal.abort(reason) }))).toBe(reason);
    // Nothing was queued: a sync call works at once.
    net.getIoTensor('data').setDataByCopy(mlpInput);
    net.dispose();
  });

  it('aborting while queued rejects at once; the others and later calls get their own results', async () => {
    const net = await LiteNetwork.create(fixture(mlp.file));
    const ac = new AbortController();
    const before = Array.from({ length: 4 }, () => net.predict<'logits'>({ data: mlpInput }));
    const aborted = net.predict({ data: mlpInput }, { signal: ac.signal });
    ac.abort('stop');
    expect(await rejection(aborted)).toBe('stop');
    for (const { logits } of await Promise.all(before)) expect(logits.toTypedArray()).toEqual(mlpOut);
    const { logits } = await net.predict<'logits'>({ data: mlpInput }, { signal: new AbortController().signal });
    expect(logits.toTypedArray()).toEqual(mlpOut);
    net.dispose();
  });

  it('a signal that is not an AbortSignal is LITE_INVALID_ARGUMENT', async () => {
    const net = await LiteNetwork.create(fixture(mlp.file));
    const e = await rejection(net.predict({ data: mlpInput }, { signal: {} as AbortSignal }));
    expect((e as LiteError).code).toBe('LITE_INVALID_ARGUMENT');
    expect((e as LiteError).message).toMatch(/signal must be an AbortSignal/);
    net.dispose();
  });
});
