#!/usr/bin/env node
/**
 * `lite-crypto`: command-line front end of `@lite/crypto`.
 *
 *   lite-crypto encrypt --method AES_default [--key-hex HEX | --key-file FILE] --in IN --out OUT
 *   lite-crypto decrypt --method M [--key-hex HEX | --key-file FILE] --in IN --out OUT
 *   lite-crypto pack --model M [--info INFO.json] [--name NAME] [--model-cryption M]
 *                    [--info-cryption M] [--key-hex HEX | --key-file FILE]
 *                    [--info-parser NAME] --out OUT
 *   lite-crypto unpack --in FILE.lite [--model-out M] [--info-out I]
 *
 * Keys are never printed. `--key-hex` may also come from the LITE_CRYPTO_KEY_HEX environment
 * variable, which keeps it out of shell history and process listings.
 *
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { decryptModel, encryptModel } from './cipher.js';
import { LiteCryptoError } from './errors.js';
import { isBuiltinCryptionMethod, type BuiltinCryptionMethod } from './keys.js';
import { packModel, unpackModel, type PackCryption } from './pack.js';

const USAGE = `usage:
  lite-crypto encrypt --method <AES_default|RC4_default|SIMPLE_FAST_RC4_default>
                      [--key-hex HEX | --key-file FILE] --in IN --out OUT
  lite-crypto decrypt --method <method> [--key-hex HEX | --key-file FILE] --in IN --out OUT
  lite-crypto pack --model MODEL [--info INFO.json] [--name NAME]
                   [--model-cryption METHOD] [--info-cryption METHOD]
                   [--key-hex HEX | --key-file FILE] [--info-parser NAME] --out OUT.lite
  lite-crypto unpack --in FILE.lite [--model-out FILE] [--info-out FILE]

Without a key, the method's built-in default key is used. The key may also be given in
the LITE_CRYPTO_KEY_HEX environment variable. Keys are never printed.`;

class UsageError extends Error {}

function parseHexKey(hex: string): Uint8Array {
  const clean = hex.trim().replace(/^0x/i, '');
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new UsageError('the key must be a non-empty, even-length hex string');
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

function readKey(values: { 'key-hex'?: string | undefined; 'key-file'?: string | undefined }): Uint8Array | undefined {
  const fromEnv = process.env.LITE_CRYPTO_KEY_HEX;
  if (values['key-hex'] !== undefined && values['key-file'] !== undefined) {
    throw new UsageError('give --key-hex or --key-file, not both');
  }
  if (values['key-hex'] !== undefined) return parseHexKey(values['key-hex']);
  if (values['key-file'] !== undefined) return new Uint8Array(readFileSync(values['key-file']));
  if (fromEnv !== undefined && fromEnv !== '') return parseHexKey(fromEnv);
  return undefined;
}

function requireOpt(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${flag}`);
  return value;
}

function requireMethod(value: string | undefined, flag: string): BuiltinCryptionMethod {
  const m = requireOpt(value, flag);
  if (!isBuiltinCryptionMethod(m)) {
    throw new UsageError(`${flag} must be AES_default, RC4_default or SIMPLE_FAST_RC4_default`);
  }
  return m;
}

function toCryption(value: string | undefined, key: Uint8Array | undefined): PackCryption {
  if (value === undefined || value === 'NONE') return 'NONE';
  if (isBuiltinCryptionMethod(value)) return key ? { method: value, key } : value;
  // A custom method: the input file must already be encrypted with it.
  return { method: value, preEncrypted: true };
}

const KEY_OPTIONS = {
  'key-hex': { type: 'string' },
  'key-file': { type: 'string' },
} as const;

/**
 * Runs the CLI with `argv` (without the node and script paths).
 *
 * @param argv command-line arguments
 * @returns the process exit code
 */
export function main(argv: readonly string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'encrypt':
      case 'decrypt': {
        const { values } = parseArgs({
          args: [...rest],
          options: { method: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, ...KEY_OPTIONS },
          strict: true,
        });
        const method = requireMethod(values.method, '--method');
        const input = new Uint8Array(readFileSync(requireOpt(values.in, '--in')));
        const out = requireOpt(values.out, '--out');
        const key = readKey(values);
        const opts = key ? { method, key } : { method };
        const result = command === 'encrypt' ? encryptModel(input, opts) : decryptModel(input, opts);
        key?.fill(0);
        writeFileSync(out, result);
        process.stdout.write(`${command}ed ${input.length} -> ${result.length} bytes with ${method}: ${out}\n`);
        return 0;
      }
      case 'pack': {
        const { values } = parseArgs({
          args: [...rest],
          options: {
            model: { type: 'string' },
            info: { type: 'string' },
            name: { type: 'string' },
            'model-cryption': { type: 'string' },
            'info-cryption': { type: 'string' },
            'info-parser': { type: 'string' },
            out: { type: 'string' },
            ...KEY_OPTIONS,
          },
          strict: true,
        });
        const model = new Uint8Array(readFileSync(requireOpt(values.model, '--model')));
        const out = requireOpt(values.out, '--out');
        const key = readKey(values);
        const packed = packModel({
          model,
          ...(values.info !== undefined ? { info: new Uint8Array(readFileSync(values.info)) } : {}),
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(values['info-parser'] !== undefined ? { infoParser: values['info-parser'] } : {}),
          modelCryption: toCryption(values['model-cryption'], key),
          infoCryption: toCryption(values['info-cryption'], key),
        });
        key?.fill(0);
        writeFileSync(out, packed);
        process.stdout.write(`packed ${model.length} model bytes -> ${packed.length} bytes: ${out}\n`);
        return 0;
      }
      case 'unpack': {
        const { values } = parseArgs({
          args: [...rest],
          options: { in: { type: 'string' }, 'model-out': { type: 'string' }, 'info-out': { type: 'string' } },
          strict: true,
        });
        const parts = unpackModel(new Uint8Array(readFileSync(requireOpt(values.in, '--in'))));
        if (values['model-out'] !== undefined) writeFileSync(values['model-out'], parts.model);
        if (values['info-out'] !== undefined && parts.info) writeFileSync(values['info-out'], parts.info);
        const summary = {
          name: parts.name,
          modelCryption: parts.modelCryption,
          infoCryption: parts.infoCryption,
          infoParser: parts.infoParser,
          modelBytes: parts.model.length,
          infoBytes: parts.info?.length ?? 0,
        };
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return 0;
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof LiteCryptoError) {
      process.stderr.write(`lite-crypto: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      return err instanceof UsageError ? 2 : 1;
    }
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`lite-crypto: ${String(e.message)}\n${USAGE}\n`);
      return 2;
    }
    if (typeof e.code === 'string' && typeof e.message === 'string' && e.code.startsWith('E')) {
      // File-system errors (ENOENT, EACCES, ...): their message names the path only.
      process.stderr.write(`lite-crypto: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}

const invokedDirectly = (() => {
  const script = process.argv[1];
  if (script === undefined) return false;
  return /(?:^|[\\/])(?:cli\.(?:js|ts|mjs|cjs)|lite-crypto)$/.test(script);
})();

if (invokedDirectly) {
  process.exitCode = main(process.argv.slice(2));
}
