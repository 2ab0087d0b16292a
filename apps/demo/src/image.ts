import { PNG } from 'pngjs';
import type { InkImage } from './preprocess.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class BadImageError extends Error {
  override name = 'BadImageError';
}

/** Width and height from a PNG's IHDR chunk, read before any decompression (size checks first). */
export function pngDimensions(buf: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 33 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw new BadImageError('not a PNG file');
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

export interface DecodeOptions {
  /** Largest width or height accepted (default 2048). */
  maxSide?: number;
}

/**
 * Decodes a PNG (any bit depth / color type, via pngjs) into ink values in [0, 1]. Transparent
 * pixels are composited over white (as a browser shows them). The polarity is detected from the
 * border: a light border means dark ink on light paper, which gets inverted, so both a white-on-black
 * canvas and a black-on-white scan come out as MNIST-style ink.
 */
export function decodePngToInk(buf: Uint8Array, opts: DecodeOptions = {}): InkImage {
  const maxSide = opts.maxSide ?? 2048;
  const { width, height } = pngDimensions(buf);
  if (width === 0 || height === 0 || width > maxSide || height > maxSide) {
    throw new BadImageError(`PNG is ${width}x${height}; each side must be 1..${maxSide}`);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw new BadImageError(`cannot decode PNG: ${e instanceof Error ? e.message : String(e)}`);
  }
  const n = png.width * png.height;
  const lum = new Float32Array(n);
  const d = png.data;
  for (let i = 0; i < n; i++) {
    const r = d[4 * i] as number;
    const g = d[4 * i + 1] as number;
    const b = d[4 * i + 2] as number;
    const a = (d[4 * i + 3] as number) / 255;
    const y = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    lum[i] = y * a + (1 - a); // over white
  }
  return lumToInk(lum, png.width, png.height);
}

/** Luminance (0 black .. 1 white) -> ink, inverting when the border is light. */
export function lumToInk(lum: Float32Array, width: number, height: number): InkImage {
  let sum = 0;
  let count = 0;
  for (let x = 0; x < width; x++) {
    sum += (lum[x] as number) + (lum[(height - 1) * width + x] as number);
    count += 2;
  }
  for (let y = 0; y < height; y++) {
    sum += (lum[y * width] as number) + (lum[y * width + width - 1] as number);
    count += 2;
  }
  const invert = sum / count > 0.5;
  const data = new Float32Array(lum.length);
  for (let i = 0; i < lum.length; i++) data[i] = invert ? 1 - (lum[i] as number) : (lum[i] as number);
  return { width, height, data };
}

/** Encodes a 28x28 (or any) ink image as an 8-bit grayscale PNG, white ink on black. */
export function inkToPng(data: ArrayLike<number>, width: number, height: number): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const raw = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) raw[i] = Math.round(Math.max(0, Math.min(1, Number(data[i]))) * 255);
  png.data = raw;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
}
