// Loads the native binding and, on first use, the MegEngine Lite runtime it binds.
//
// Runtime lookup order: LITE_LIB_PATH (an explicit library file; handled natively so it wins
// everywhere), then the runtime shipped inside this platform's binding package, then the per-user
// cache written by `tools/runtime/fetch-runtime.mjs`.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Binding from '@lite/binding';
import { LiteError, toLiteError } from './errors.js';

/** The generated binding module's type. */
export type NativeBinding = typeof Binding;

const require = createRequire(import.meta.url);

let binding: NativeBinding | undefined;
let runtimeReady = false;
let runtimeError: LiteError | undefined;

function loadBindingModule(): NativeBinding {
  if (binding) return binding;
  try {
    binding = require('@lite/binding') as NativeBinding;
  } catch (err) {
    throw new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `could not load the native binding of @lite/core for ${process.platform}-${process.arch}: ` +
        `${err instanceof Error ? err.message : String(err)}. ` +
        'Reinstall @lite/core so the platform package (@lite/binding-<os>-<arch>) is installed ' +
        '(npm has a known bug with optional dependencies in lockfiles: delete node_modules and the lockfile, then install again).',
      { cause: err },
    );
  }
  return binding;
}

/** Path of the runtime shipped in the platform binding package, if that package is installed. */
function packagedRuntime(): string | null {
  const triple = platformTriple();
  if (!triple) return null;
  try {
    const pkg = require.resolve(`@lite/binding-${triple}/package.json`);
    const lib = join(dirname(pkg), 'runtime', 'megenginelite', 'libs', 'liblite_shared_whl.so');
    return existsSync(lib) ? lib : null;
  } catch {
    return null;
  }
}

function platformTriple(): string | null {
  if (process.platform === 'linux' && process.arch === 'x64') return 'linux-x64-gnu';
  if (process.platform === 'linux' && process.arch === 'arm64') return 'linux-arm64-gnu';
  if (process.platform === 'darwin' && process.arch === 'x64') return 'darwin-x64';
  if (process.platform === 'win32' && process.arch === 'x64') return 'win32-x64-msvc';
  return null;
}

/**
 * The native binding with the runtime loaded. Throws one clear `LITE_RUNTIME_NOT_FOUND` error
 * (the same one on every call) when the runtime cannot be loaded.
 */
export function lib(): NativeBinding {
  if (runtimeReady && binding) return binding;
  if (runtimeError) throw runtimeError;
  const b = loadBindingModule();
  try {
    b.loadRuntime(packagedRuntime() ?? undefined);
    runtimeReady = true;
    return b;
  } catch (err) {
    const converted = toLiteError(err);
    runtimeError =
      converted instanceof LiteError
        ? converted
        : new LiteError('LITE_RUNTIME_NOT_FOUND', String(converted instanceof Error ? converted.message : converted));
    throw runtimeError;
  }
}
