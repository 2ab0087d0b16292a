import { readFileSync } from 'node:fs';
import { HELDOUT_IMAGES_PATH, HELDOUT_LABELS_PATH, MODEL_META_PATH } from './paths.js';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** The held-out MNIST split written by tools/models/train_mnist.py (never trained on). */
export interface HeldOut {
  /** count x 784 uint8 pixels, 0 = background, 255 = ink. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export function loadHeldOut(imagesPath = HELDOUT_IMAGES_PATH, labelsPath = HELDOUT_LABELS_PATH): HeldOut {
  const images = new Uint8Array(readFileSync(imagesPath));
  const labels = new Uint8Array(readFileSync(labelsPath));
  if (images.length !== labels.length * PIXELS) {
    throw new Error(
      `held-out set is inconsistent: ${images.length} image bytes for ${labels.length} labels (expected ${labels.length * PIXELS})`,
    );
  }
  return { images, labels, count: labels.length };
}

/** Sample `i` as the model's input: float32 pixel/255 (the normalization the model was trained with). */
export function sampleInput(h: HeldOut, i: number): Float32Array {
  if (!Number.isInteger(i) || i < 0 || i >= h.count) throw new RangeError(`sample index ${i} out of range 0..${h.count - 1}`);
  return u8ToInput(h.images.subarray(i * PIXELS, (i + 1) * PIXELS));
}

export function u8ToInput(u8: Uint8Array): Float32Array {
  const out = new Float32Array(u8.length);
  for (let k = 0; k < u8.length; k++) out[k] = (u8[k] ?? 0) / 255;
  return out;
}

export interface ModelMeta {
  accuracy_megenginelite: number;
  min_accuracy: number;
  heldout: number;
  train: number;
  seed: number;
  first_sample_prob?: number[];
  [key: string]: unknown;
}

export function loadModelMeta(file = MODEL_META_PATH): ModelMeta {
  return JSON.parse(readFileSync(file, 'utf8')) as ModelMeta;
}
