import { LiteBackend, LiteDeviceType, LiteLogLevel } from './enums.js';
import { LiteError, invalid, isEnumValue, native, show } from './errors.js';
import { lib } from './native.js';

/** Version of the loaded MegEngine Lite runtime, "major.minor.patch" (loads the runtime). */
export function getVersion(): string {
  const b = lib();
  return native(() => b.version());
}

/**
 * Sets the log level: the engine's `DEBUG`..`ERROR`, or `OFF` (nothing is printed). Failures you
 * receive as a `LiteError` are not echoed to stderr below `DEBUG` (see the README, "Logs").
 */
export function setLogLevel(level: LiteLogLevel): void {
  if (!isEnumValue(LiteLogLevel, level)) invalid(`setLogLevel: level must be a LiteLogLevel (0..4), got ${show(level)}`);
  const b = lib();
  native(() => b.setLogLevel(level));
}

/** Receives the engine's log lines: see {@link setLogHandler}. */
export type LogHandler = (level: LiteLogLevel, line: string) => void;

/**
 * Beyond megenginelite: routes the engine's log lines (those {@link setLogLevel} lets through)
 * to `handler` instead of stderr; `null` sends them to stderr again. The handler runs on the
 * JS thread, after the line was logged (never inside an engine call); a throw from it is
 * ignored. Linux x86-64 only: elsewhere the engine keeps writing to stderr.
 *
 * @example
 * setLogLevel(LiteLogLevel.DEBUG);
 * setLogHandler((level, line) => logger.debug({ level: LiteLogLevel[level] }, line));
 */
export function setLogHandler(handler: LogHandler | null): void {
  if (handler !== null && typeof handler !== 'function') invalid(`setLogHandler expects a function or null, got ${show(handler)}`);
  const b = lib();
  const wrapped =
    handler === null
      ? null
      : (level: number, line: string): void => {
          try {
            handler(level as LiteLogLevel, line);
          } catch {
            // A log handler must not take the process down; the line is lost.
          }
        };
  native(() => b.setLogHandler(wrapped));
}

/** The engine's log level. */
export function getLogLevel(): LiteLogLevel {
  const b = lib();
  return native(() => b.getLogLevel()) as LiteLogLevel;
}

/** Global runtime settings (megenginelite's `LiteGlobal`). */
export class LiteGlobal {
  private constructor() {}

  /** Sets the path of the library the runtime loads device loaders from. */
  static setLoaderLibPath(path: string): void {
    checkPath(path, 'setLoaderLibPath');
    const b = lib();
    native(() => b.setLoaderLibPath(path));
  }

  /**
   * Uses `path` as the persistent algorithm cache (fast-run results); with `alwaysSync` every
   * update is written to the file at once.
   */
  static setPersistentCache(path: string, alwaysSync = false): void {
    checkPath(path, 'setPersistentCache');
    const b = lib();
    native(() => b.setPersistentCache(path, Boolean(alwaysSync)));
  }

  /** Writes the persistent algorithm cache to `path`. */
  static dumpPersistentCache(path: string): void {
    checkPath(path, 'dumpPersistentCache');
    const b = lib();
    native(() => b.dumpPersistentCache(path));
  }

  /** Tries to merge all free memory blocks of the device allocators. */
  static tryCoalesceAllFreeMemory(): void {
    const b = lib();
    native(() => b.tryCoalesceAllFreeMemory());
  }

  /** Uses `path` as the TensorRT cache (CUDA builds). */
  static setTensorrtCache(path: string): void {
    checkPath(path, 'setTensorrtCache');
    const b = lib();
    native(() => b.setTensorrtCache(path));
  }

  /** Writes the TensorRT cache (CUDA builds). */
  static dumpTensorrtCache(): void {
    const b = lib();
    native(() => b.dumpTensorrtCache());
  }

  /**
   * Registers a virtual/physical device address pair (device backends such as NPU/Atlas).
   * Raw device addresses never come from JavaScript, so this always throws `LITE_UNSUPPORTED`
   * (saying whether a suitable device exists) after validating its arguments.
   */
  static registerMemoryPair(vir: bigint, phy: bigint, length: number, device: LiteDeviceType, backend: LiteBackend = LiteBackend.LITE_DEFAULT): never {
    checkAddr(vir, 'vir');
    checkAddr(phy, 'phy');
    if (!Number.isInteger(length) || length <= 0) invalid('registerMemoryPair: length must be a positive integer');
    return memoryPair('registerMemoryPair', device, backend);
  }

  /** Forgets a pair registered with {@link registerMemoryPair}; see there (always `LITE_UNSUPPORTED`). */
  static clearMemoryPair(vir: bigint, phy: bigint, device: LiteDeviceType, backend: LiteBackend = LiteBackend.LITE_DEFAULT): never {
    checkAddr(vir, 'vir');
    checkAddr(phy, 'phy');
    return memoryPair('clearMemoryPair', device, backend);
  }

  /** The physical address registered for `vir`; see {@link registerMemoryPair} (always `LITE_UNSUPPORTED`). */
  static lookupPhysicPtr(vir: bigint, device: LiteDeviceType, backend: LiteBackend = LiteBackend.LITE_DEFAULT): never {
    checkAddr(vir, 'vir');
    return memoryPair('lookupPhysicPtr', device, backend);
  }

  /** Number of devices of a type (CPU: number of cores the runtime uses). */
  static getDeviceCount(deviceType: LiteDeviceType): number {
    if (!Number.isInteger(deviceType)) invalid('deviceType must be a LiteDeviceType');
    const b = lib();
    return native(() => b.getDeviceCount(deviceType));
  }
}

function checkPath(path: unknown, what: string): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) invalid(`${what}: path must be a non-empty string without NUL`);
}

function checkAddr(v: unknown, what: string): void {
  if (typeof v !== 'bigint' || v < 0n) invalid(`${what} must be a non-negative bigint address`);
}

function memoryPair(what: string, device: LiteDeviceType, backend: LiteBackend): never {
  if (!isEnumValue(LiteDeviceType, device)) invalid(`${what}: device must be a LiteDeviceType`);
  if (!isEnumValue(LiteBackend, backend)) invalid(`${what}: backend must be a LiteBackend`);
  const b = lib();
  native(() => b.memoryPairUnsupported(what, device, backend));
  throw new LiteError('LITE_UNSUPPORTED', `${what} is not supported`);
}

/**
 * Internal (leak checks): runtime objects the binding currently owns — tensors it created (not
 * network IO tensors) and networks not yet destroyed.
 */
export function liveObjects(): { tensors: number; networks: number } {
  const b = lib();
  return native(() => b.liveObjects());
}
