import type { LiteDeviceType, LiteLogLevel } from './enums.js';
import { invalid, native } from './errors.js';
import { lib } from './native.js';

/** Version of the loaded MegEngine Lite runtime, "major.minor.patch" (loads the runtime). */
export function getVersion(): string {
  const b = lib();
  return native(() => b.version());
}

/** Sets the engine's log level. */
export function setLogLevel(level: LiteLogLevel): void {
  const b = lib();
  native(() => b.setLogLevel(level));
}

/** The engine's log level. */
export function getLogLevel(): LiteLogLevel {
  const b = lib();
  return native(() => b.getLogLevel()) as LiteLogLevel;
}

/** Global runtime settings (megenginelite's `LiteGlobal`). */
export class LiteGlobal {
  private constructor() {}

  /** Number of devices of a type (CPU: number of cores the runtime uses). */
  static getDeviceCount(deviceType: LiteDeviceType): number {
    if (!Number.isInteger(deviceType)) invalid('deviceType must be a LiteDeviceType');
    const b = lib();
    return native(() => b.getDeviceCount(deviceType));
  }
}
