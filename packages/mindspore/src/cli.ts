#!/usr/bin/env node
/**
 * `lite-convert`: converts a model to MindIR with MindSpore Lite 2.0.0's converter (the
 * `Converter` of `@lite/mindspore`), like the runtime's own `converter_lite` tool.
 *
 *   lite-convert --fmk ONNX --model lenet.onnx --output out/lenet [--optimize none]
 *
 * Prints the path written on success; errors go to stderr as one line with their code.
 *
 * @module
 */
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { Converter, type OptimizeMode } from './converter.js';
import { DataType, FmkType, Format, ModelType } from './enums.js';
import { LiteError } from './errors.js';

const USAGE = `usage: lite-convert --fmk <ONNX|TF|TFLITE|CAFFE|MINDIR> --model FILE --output PATH
                    [--weight FILE] [--config FILE] [--save-type <MINDIR|MINDIR_LITE>]
                    [--optimize <general|none>] [--weight-fp16] [--input-format <NCHW|NHWC>]
                    [--input-shape name:d1,d2,...[;name:...]] [--input-data-type <FLOAT32|INT8|UINT8|UNKNOWN>]
                    [--output-data-type <FLOAT32|INT8|UINT8|UNKNOWN>] [--infer]

The output gets the suffix of the save type (.mindir or .ms) appended; missing folders of the
output path are created (and removed again if the conversion fails). Prints the path written.`;

class UsageError extends Error {}

function pick<T>(table: Record<string, T | string>, value: string | undefined, flag: string): T | undefined {
  if (value === undefined) return undefined;
  const found = table[value.toUpperCase()];
  if (found === undefined || typeof found === 'string') throw new UsageError(`unknown ${flag} ${JSON.stringify(value)}`);
  return found;
}

function parseShapes(text: string): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const part of text.split(';').filter((p) => p !== '')) {
    const colon = part.lastIndexOf(':');
    if (colon <= 0) throw new UsageError(`--input-shape entry ${JSON.stringify(part)} is not name:d1,d2,...`);
    const dims = part.slice(colon + 1).split(',').map(Number);
    if (dims.some((d) => !Number.isSafeInteger(d))) throw new UsageError(`--input-shape entry ${JSON.stringify(part)} has a non-integer dim`);
    shapes[part.slice(0, colon)] = dims;
  }
  return shapes;
}

/**
 * Creates the missing folders of `output`'s parent (like `mkdir -p`; `Converter.convert` itself,
 * like Python's, refuses a missing folder). Returns the first folder created, or undefined when
 * the parent already exists. A parent that cannot be created is LITE_INVALID_ARGUMENT.
 */
function makeFolderOf(output: string): string | undefined {
  if (output === '') return undefined; // the Converter refuses it
  const folder = dirname(resolve(output));
  try {
    if (statSync(folder).isDirectory()) return undefined;
  } catch {
    // missing: created below
  }
  try {
    return mkdirSync(folder, { recursive: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new LiteError('LITE_INVALID_ARGUMENT', `--output ${output}: cannot create the folder ${folder}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** After a failed conversion: removes the folders {@link makeFolderOf} created (only while empty). */
function removeCreated(first: string | undefined, output: string): void {
  if (first === undefined) return;
  let folder = dirname(resolve(output));
  for (;;) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (or gone): leave it
    }
    if (folder === first) return;
    const parent = dirname(folder);
    if (parent === folder) return;
    folder = parent;
  }
}

/**
 * Runs the command line `argv` (without node and the script).
 * @returns the process exit code: 0 converted, 1 conversion failed, 2 usage error
 */
export function main(argv: readonly string[]): number {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        fmk: { type: 'string' },
        model: { type: 'string' },
        output: { type: 'string' },
        weight: { type: 'string' },
        config: { type: 'string' },
        'save-type': { type: 'string' },
        optimize: { type: 'string' },
        'weight-fp16': { type: 'boolean' },
        'input-format': { type: 'string' },
        'input-shape': { type: 'string' },
        'input-data-type': { type: 'string' },
        'output-data-type': { type: 'string' },
        infer: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const fmk = pick(FmkType, values.fmk, '--fmk');
    if (fmk === undefined || values.model === undefined || values.output === undefined) {
      throw new UsageError('--fmk, --model and --output are required');
    }
    const converter = new Converter();
    const saveType = pick(ModelType, values['save-type'], '--save-type');
    if (saveType !== undefined) converter.saveType = saveType;
    if (values.optimize !== undefined) converter.optimize = values.optimize as OptimizeMode;
    if (values['weight-fp16']) converter.weightFp16 = true;
    if (values.infer) converter.infer = true;
    const format = pick(Format, values['input-format'], '--input-format');
    if (format !== undefined) converter.inputFormat = format;
    if (values['input-shape'] !== undefined) converter.inputShape = parseShapes(values['input-shape']);
    const inType = pick(DataType, values['input-data-type'], '--input-data-type');
    if (inType !== undefined) converter.inputDataType = inType;
    const outType = pick(DataType, values['output-data-type'], '--output-data-type');
    if (outType !== undefined) converter.outputDataType = outType;
    const created = makeFolderOf(values.output);
    let written: string;
    try {
      written = converter.convert(fmk, values.model, values.output, values.weight, values.config);
    } catch (err) {
      removeCreated(created, values.output);
      throw err;
    }
    process.stdout.write(`${written}\n`);
    return 0;
  } catch (err) {
    if (err instanceof LiteError) {
      process.stderr.write(`lite-convert: ${err.code}: ${err.message}\n`);
      return err.code === 'LITE_INVALID_ARGUMENT' ? 2 : 1;
    }
    const e = err as { code?: unknown; message?: unknown };
    if (err instanceof UsageError || (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`lite-convert: ${String(e.message)}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

const invokedDirectly = (() => {
  const script = process.argv[1];
  if (script === undefined) return false;
  return /(?:^|[\\/])(?:cli\.(?:js|ts|mjs|cjs)|lite-convert)$/.test(script);
})();

if (invokedDirectly) {
  process.exitCode = main(process.argv.slice(2));
}
