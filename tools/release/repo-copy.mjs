// A working copy of the repository in another folder, for steps that rewrite files (`changeset
// version` rewrites versions and changelogs) without touching the checkout they start from.
//
// Copies every file but .git, target/, tarballs/, .turbo/ and the doc-examples scratch folders;
// the packages' node_modules (pnpm's relative symlinks) are copied as links, so inside the copy
// `@lite/binding` still means the copy's crates/lite-napi, and the root node_modules becomes a
// link to the original one (the tools: changesets, pnpm's store links, verdaccio). Builds
// (dist/, the .node) come along: the copy packs what the checkout built.
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SKIP_AT_ROOT = new Set(['.git', 'node_modules', 'target', 'tarballs', '.turbo']);

/**
 * Copies the repository at `repo` into `dest` (created; must not exist or be empty).
 * @param {string} repo
 * @param {string} dest
 */
export function copyRepo(repo, dest) {
  mkdirSync(dest, { recursive: true });
  cpSync(repo, dest, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (src) => {
      const rel = relative(repo, src);
      if (rel === '') return true;
      if (!rel.includes(sep)) return !SKIP_AT_ROOT.has(rel);
      const name = basename(src);
      return name !== '.turbo' && !name.startsWith('.work-');
    },
  });
  symlinkSync(join(repo, 'node_modules'), join(dest, 'node_modules'));
}

// node tools/release/repo-copy.mjs <dest>: a copy of this repository in <dest>.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dest = process.argv[2];
  if (!dest) {
    console.error('usage: node tools/release/repo-copy.mjs <dest>');
    process.exit(2);
  }
  copyRepo(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), resolve(dest));
}
