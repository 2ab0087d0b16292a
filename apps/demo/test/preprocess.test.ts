import { describe, expect, it } from 'vitest';
import { loadHeldOut, PIXELS, sampleInput } from '../src/heldout.js';
import { decodePngToInk, inkToPng, pngDimensions } from '../src/image.js';
import { parseNpy } from '../src/npy.js';
import { mnistPreprocess, topK } from '../src/preprocess.js';

const held = loadHeldOut();

function centreOfMass(x: Float32Array): [number, number] {
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < PIXELS; i++) {
    const v = x[i] as number;
    m += v;
    cx += ((i % 28) + 0.5) * v;
    cy += (Math.floor(i / 28) + 0.5) * v;
  }
  return [cx / m, cy / m];
}

describe('held-out split', () => {
  it('has 2000 samples of all ten digits, 28x28 uint8', () => {
    expect(held.count).toBe(2000);
    expect(held.images.length).toBe(2000 * PIXELS);
    expect(new Set(held.labels).size).toBe(10);
    expect(sampleInput(held, 0).length).toBe(PIXELS);
    expect(Math.max(...sampleInput(held, 0))).toBeLessThanOrEqual(1);
  });
});

describe('mnistPreprocess', () => {
  it('puts a big off-centre stroke into a 20x20 box centred by mass', () => {
    // a 280x280 "canvas" with a thick vertical bar in the top-left corner
    const w = 280;
    const h = 280;
    const data = new Float32Array(w * h);
    for (let y = 10; y < 150; y++) for (let x = 20; x < 40; x++) data[y * w + x] = 1;
    const { input, empty } = mnistPreprocess({ width: w, height: h, data });
    expect(empty).toBe(false);
    const [cx, cy] = centreOfMass(input);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.75);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.75);
    // height 140 -> 20 rows of ink
    let rows = 0;
    for (let y = 0; y < 28; y++) if (input.subarray(y * 28, y * 28 + 28).some((v) => v > 0.5)) rows++;
    expect(rows).toBe(20);
    expect(Math.max(...input)).toBeCloseTo(1, 5);
  });

  it('reports a blank image as empty', () => {
    const r = mnistPreprocess({ width: 10, height: 10, data: new Float32Array(100) });
    expect(r.empty).toBe(true);
    expect(r.input.every((v) => v === 0)).toBe(true);
  });

  it('rejects inconsistent images', () => {
    expect(() => mnistPreprocess({ width: 3, height: 3, data: new Float32Array(8) })).toThrow(RangeError);
  });

  it('normalizes MNIST samples to a ~20 px box with the centre of mass at the centre', () => {
    for (let i = 0; i < 100; i++) {
      const y = mnistPreprocess({ width: 28, height: 28, data: sampleInput(held, i) }).input;
      let x0 = 28;
      let x1 = -1;
      let y0 = 28;
      let y1 = -1;
      for (let k = 0; k < PIXELS; k++) {
        if ((y[k] as number) > 0.1) {
          x0 = Math.min(x0, k % 28);
          x1 = Math.max(x1, k % 28);
          y0 = Math.min(y0, Math.floor(k / 28));
          y1 = Math.max(y1, Math.floor(k / 28));
        }
      }
      const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
      expect(side).toBeGreaterThanOrEqual(19);
      expect(side).toBeLessThanOrEqual(21);
      const [cx, cy] = centreOfMass(y);
      expect(Math.abs(cx - 14)).toBeLessThanOrEqual(1);
      expect(Math.abs(cy - 14)).toBeLessThanOrEqual(1);
    }
  });
});

describe('PNG decoding', () => {
  it('round-trips a held-out sample through an 8-bit grayscale PNG', () => {
    const x = sampleInput(held, 3);
    const png = inkToPng(x, 28, 28);
    expect(pngDimensions(png)).toEqual({ width: 28, height: 28 });
    const ink = decodePngToInk(png);
    expect(ink.width).toBe(28);
    for (let k = 0; k < PIXELS; k++) expect(Math.abs((ink.data[k] as number) - (x[k] as number))).toBeLessThan(0.003);
  });

  it('inverts dark ink on light paper', () => {
    const x = sampleInput(held, 5);
    const inverted = x.map((v) => 1 - v);
    const ink = decodePngToInk(inkToPng(inverted, 28, 28));
    for (let k = 0; k < PIXELS; k++) expect(Math.abs((ink.data[k] as number) - (x[k] as number))).toBeLessThan(0.003);
  });

  it('rejects non-PNG bytes and oversized images before decoding', () => {
    expect(() => decodePngToInk(Buffer.from('hello world, this is not a png file at all'))).toThrow(/not a PNG/);
    const png = Buffer.from(inkToPng(new Float32Array(4), 2, 2));
    png.writeUInt32BE(100000, 16); // claim a huge width in IHDR
    expect(() => decodePngToInk(png, { maxSide: 1024 })).toThrow(/each side/);
  });
});

describe('npy and topK', () => {
  it('parses a float32 .npy', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const data = new Float32Array(PIXELS).map((_, i) => (i % 7) / 7);
    const buf = Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from('NUMPY'),
      Buffer.from([1, 0]),
      Buffer.from([padded.length & 0xff, padded.length >> 8]),
      Buffer.from(padded, 'latin1'),
      Buffer.from(data.buffer),
    ]);
    const npy = parseNpy(buf);
    expect(npy.shape).toEqual([1, 1, 28, 28]);
    expect(npy.dtype).toBe('float32');
    expect(Array.from(npy.data)).toEqual(Array.from(data));
  });

  it('orders the top classes', () => {
    const p = [0.01, 0.5, 0.02, 0.3, 0.17, 0, 0, 0, 0, 0];
    expect(topK(p, 3).map((t) => t.digit)).toEqual([1, 3, 4]);
  });
});
