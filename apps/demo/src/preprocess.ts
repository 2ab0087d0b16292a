import { PIXELS, SIDE } from './heldout.js';

/** A single-channel image of "ink" values in [0, 1] (1 = stroke, 0 = background), row-major. */
export interface InkImage {
  width: number;
  height: number;
  data: Float32Array;
}

export interface Preprocessed {
  /** 28x28 float32 model input, pixel/255 scale (0 background, 1 ink). */
  input: Float32Array;
  /** True when no ink was found (the input is all zeros). */
  empty: boolean;
}

/** Ink below this does not count for the bounding box (anti-aliasing fringe, paper noise). */
const INK_THRESHOLD = 0.1;
/** MNIST fits each digit's bounding box into 20x20, aspect kept, inside the 28x28 field. */
const BOX = 20;

/**
 * MNIST-style normalization of a drawn or photographed digit, like the MNIST set itself was made:
 * 1. crop to the bounding box of the ink,
 * 2. scale (area-averaging, anti-aliased) so its longer side is 20 px, aspect ratio kept,
 * 3. stretch intensities so the strongest pixel is 1,
 * 4. paste into a 28x28 field so that the centre of mass sits at the centre (14, 14).
 */
export function mnistPreprocess(img: InkImage): Preprocessed {
  const { width: w, height: h, data } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || data.length !== w * h) {
    throw new RangeError(`bad image: ${w}x${h} with ${data.length} values`);
  }
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((data[y * w + x] as number) > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const input = new Float32Array(PIXELS);
  if (x1 < 0) return { input, empty: true };

  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const f = BOX / Math.max(cw, ch);
  const tw = Math.max(1, Math.min(BOX, Math.round(cw * f)));
  const th = Math.max(1, Math.min(BOX, Math.round(ch * f)));
  const fx = cw / tw;
  const fy = ch / th;

  // area-averaging resample of the crop to tw x th
  const small = new Float32Array(tw * th);
  let max = 0;
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + ty * fy;
    const sy1 = sy0 + fy;
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + tx * fx;
      const sx1 = sx0 + fx;
      let acc = 0;
      let area = 0;
      for (let sy = Math.floor(sy0); sy < Math.min(Math.ceil(sy1), h); sy++) {
        const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        if (wy <= 0) continue;
        for (let sx = Math.floor(sx0); sx < Math.min(Math.ceil(sx1), w); sx++) {
          const wx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          if (wx <= 0) continue;
          acc += (data[sy * w + sx] as number) * wx * wy;
          area += wx * wy;
        }
      }
      const v = area > 0 ? acc / area : 0;
      small[ty * tw + tx] = v;
      if (v > max) max = v;
    }
  }
  if (max <= 0) return { input, empty: true };

  // centre of mass (pixel centres) of the scaled digit
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const v = (small[ty * tw + tx] as number) / max;
      small[ty * tw + tx] = v;
      mass += v;
      mx += (tx + 0.5) * v;
      my += (ty + 0.5) * v;
    }
  }
  const ox = Math.round(SIDE / 2 - mx / mass);
  const oy = Math.round(SIDE / 2 - my / mass);
  for (let ty = 0; ty < th; ty++) {
    const y = ty + oy;
    if (y < 0 || y >= SIDE) continue;
    for (let tx = 0; tx < tw; tx++) {
      const x = tx + ox;
      if (x < 0 || x >= SIDE) continue;
      input[y * SIDE + x] = small[ty * tw + tx] as number;
    }
  }
  return { input, empty: false };
}

/** Softmax output -> the k most likely digits. */
export function topK(prob: ArrayLike<number>, k = 3): { digit: number; prob: number }[] {
  const all = Array.from({ length: prob.length }, (_, digit) => ({ digit, prob: Number(prob[digit]) }));
  all.sort((a, b) => b.prob - a.prob);
  return all.slice(0, k);
}

/** Renders a 28x28 input as ASCII art (for the CLI). */
export function asciiDigit(input: ArrayLike<number>): string {
  const ramp = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let y = 0; y < SIDE; y++) {
    let row = '';
    for (let x = 0; x < SIDE; x++) {
      const v = Math.max(0, Math.min(1, Number(input[y * SIDE + x])));
      const c = ramp[Math.min(ramp.length - 1, Math.floor(v * ramp.length))] as string;
      row += c + c;
    }
    rows.push(row.trimEnd());
  }
  return rows.join('\n');
}
