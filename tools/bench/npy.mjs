// The benchmark scripts' .npy reader: float32 arrays (the fixtures' inputs and references).
import { readFileSync } from 'node:fs';

/** `{ data, shape }` of a little-endian float32 `.npy` file (format 1.x or 2.x). */
export function readNpyF32(file) {
  const b = readFileSync(file);
  const len = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = b[6] === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + len);
  if (!header.includes("'<f4'")) throw new Error(`${file}: expected float32 .npy`);
  const shape = /'shape': \(([^)]*)\)/.exec(header)?.[1].split(',').filter((s) => s.trim()).map(Number) ?? [];
  const bytes = b.subarray(start + len);
  const data = new Float32Array(bytes.length / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { data, shape };
}
