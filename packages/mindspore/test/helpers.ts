// Shared by the @lite/mindspore tests: the committed fixtures (fixtures/mindspore) and their references.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixture, readNpy } from '@lite/testing';
import { Context, LiteError, Tensor, type TensorData } from '../src/index.js';

export const DIR = fixture('mindspore');
export const path = (name: string): string => join(DIR, name);

interface FixtureIo {
  name: string;
  shape: number[];
  dtype: string;
  npy: string;
}
interface FixtureRun {
  batch: number;
  inputs: FixtureIo[];
  outputs: FixtureIo[];
}
export interface FixtureModel {
  file: string;
  dynamic_batch: boolean;
  runs: FixtureRun[];
}
export const manifest = JSON.parse(readFileSync(path('manifest.json'), 'utf8')) as {
  models: Record<string, FixtureModel>;
  sha256: Record<string, string>;
};

export const lenet = manifest.models.lenet as FixtureModel;
export const twoIo = manifest.models.two_io as FixtureModel;

/** A fixture .npy as a Float32Array (every MindSpore fixture is float32). */
export function npy(name: string): Float32Array {
  const n = readNpy(path(name));
  expect(n.dtype).toBe('float32');
  return n.data as Float32Array;
}

/** Input tensors of a fixture run (with their shapes). */
export function runInputs(run: FixtureRun): Tensor[] {
  return run.inputs.map((i) => new Tensor(npy(i.npy), { shape: i.shape }));
}

/** The run of `model` for a batch size. */
export function runFor(model: FixtureModel, batch: number): FixtureRun {
  const run = model.runs.find((r) => r.batch === batch);
  if (!run) throw new Error(`no run for batch ${batch}`);
  return run;
}

function bytes(a: TensorData): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Outputs equal the mindspore_lite Python references bit for bit (same runtime, same inputs,
 * thread_num 1): names in order, shapes, and every byte of the data. Tolerance 0 is the claim.
 */
export function expectReference(outputs: Tensor[], run: FixtureRun): void {
  expect(outputs.map((o) => o.name)).toEqual(run.outputs.map((o) => o.name));
  outputs.forEach((o, i) => {
    const ref = run.outputs[i] as FixtureIo;
    expect(o.shape).toEqual(ref.shape);
    expect(bytes(o.getData()).equals(bytes(npy(ref.npy))), `${ref.npy} differs`).toBe(true);
  });
}

/** The references' settings: CPU, one thread. */
export function context(): Context {
  const c = new Context();
  c.target = ['cpu'];
  c.cpu.threadNum = 1;
  return c;
}

/** The one-line LiteError `fn` throws (fails the test on anything else, or on no throw). */
export function failure(fn: () => unknown): LiteError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, String(thrown)).toBeInstanceOf(LiteError);
  const e = thrown as LiteError;
  expect(e.message).not.toMatch(/[\r\n]/);
  return e;
}

/** The LiteError a call throws (fails the test if it does not throw one). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return (e as LiteError).code;
  }
  throw new Error('expected a LiteError, nothing was thrown');
}

/** The LiteError a promise rejects with. */
export async function codeOfAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LiteError);
    return (e as LiteError).code;
  }
  throw new Error('expected a rejection with a LiteError');
}
