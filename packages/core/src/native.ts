// Loads the native binding and, on first use, the MegEngine Lite runtime it binds.
//
// Runtime lookup order: LITE_LIB_PATH (an explicit library file; handled natively so it wins
// everywhere); then, when CUDA is asked for (LITE_DEVICE=cuda, or `lite-runtime use cuda`), the
// CUDA runtime fetched into the per-user cache by `lite-runtime fetch --cuda`; then the runtime
// package `@lite/runtime-megengine-<triple>`, an optional dependency of @lite/core itself
// (resolved from this package); then the per-user cache (the CPU runtime that
// `lite-runtime fetch` or the repo's `tools/runtime/fetch-runtime.mjs` put there). An installed
// @lite/core (under node_modules) uses that cache only when LITE_USE_CACHED_RUNTIME=1 asks for
// it: without its runtime package it says that package is missing instead of quietly loading
// whatever a developer's cache holds. A checkout of the repository uses the cache as before.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Binding from '@lite/binding';
import { CACHED_RUNTIME_ENV, moduleNotFound, packageFiles, packageVersion, runtimeOnce } from '@lite/common/internal';
import { LiteError, toLiteError } from './errors.js';
import { cachedCudaLibrary, configuredDevice } from './runtime/fetch.js';

/** The generated binding module's type. */
export type NativeBinding = typeof Binding;

/** This package's files (its own `require`, whether it was bundled or installed). */
const own = packageFiles('@lite/core', typeof __filename === 'string' ? __filename : undefined);
const localRequire = (): NodeJS.Require => own.require();
const BUNDLED_ADVICE = own.bundledAdvice;

let binding: NativeBinding | undefined;

/** The platform package (`@lite/binding-<triple>`) suffix of each platform we publish for. */
const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'linux-x64': 'linux-x64-gnu',
  'darwin-x64': 'darwin-x64',
};

/**
 * Platforms that have a binding package (`@lite/binding-<triple>`, for @lite/mindspore) but no
 * MegEngine Lite runtime: MegEngine publishes none for them (no megengine wheel).
 */
const NO_MEGENGINE_RUNTIME: ReadonlySet<string> = new Set(['linux-arm64']);

/** The error for a platform MegEngine has no runtime for, unless LITE_LIB_PATH names one. */
function noRuntimeForPlatform(): LiteError | undefined {
  const where = `${process.platform}-${process.arch}`;
  if (process.env.LITE_LIB_PATH || !NO_MEGENGINE_RUNTIME.has(where)) return undefined;
  return new LiteError(
    'LITE_RUNTIME_NOT_FOUND',
    `MegEngine Lite has no ${where} runtime (MegEngine publishes none), so @lite/core cannot run here: ` +
      'use @lite/mindspore, or set LITE_LIB_PATH to a liblite_shared.so you built.',
  );
}

function platformTriple(): string | null {
  if (process.platform === 'linux' && process.report) {
    // The gnu package only: a musl libc (Alpine) cannot load the glibc runtime.
    (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
    const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    if (!header?.glibcVersionRuntime) return null;
  }
  return PLATFORM_PACKAGES[`${process.platform}-${process.arch}`] ?? null;
}

function missingBindingMessage(err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  const triple = platformTriple();
  const where = `${process.platform}-${process.arch}`;
  if (!triple) {
    return (
      `@lite/core has no prebuilt native binding for ${where}` +
      `${process.platform === 'linux' ? ' (or this Linux does not use glibc)' : ''}; ` +
      `supported: ${Object.values(PLATFORM_PACKAGES).join(', ')}. ` +
      `Build crates/lite-napi from source and point LITE_LIB_PATH at a MegEngine Lite library. (${reason})`
    );
  }
  return (
    `could not load the native binding of @lite/core for ${where}: the platform package ` +
    `@lite/binding-${triple} is missing or broken (${reason}). It is an optional dependency of ` +
    `@lite/binding that your package manager should have installed; npm has a known bug where a ` +
    `lockfile made on another platform omits it (npm/cli#4828): delete node_modules and ` +
    `package-lock.json and run npm install again, or install @lite/binding-${triple} explicitly.`
  );
}

function loadBindingModule(): NativeBinding {
  if (binding) return binding;
  const require = localRequire();
  let loaded: NativeBinding;
  try {
    loaded = require('@lite/binding') as NativeBinding;
  } catch (err) {
    if (moduleNotFound(err, '@lite/binding') && own.bundled()) {
      throw new LiteError('LITE_RUNTIME_NOT_FOUND', `@lite/core cannot resolve @lite/binding from ${String(__filename)}${BUNDLED_ADVICE}`, { cause: err });
    }
    throw new LiteError('LITE_RUNTIME_NOT_FOUND', missingBindingMessage(err), { cause: err });
  }
  checkBindingVersion();
  binding = loaded;
  return binding;
}

/**
 * `@lite/core` and `@lite/binding` are released together (one version, a changesets "fixed"
 * group); a core paired with a binding of another version may call functions that do not exist
 * or mean something else, so refuse early with a clear message.
 */
function checkBindingVersion(): void {
  const require = localRequire();
  const core = packageVersion(require, '@lite/core');
  const native = packageVersion(require, '@lite/binding');
  if (core && native && core !== native) {
    throw new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `version mismatch: @lite/core ${core} needs @lite/binding ${core}, but ${native} is installed. ` +
        'Install matching versions (they are always released together).',
    );
  }
}

/** Name of the runtime package of a platform triple. */
export function runtimePackageName(triple: string): string {
  return `@lite/runtime-megengine-${triple}`;
}

