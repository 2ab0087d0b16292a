import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root (`apps/demo`): this file lives in `src/` (tests) or `dist/` (built CLI). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The repository root. */
export const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..', '..');
/** Where tools/models/train_mnist.py writes the model and the held-out split. */
export const MODELS_DIR = path.join(PACKAGE_ROOT, 'models');
export const MODEL_PATH = path.join(MODELS_DIR, 'mnist.mge');
/** The same network converted for MindSpore Lite by tools/models/export_mnist_mindspore.py. */
export const MS_MODEL_PATH = path.join(MODELS_DIR, 'mnist.mindir');
export const MS_MODEL_META_PATH = path.join(MODELS_DIR, 'mnist_mindspore.json');
export const MODEL_META_PATH = path.join(MODELS_DIR, 'mnist.json');
export const HELDOUT_IMAGES_PATH = path.join(MODELS_DIR, 'heldout_images.u8');
export const HELDOUT_LABELS_PATH = path.join(MODELS_DIR, 'heldout_labels.u8');
/** The benchmark suite's entry point. */
export const BENCH_SCRIPT = path.join(REPO_ROOT, 'tools', 'bench', 'run.mjs');
