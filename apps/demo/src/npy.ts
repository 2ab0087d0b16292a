/** A minimal .npy reader (C order; float32, float64, uint8) for `lite-demo classify x.npy`. */
export interface Npy {
  shape: number[];
  dtype: 'float32' | 'float64' | 'uint8';
  data: Float32Array | Float64Array | Uint8Array;
}

const DESCR: Record<string, Npy['dtype']> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8' };

export function parseNpy(buf: Uint8Array): Npy {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || b[0] !== 0x93 || b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error('not a .npy file');
  const major = b[6] as number;
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`bad .npy header: ${header}`);
  if (fortran === 'True') throw new Error('Fortran-order .npy is not supported');
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`unsupported .npy dtype ${descr} (use float32, float64 or uint8)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, v) => a * v, 1);
  const off = start + headerLen;
  const bytes = b.subarray(off);
  const item = dtype === 'float32' ? 4 : dtype === 'float64' ? 8 : 1;
  if (bytes.length < count * item) throw new Error(`.npy data too short: ${bytes.length} bytes for ${count} values`);
  const copy = new Uint8Array(count * item);
  copy.set(bytes.subarray(0, count * item));
  const data =
    dtype === 'float32'
      ? new Float32Array(copy.buffer)
      : dtype === 'float64'
        ? new Float64Array(copy.buffer)
        : copy;
  return { shape, dtype, data };
}
