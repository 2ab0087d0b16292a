// Test helpers shared by the packages' vitest suites (imported as TypeScript source by vitest).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { liteRefsDir } from '../../../tools/models/machine-key.mjs';

/** Absolute path of the repo's `fixtures/` folder. */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** Absolute path of a fixture file. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/**
 * Absolute path of megenginelite's output for a fixture (a manifest `lite_npy` name), computed on
 * THIS machine: the engine picks kernels by CPU, so outputs differ in the last bits between CPUs
 * and bit-identity holds only against megenginelite on the same machine. The files are made once
 * per machine by `node tools/models/lite-refs.mjs` (tools/test.sh runs it). The committed
 * `fixtures/*_lite_output*.npy` are those of the machine that generated the fixtures.
 */
export function liteReference(name: string): string {
  const dir = liteRefsDir();
  if (!existsSync(join(dir, '.done'))) {
    throw new Error(`this machine's megenginelite reference outputs are missing (${dir}); run: node tools/models/lite-refs.mjs`);
  }
  return join(dir, name);
}

/** One IO entry of `fixtures/manifest.json`. */
export interface FixtureIO {
  name: string;
  shape: number[];
  dtype: string;
  npy?: string;
  reference_npy?: string;
  lite_npy?: string;
  max_abs_diff?: number;
}

/** One model entry of `fixtures/manifest.json`. */
export interface FixtureModel {
  file: string;
  inputs: FixtureIO[];
  outputs: FixtureIO[];
  [key: string]: unknown;
}

/** The parsed fixture manifest written by tools/models/make_fixtures.py. */
export function manifest(): { models: Record<string, FixtureModel> } & Record<string, unknown> {
  return JSON.parse(readFileSync(fixture('manifest.json'), 'utf8'));
}

/** A .npy file's contents. */
export interface Npy {
  shape: number[];
  dtype: string;
  data: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array;
}

const NPY_TYPES: Record<string, [string, new (b: ArrayBuffer, o: number, n: number) => Npy['data'], number]> = {
  '<f4': ['float32', Float32Array, 4],
  '<f8': ['float64', Float64Array, 8],
  '<i4': ['int32', Int32Array, 4],
  '<i2': ['int16', Int16Array, 2],
  '|i1': ['int8', Int8Array, 1],
  '|u1': ['uint8', Uint8Array, 1],
  '<u2': ['uint16', Uint16Array, 2],
  '<f2': ['float16', Uint16Array, 2],
  '<u4': ['uint32', Uint32Array, 4],
  '<i8': ['int64', BigInt64Array, 8],
};

/** Reads a little-endian, C-ordered .npy file (format 1.0/2.0). float16 comes back as raw halves. */
export function readNpy(path: string): Npy {
  const file = readFileSync(path);
  if (file.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path} is not a .npy file`);
  const major = file[6];
  const headerLen = major === 1 ? file.readUInt16LE(8) : file.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = file.toString('latin1', headerStart, headerStart + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!descr || !(descr in NPY_TYPES)) throw new Error(`${path}: unsupported dtype ${descr}`);
  if (fortran) throw new Error(`${path}: Fortran order is not supported`);
  const [dtype, Ctor, size] = NPY_TYPES[descr]!;
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const copy = new ArrayBuffer(count * size);
  new Uint8Array(copy).set(file.subarray(start, start + count * size));
  return { shape, dtype, data: new Ctor(copy, 0, count) };
}

/** Largest absolute difference between two numeric arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/**
 * Runs an ES module script with plain Node (not through vitest's loader) in `cwd`, where the
 * package under test resolves itself by name, and returns the JSON it printed. Throws when the
 * script fails or writes to stderr (our packages print nothing there).
 */
export function nodeJson(cwd: string, script: string, ...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`node script failed (exit ${String(r.status)}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
