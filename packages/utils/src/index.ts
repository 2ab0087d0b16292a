/**
 * Utilities on top of `@lite/core` (megenginelite's `utils` module).
 *
 * @packageDocumentation
 * @module @lite/utils
 */
export { TensorBatchCollector, type TensorBatchCollectorOptions, type CollectData } from './collector.js';
