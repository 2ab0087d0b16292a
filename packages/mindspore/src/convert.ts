// Internal: engine tensor descriptions <-> Tensor objects, and predict's input checks.
import type { MsPredicted, MsTensorData } from '@lite/binding';
import { bytesOf, dtypeName, fromBytes } from './dtype.js';
import type { DataType, Format } from './enums.js';
import { invalid, LiteError, show } from './errors.js';
import { isTensor, showNonTensor, type Tensor, tensorData, tensorFromModel } from './tensor.js';

/** Tensors from engine descriptions; `declared` gives the template dims of inputs (-1: free). */
export function toTensors(list: MsTensorData[], declared?: MsTensorData[]): Tensor[] {
  return list.map((t, i) => {
    const dtype = t.dtype as DataType;
    const data = t.data ? fromBytes(dtype, t.data) : null;
    const template = declared?.[i]?.shape ?? t.shape;
    return tensorFromModel(t.name, dtype, t.format as Format, t.shape, template, data);
  });
}

/** Output descriptions without data (what a model keeps after its build). */
export function describe(list: readonly MsTensorData[]): MsTensorData[] {
  return list.map(({ name, dtype, format, shape, dataSize }) => ({ name, dtype, format, shape, dataSize }));
}

/**
 * Tensors of a predict's outputs: data and dims from the call, names, dtypes and formats from the
 * model's output descriptions (the binding does not send them with every call).
 */
export function predictedTensors(p: MsPredicted, outputs: readonly MsTensorData[]): Tensor[] {
  if (p.data.length !== outputs.length) {
    throw new LiteError('LITE_ERROR', `the engine gave ${p.data.length} output(s), the model declares ${outputs.length}`);
  }
  const tensors: Tensor[] = [];
  let at = 0;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i] as MsTensorData;
    const rank = p.dims[at++] ?? 0;
    const shape = p.dims.slice(at, at + rank);
    at += rank;
    const dtype = o.dtype as DataType;
    tensors.push(tensorFromModel(o.name, dtype, o.format as Format, shape, shape, fromBytes(dtype, p.data[i] as ArrayBuffer)));
  }
  return tensors;
}

/** A named tensor of a list, or LITE_INVALID_ARGUMENT naming the ones that exist. */
export function byName(list: Tensor[], name: unknown, what: string): Tensor {
  if (typeof name !== 'string') invalid(`${what}: the name must be a string, got ${show(name)}`);
  const found = list.find((t) => t.name === name);
  if (!found) invalid(`${what}: no tensor named ${show(name)} (the model has ${list.map((t) => show(t.name)).join(', ')})`);
  return found;
}

/** Shapes and byte views of predict's inputs, checked against the model's inputs. */
export interface Feed {
  shapes: number[][];
  data: Uint8Array[];
}

/** Checks predict's inputs (count, type, data present, dtype) and takes their shapes and bytes. */
export function feedOf(inputs: unknown, declared: MsTensorData[], copy: boolean): Feed {
  if (!Array.isArray(inputs)) invalid(`predict: inputs must be an array of Tensor, got ${show(inputs)}`);
  const list = inputs as unknown[];
  if (list.length !== declared.length) {
    invalid(`predict: the model has ${declared.length} input(s) (${declared.map((d) => show(d.name)).join(', ')}), got ${list.length}`);
  }
  const shapes: number[][] = [];
  const data: Uint8Array[] = [];
  // An index loop: a hole is a missing input (forEach would skip it).
  for (let i = 0; i < list.length; i++) {
    const t: unknown = list[i];
    const want = declared[i] as MsTensorData;
    // A brand check: `instanceof` also passes Object.create(Tensor.prototype) and Proxies of tensors.
    if (!isTensor(t)) invalid(`predict: input ${i} must be a Tensor, got ${showNonTensor(t)}`);
    const held = tensorData(t);
    if (held === null || t.elementNum === 0) invalid(`predict: input ${i} (${show(want.name)}) has no data yet: call setData first`);
    if (t.dtype !== want.dtype) {
      invalid(`predict: input ${i} (${show(want.name)}) must be ${dtypeName(want.dtype as DataType)}, got ${dtypeName(t.dtype)}`);
    }
    shapes.push(t.shape);
    data.push(copy ? bytesOf(held).slice() : bytesOf(held));
  }
  return { shapes, data };
}
