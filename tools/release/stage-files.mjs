// Helpers shared by the release staging scripts (prepare-platform-package.mjs,
// prepare-mindspore-runtime.mjs): put real files into a staged package and check the result.
import { copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Hard link when possible (same file system), else copy. Always yields a regular file. */
export function place(src, dst) {
  mkdirSync(dirname(dst), { recursive: true });
  rmSync(dst, { force: true });
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
  if (!lstatSync(dst).isFile()) throw new Error(`${dst} is not a regular file`);
}

/** Total bytes of the regular files under `dir`; throws on a symlink (packages hold real files). */
export function stagedBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const st = lstatSync(join(dir, entry));
    if (st.isSymbolicLink()) throw new Error(`${entry} is a symlink; the package must hold real files`);
    if (st.isFile()) total += st.size;
  }
  return total;
}
