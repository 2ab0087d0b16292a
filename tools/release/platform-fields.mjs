// The platform fields (os, cpu, libc) of a per-platform package. In the workspace they sit in
// "publishConfig" of crates/lite-napi/npm/<triple>/package.json and runtimes/<engine>/<triple>/
// package.json, where pnpm does not read them: as top-level fields pnpm warned "Unsupported
// platform" for every other platform's package on every command (`pnpm --filter ...`, `pnpm
// install`). Staging (prepare-platform-package.mjs, prepare-mindspore-runtime.mjs) moves them to the
// top level of the published package.json, where npm and pnpm filter optional dependencies by them.
export const PLATFORM_FIELDS = ['os', 'cpu', 'libc'];

/**
 * The manifest to publish: the platform fields moved from publishConfig to the top level.
 * Fails when the package declares no os and cpu (a platform package must never install everywhere).
 * @param {Record<string, any>} pkg a per-platform package.json (not modified)
 */
export function withPlatformFields(pkg) {
  const out = { ...pkg };
  const publishConfig = { ...(pkg.publishConfig ?? {}) };
  for (const field of PLATFORM_FIELDS) {
    if (publishConfig[field] === undefined) continue;
    out[field] = publishConfig[field];
    delete publishConfig[field];
  }
  out.publishConfig = publishConfig;
  if (!Array.isArray(out.os) || !Array.isArray(out.cpu)) throw new Error(`${pkg.name}: a platform package needs "os" and "cpu" (in publishConfig)`);
  return out;
}
