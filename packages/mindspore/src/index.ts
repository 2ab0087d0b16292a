/**
 * MindSpore Lite 2.0 cloud inference for Node.js: Python's `mindspore_lite` workflow with
 * TypedArrays, Promises and TypeScript types, on the real MindSpore Lite runtime.
 *
 * @packageDocumentation
 * @module @lite/mindspore
 */
export { Context, type AscendOptions, type ConfigDict, type CpuOptions, type GpuOptions, type ParallelOptions, type Target } from './context.js';
export { Converter, type OptimizeMode } from './converter.js';
export { dtypeName, type TensorData } from './dtype.js';
export { DataType, FmkType, Format, ModelType } from './enums.js';
export { LiteError, type LiteErrorCode } from './errors.js';
export { Model, type ModelCreateOptions, type ModelFeed, type ModelOutputs, type PredictAsyncOptions } from './model.js';
export { ModelParallelRunner, type BatchingOptions, type BatchStats, type RunnerBuildOptions, type RunnerCreateOptions } from './runner.js';
export { Tensor, type NdArrayLike, type TensorOptions } from './tensor.js';
export { validateModel, type ValidateModelOptions, type ValidateModelResult } from './validate.js';

/** The MindSpore Lite runtime version this package binds ("2.0.0", from the runtime pin; the runtime reports none). */
export const version = '2.0.0';
