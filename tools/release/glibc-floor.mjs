#!/usr/bin/env node
// The glibc floor of what we ship: every ELF file under the given folders (installed packages,
// staged packages) must need no symbol version above Node 20's own floor, GLIBC_2.28 and
// GLIBCXX_3.4.25 (Node 20 does not start on an older glibc, so nothing of ours should ask for
// more). Prints one line per ELF file with the highest GLIBC_ and GLIBCXX_ versions it needs and
// exits 1 when one is above the floor. Reads the .gnu.version_r section with elf64.mjs.
//
//   node tools/release/glibc-floor.mjs DIR...
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { versionNeeds } from './elf64.mjs';

/** Node 20's floor: the glibc and libstdc++ its own Linux x64 binaries need. */
export const FLOOR = { GLIBC: '2.28', GLIBCXX: '3.4.25' };

/** Compares dotted versions numerically ("2.9" < "2.28"). */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The highest version of each prefix (GLIBC, GLIBCXX) an ELF file needs: `{ GLIBC: '2.14', GLIBCXX: null }`. */
export function highestNeeds(path) {
  const best = { GLIBC: null, GLIBCXX: null };
  for (const { versions } of versionNeeds(path)) {
    for (const v of versions) {
      const m = /^(GLIBC|GLIBCXX)_(\d+(?:\.\d+)*)$/.exec(v);
      if (m && (best[m[1]] === null || compareVersions(m[2], best[m[1]]) > 0)) best[m[1]] = m[2];
    }
  }
  return best;
}

function isElf(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/** Every regular file under `dir` (or `dir` itself, a file) that is an ELF file. */
export function elfFiles(dir) {
  const out = [];
  if (lstatSync(dir).isFile()) return isElf(dir) ? [dir] : [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...elfFiles(path));
    else if (entry.isFile() && lstatSync(path).size >= 64 && isElf(path)) out.push(path);
  }
  return out;
}

/** `[{ file, label, GLIBC, GLIBCXX, above: string[] }]` for every ELF file under `dirs` (label: the path from the folder's parent). */
export function checkFloor(dirs, floor = FLOOR) {
  const rows = [];
  for (const dir of dirs) {
    for (const file of elfFiles(dir).sort()) {
      const needs = highestNeeds(file);
      const label = relative(dirname(resolve(dir)), file);
      const above = Object.entries(floor)
        .filter(([k, max]) => needs[k] !== null && compareVersions(needs[k], max) > 0)
        .map(([k]) => `${k}_${needs[k]} > ${k}_${floor[k]}`);
      rows.push({ file, label, ...needs, above });
    }
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: glibc-floor.mjs DIR...');
    process.exit(2);
  }
  const rows = checkFloor(dirs);
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(72)} ${(r.GLIBC ? `GLIBC_${r.GLIBC}` : '-').padEnd(13)} ${r.GLIBCXX ? `GLIBCXX_${r.GLIBCXX}` : '-'}${r.above.length ? `   ABOVE THE FLOOR: ${r.above.join(', ')}` : ''}`);
  }
  const bad = rows.filter((r) => r.above.length);
  if (rows.length === 0) {
    console.error('glibc-floor: no ELF file found');
    process.exit(1);
  }
  if (bad.length) {
    console.error(`glibc-floor: ${bad.length} of ${rows.length} ELF files need more than GLIBC_${FLOOR.GLIBC} / GLIBCXX_${FLOOR.GLIBCXX} (Node 20's floor)`);
    process.exit(1);
  }
  console.log(`glibc floor: ${rows.length} ELF files, none above GLIBC_${FLOOR.GLIBC} / GLIBCXX_${FLOOR.GLIBCXX} (Node 20's own floor)`);
}
