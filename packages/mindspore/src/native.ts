// Loads the native binding (the same `.node` as @lite/core) and, on first use, the MindSpore
// Lite runtime. Runtime lookup order (decided natively): MINDSPORE_LITE_LIB_DIR, then the
// `runtime/` folder of this platform's runtime package (@lite/runtime-mindspore-<platform>, an
// optional dependency of @lite/mindspore itself, resolved from this package),
// then the per-user cache written by `node tools/runtime/fetch-runtime.mjs --engine mindspore`.
// An installed @lite/mindspore (under node_modules) uses that cache only when
// LITE_USE_CACHED_RUNTIME=1 asks for it; without its runtime package it says that package is
// missing. A checkout of the repository uses the cache as before.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Binding from '@lite/binding';
import { CACHED_RUNTIME_ENV, moduleNotFound, packageFiles, runtimeOnce } from '@lite/common/internal';
import { LiteError, toLiteError } from './errors.js';

/** The generated binding module's type. */
export type NativeBinding = typeof Binding;

/** This package's files (its own `require`, whether it was bundled or installed). */
const own = packageFiles('@lite/mindspore', typeof __filename === 'string' ? __filename : undefined);
const localRequire = (): NodeJS.Require => own.require();
const BUNDLED_ADVICE = own.bundledAdvice;

let binding: NativeBinding | undefined;

/** The napi-rs platform name of this machine, when a MindSpore runtime exists for it. */
function platformTriple(): string | null {
  if (process.platform !== 'linux') return null;
  if (process.arch === 'x64') return 'linux-x64-gnu';
  return process.arch === 'arm64' ? 'linux-arm64-gnu' : null;
}

/** The runtime folder of the platform runtime package, if that package is installed. */
function packagedRuntime(): string | null {
  const triple = platformTriple();
  if (!triple) return null;
  try {
    const pkg = localRequire().resolve(`@lite/runtime-mindspore-${triple}/package.json`);
    const dir = join(dirname(pkg), 'runtime');
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** The LITE_RUNTIME_NOT_FOUND error of an installed @lite/mindspore whose runtime package is missing. */
function missingRuntimePackage(): LiteError {
  const triple = platformTriple();
  if (!triple) {
    return new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `no MindSpore Lite runtime package exists for ${process.platform}-${process.arch} (linux-x64 and linux-arm64 only): ` +
        'set MINDSPORE_LITE_LIB_DIR to a folder holding the MindSpore Lite 2.0.0 libraries and liblite_mindspore_shim.so.',
    );
  }
  const name = `@lite/runtime-mindspore-${triple}`;
  const pinned = own.pinnedOptional(name);
  const spec = pinned ? `${name}@${pinned}` : name;
  return new LiteError(
    'LITE_RUNTIME_NOT_FOUND',
    `the MindSpore Lite runtime package ${name} is not installed (an optional dependency of @lite/mindspore that your package ` +
      `manager should have installed with it): run \`npm install ${spec}\`, or set MINDSPORE_LITE_LIB_DIR to a folder holding ` +
      `the runtime and liblite_mindspore_shim.so, or ${CACHED_RUNTIME_ENV}=1 to use the runtime in the per-user cache.`,
  );
}

function loadBinding(): NativeBinding {
  if (binding) return binding;
  const require = localRequire();
  try {
    binding = require('@lite/binding') as NativeBinding;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (moduleNotFound(err, '@lite/binding') && own.bundled()) {
      throw new LiteError('LITE_RUNTIME_NOT_FOUND', `@lite/mindspore cannot resolve @lite/binding from ${String(__filename)}${BUNDLED_ADVICE}`, { cause: err });
    }
    throw new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `could not load the native binding @lite/binding for ${process.platform}-${process.arch} (${reason}); ` +
        'reinstall @lite/mindspore so its platform package is installed.',
      { cause: err },
    );
  }
  return binding;
}

/**
 * The native binding with the MindSpore runtime loaded. Throws one clear
 * `LITE_RUNTIME_NOT_FOUND` error (the same one on every call) when it cannot be loaded.
 */
export const lib: () => NativeBinding = runtimeOnce((): NativeBinding => {
  const b = loadBinding();
  const packaged = packagedRuntime();
  if (!packaged && !process.env.MINDSPORE_LITE_LIB_DIR && process.env[CACHED_RUNTIME_ENV] !== '1' && own.installed()) {
    throw missingRuntimePackage();
  }
  try {
    b.loadMindsporeRuntime(packaged ?? undefined);
  } catch (err) {
    const converted = toLiteError(err);
    const message = converted instanceof Error ? converted.message : String(converted);
    if (!packaged && !process.env.MINDSPORE_LITE_LIB_DIR && own.bundled()) {
      // The runtime package may well be installed: a bundled copy cannot resolve it.
      throw new LiteError('LITE_RUNTIME_NOT_FOUND', `@lite/mindspore cannot resolve its runtime package from ${String(__filename)}${BUNDLED_ADVICE} (${message})`, { cause: err });
    }
    throw converted instanceof LiteError ? converted : new LiteError('LITE_RUNTIME_NOT_FOUND', message);
  }
  return b;
});

/** The binding without loading the runtime (for objects created before any engine call). */
export function bindingOnly(): NativeBinding {
  return loadBinding();
}
