// Differential: every fixture model through @lite/core gives exactly the bytes Python
// megenginelite 1.13.0 produced (fixtures/*_lite_output*.npy, recorded by tools/models) — same
// runtime, same default options, same inputs, so we require bit-identity (tolerance 0).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, manifest, readNpy, type FixtureIO, liteReference } from '@lite/testing';
import { LiteConfig, LiteNetwork, LiteTensorPhase } from '../src/index.js';

interface Case {
  tag: string;
  inputs: FixtureIO[];
  outputs: FixtureIO[];
}

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

const models = manifest().models;

describe('outputs equal recorded megenginelite outputs, bit for bit', () => {
  for (const [name, m] of Object.entries(models)) {
    const raw = m as unknown as { cases?: Case[]; encryption?: { lite_config?: { bare_model_cryption_name?: string } } };
    const cases: Case[] = raw.cases ?? [{ tag: '', inputs: m.inputs, outputs: m.outputs }];
    for (const c of cases) {
      for (const mode of ['sync', 'async'] as const) {
        it(`${name}${c.tag ? ` [${c.tag}]` : ''} (${mode})`, async () => {
          const config = new LiteConfig();
          const cryption = raw.encryption?.lite_config?.bare_model_cryption_name;
          if (cryption) config.bareModelCryptionName = cryption;
          const net = new LiteNetwork(config);
          if (mode === 'sync') net.load(fixture(m.file));
          else await net.loadAsync(readFileSync(fixture(m.file)));
          for (const io of c.inputs) {
            const npy = readNpy(fixture(io.npy!));
            net.getIoTensor(io.name, LiteTensorPhase.LITE_INPUT).setDataByCopy(bytesOf(npy.data), { layout: npy.shape });
          }
          if (mode === 'sync') {
            net.forward();
            net.wait();
          } else {
            await net.forwardAsync();
          }
          for (const io of c.outputs) {
            const want = readNpy(liteReference(io.lite_npy!));
            const t = net.getIoTensor(io.name, LiteTensorPhase.LITE_OUTPUT);
            expect(t.layout.shapes).toEqual(want.shape);
            const got = bytesOf(t.toTypedArray());
            expect(got.equals(bytesOf(want.data))).toBe(true);
          }
          net.dispose();
        });
      }
    }
  }
});