/**
 * Path of the runtime shipped in `@lite/runtime-megengine-<triple>`, if that package is installed.
 * It is an optional dependency of `@lite/core` (per os/cpu/libc), so it resolves from this package
 * under npm's hoisting and pnpm's strict layout alike; the binding packages carry no engine, so
 * `@lite/mindspore` users never download this one. Layout:
 * `<pkg>/runtime/megenginelite/libs/liblite_shared_whl.so` whose rpath
 * (`$ORIGIN/../../megengine/core/lib`) finds the engine in `<pkg>/runtime/megengine`.
 */
function packagedRuntime(triple: string | null): string | null {
  if (!triple) return null;
  try {
    const pkg = localRequire().resolve(`${runtimePackageName(triple)}/package.json`);
    const lib = join(dirname(pkg), 'runtime', 'megenginelite', 'libs', 'liblite_shared_whl.so');
    return existsSync(lib) ? lib : null;
  } catch {
    return null;
  }
}

export { CACHED_RUNTIME_ENV };

/** The LITE_RUNTIME_NOT_FOUND error of an installed @lite/core whose runtime package is missing. */
function missingRuntimePackage(triple: string | null): LiteError {
  const where = `${process.platform}-${process.arch}`;
  if (!triple) {
    return new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `no MegEngine runtime package exists for ${where}: set LITE_LIB_PATH to a MegEngine Lite library (liblite_shared), ` +
        `or ${CACHED_RUNTIME_ENV}=1 to use the runtime of \`npx lite-runtime fetch\` from the per-user cache.`,
    );
  }
  const name = runtimePackageName(triple);
  const version = own.pinnedOptional(name);
  return new LiteError(
    'LITE_RUNTIME_NOT_FOUND',
    `the MegEngine runtime package ${name} is not installed (an optional dependency of @lite/core that your package manager ` +
      `should have installed with it): run \`npm install ${version ? `${name}@${version}` : name}\`, or set LITE_LIB_PATH to ` +
      `liblite_shared_whl.so, or ${CACHED_RUNTIME_ENV}=1 to use the runtime of \`npx lite-runtime fetch\` from the per-user cache.`,
  );
}

/** Whether the user asked for the CUDA runtime: LITE_DEVICE=cuda, else `lite-runtime use cuda`. */
function cudaRequested(): boolean {
  const device = process.env.LITE_DEVICE?.trim().toLowerCase();
  if (device) return device === 'cuda';
  return configuredDevice() === 'cuda';
}

/**
 * The library to pass to the native loader (LITE_LIB_PATH still wins there): the fetched CUDA
 * runtime when CUDA is asked for, else the runtime package's; null lets the native side fall
 * back to the cache (a checkout, or LITE_USE_CACHED_RUNTIME=1). Throws when CUDA is asked for
 * but was never fetched, and when an installed @lite/core has no runtime package.
 */
function chosenRuntime(triple: string | null): string | null {
  if (!process.env.LITE_LIB_PATH && cudaRequested()) {
    const cuda = cachedCudaLibrary();
    if (cuda) return cuda;
    throw new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      'the CUDA runtime was asked for (LITE_DEVICE=cuda or `lite-runtime use cuda`) but is not in the cache: ' +
        'run `npx lite-runtime fetch --cuda` once (linux-x64; downloads the ~937 MB megengine wheel), ' +
        'or set LITE_LIB_PATH to a CUDA build of liblite_shared, or unset LITE_DEVICE / run `npx lite-runtime use cpu`.',
    );
  }
  const packaged = packagedRuntime(triple);
  if (!packaged && !process.env.LITE_LIB_PATH && process.env[CACHED_RUNTIME_ENV] !== '1' && own.installed()) {
    throw missingRuntimePackage(triple);
  }
  return packaged;
}

/** The load error, naming the runtime package when it is what is missing. */
function runtimeLoadError(err: unknown, triple: string | null, packaged: string | null): LiteError {
  const converted = toLiteError(err);
  const message = converted instanceof Error ? converted.message : String(converted);
  if (triple && !packaged && !process.env.LITE_LIB_PATH) {
    if (own.bundled()) {
      return new LiteError(
        'LITE_RUNTIME_NOT_FOUND',
        `@lite/core cannot resolve ${runtimePackageName(triple)} from ${String(__filename)}${BUNDLED_ADVICE} (${message})`,
        { cause: err },
      );
    }
    return new LiteError(
      'LITE_RUNTIME_NOT_FOUND',
      `the MegEngine runtime package ${runtimePackageName(triple)} is not installed (it is an optional dependency ` +
        `of @lite/core that your package manager should have installed with it), and no runtime ` +
        `is in the per-user cache either. Install ${runtimePackageName(triple)}, run \`npx lite-runtime fetch\`, ` +
        `or set LITE_LIB_PATH to liblite_shared_whl.so. (${message})`,
      { cause: err },
    );
  }
  return converted instanceof LiteError ? converted : new LiteError('LITE_RUNTIME_NOT_FOUND', message, { cause: err });
}

/**
 * The native binding with the runtime loaded. Throws one clear `LITE_RUNTIME_NOT_FOUND` error
 * (the same one on every call) when the runtime cannot be loaded.
 */
export const lib: () => NativeBinding = runtimeOnce((): NativeBinding => {
  const unavailable = noRuntimeForPlatform();
  if (unavailable) throw unavailable;
  const b = loadBindingModule();
  const triple = platformTriple();
  let chosen: string | null;
  try {
    chosen = chosenRuntime(triple);
  } catch (err) {
    throw err instanceof LiteError ? err : new LiteError('LITE_RUNTIME_NOT_FOUND', String(err));
  }
  try {
    b.loadRuntime(chosen ?? undefined);
  } catch (err) {
    throw runtimeLoadError(err, triple, chosen);
  }
  return b;
});
