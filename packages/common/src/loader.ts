// Where an engine package finds its own files, its binding and its runtime package: the parts of
// native loading that do not depend on the engine. Each engine's `native.ts` keeps what is its
// own (which runtime package, which environment variables, which messages).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { LiteError } from './errors.js';

/** The environment variable that lets an installed package load the runtime from the per-user cache. */
export const CACHED_RUNTIME_ENV = 'LITE_USE_CACHED_RUNTIME';

/** Where one engine package's code runs from, and how it resolves its dependencies. */
export interface PackageFiles {
  /** The package's name (`@lite/core`, `@lite/mindspore`). */
  readonly name: string;
  /** The advice appended to "cannot resolve" errors when the code was bundled. */
  readonly bundledAdvice: string;
  /**
   * A `require` that resolves from the package's own file, made on first use (importing the
   * package resolves nothing). Throws `LITE_RUNTIME_NOT_FOUND` with the bundler advice when the
   * code has no file name (it was bundled into an ES module).
   */
  require(): NodeJS.Require;
  /** Whether this code runs from a copy inside a bundle rather than from the package itself. */
  bundled(): boolean;
  /** Whether this code runs from an installed package (under node_modules), not from a checkout. */
  installed(): boolean;
  /** The exact version the package pins `dependency` to in its optionalDependencies, if any. */
  pinnedOptional(dependency: string): string | null;
}

/**
 * The {@link PackageFiles} of the package `name` whose code is the file `file` (the caller's
 * `__filename`, `undefined` when bundled into an ES module). `file` sits in `<package>/dist` (the
 * build) or `<package>/src` (the tests), so `<file>/../../package.json` is the package's own.
 */
export function packageFiles(name: string, file: string | undefined): PackageFiles {
  let req: NodeJS.Require | undefined;
  const bundledAdvice =
    ': this code was probably bundled (esbuild, webpack, Rollup, bun build) into a file outside node_modules. ' +
    "Mark @lite/* as external in the bundler (esbuild --external:'@lite/*', webpack externals, " +
    `Next.js serverExternalPackages: ['${name}']), see "Bundlers" in the @lite/core README.`;
  const files: PackageFiles = {
    name,
    bundledAdvice,
    require(): NodeJS.Require {
      if (req) return req;
      if (!file) throw new LiteError('LITE_RUNTIME_NOT_FOUND', `${name} cannot locate its own files${bundledAdvice}`);
      req = createRequire(file);
      return req;
    },
    bundled(): boolean {
      if (!file) return true;
      try {
        const pkg = JSON.parse(readFileSync(join(dirname(file), '..', 'package.json'), 'utf8')) as { name?: unknown };
        return pkg.name !== name;
      } catch {
        return true;
      }
    },
    installed(): boolean {
      return (file ?? '').split(sep).includes('node_modules');
    },
    pinnedOptional(dependency: string): string | null {
      try {
        const pkg = files.require()(`${name}/package.json`) as { optionalDependencies?: Record<string, string> };
        const v = pkg.optionalDependencies?.[dependency];
        return v && /^\d+\.\d+\.\d+/.test(v) ? v : null;
      } catch {
        return null;
      }
    },
  };
  return files;
}

/** Whether `err` says that `name` itself (not something it loads) could not be resolved. */
export function moduleNotFound(err: unknown, name: string): boolean {
  return (err as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' && err instanceof Error && err.message.includes(`'${name}'`);
}

/** Version of a package as `from` resolves it, or null when it cannot be read. */
export function packageVersion(from: NodeJS.Require, name: string): string | null {
  try {
    const pkg = from(`${name}/package.json`) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

/** What {@link runtimeOnce} needs of a binding: a way to join its engine threads. */
export interface EngineThreads {
  shutdownNetworkThreads(): void;
}

/**
 * The engine loader of a package: `load` (find the binding, load the runtime) runs until it
 * succeeds once; after that its value is returned, and after a failure the same error is thrown
 * on every call (one clear `LITE_RUNTIME_NOT_FOUND`, not a new attempt per call). On success it
 * lets the engine threads finish their current job at `process.exit()`: exit unloads the engine
 * without waiting for threads it does not know (in a worker, the environment's teardown does
 * the same).
 */
export function runtimeOnce<B extends EngineThreads>(load: () => B): () => B {
  let loaded: B | undefined;
  let failure: { error: unknown } | undefined;
  return () => {
    if (loaded) return loaded;
    if (failure) throw failure.error;
    try {
      const b = load();
      process.once('exit', () => b.shutdownNetworkThreads());
      loaded = b;
      return b;
    } catch (error) {
      failure = { error };
      throw error;
    }
  };
}
