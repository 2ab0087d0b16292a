import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadHeldOut, PIXELS, sampleInput, type HeldOut } from '../src/heldout.js';
import { inkToPng } from '../src/image.js';

export const held: HeldOut = loadHeldOut();

export function tempDir(prefix = 'lite-demo-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** The first held-out index of each digit. */
export function firstOfEachDigit(): number[] {
  const out: number[] = [];
  for (let d = 0; d < 10; d++) out.push(held.labels.indexOf(d));
  return out;
}

export function samplePng(i: number): Buffer {
  return inkToPng(sampleInput(held, i), 28, 28);
}

/** Writes sample i as a float32 .npy of shape 1x1x28x28. */
export function writeSampleNpy(file: string, i: number): void {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }";
  const padded = `${header.padEnd(117, ' ')}\n`;
  const data = sampleInput(held, i);
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from('NUMPY', 'latin1'),
      Buffer.from([1, 0, padded.length & 0xff, padded.length >> 8]),
      Buffer.from(padded, 'latin1'),
      Buffer.from(data.buffer, data.byteOffset, PIXELS * 4),
    ]),
  );
}
