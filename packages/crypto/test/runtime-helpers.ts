// Helpers for the tests that run the real runtime: fixture bytes, the reference output, one
// ShuffleNet inference.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { liteRefsDir } from '../../../tools/models/machine-key.mjs';

import { LiteConfig, LiteNetwork, type ModelSource } from '@lite/core';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

interface ManifestIO {
  name: string;
  npy?: string;
  lite_npy?: string;
}
interface Manifest {
  models: Record<string, { file: string; inputs: ManifestIO[]; outputs: ManifestIO[] }>;
}

export const manifest = JSON.parse(readFileSync(`${FIXTURES}manifest.json`, 'utf8')) as Manifest;

/** float32 data of a little-endian `<f4` .npy file (format 1.x/2.x): a fixture name or an absolute path. */
export function readNpyF32(file: string): Float32Array {
  const buf = readFileSync(isAbsolute(file) ? file : `${FIXTURES}${file}`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.subarray(0, start).toString('latin1');
  if (!header.includes("'<f4'")) throw new Error(`${file}: not float32`);
  const out = new Float32Array((buf.length - start) / 4);
  new Uint8Array(out.buffer).set(buf.subarray(start));
  return out;
}

const shuffle = manifest.models.shufflenet!;
export const PLAIN_MODEL = new Uint8Array(readFileSync(`${FIXTURES}${shuffle.file}`));
export const AES_FIXTURE = new Uint8Array(readFileSync(`${FIXTURES}${manifest.models.shufflenet_aes!.file}`));
export const INPUT = readNpyF32(shuffle.inputs[0]!.npy!);
// megenginelite's outputs on this machine (kernels, hence last bits, depend on the CPU; made by
// tools/models/lite-refs.mjs, which tools/test.sh runs).
const liteRef = (name: string): string => `${liteRefsDir()}/${name}`;
/** What megenginelite itself computed for the plain model (lite_npy), on this machine. */
export const REFERENCE = readNpyF32(liteRef(shuffle.outputs[0]!.lite_npy!));
/** The same for the AES fixture (it decrypts to the same model). */
export const AES_REFERENCE = readNpyF32(liteRef(manifest.models.shufflenet_aes!.outputs[0]!.lite_npy!));

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function config(cryptionName?: string): LiteConfig {
  const c = new LiteConfig();
  if (cryptionName !== undefined) c.bareModelCryptionName = cryptionName;
  return c;
}

/** Runs the ShuffleNet input through a loaded network; returns `prob`. */
export async function infer(net: LiteNetwork): Promise<Float32Array> {
  const out = await net.predict({ data: INPUT });
  return out.prob!.toTypedArray() as Float32Array;
}

/** Loads `model` (sync or async) with `cfg`, runs it, disposes the network, returns `prob`. */
export async function loadAndRun(model: ModelSource, cfg: LiteConfig, mode: 'sync' | 'async' = 'sync'): Promise<Float32Array> {
  const net = new LiteNetwork(cfg);
  try {
    if (mode === 'sync') net.load(model);
    else await net.loadAsync(model);
    return await infer(net);
  } finally {
    net.dispose();
  }
}
