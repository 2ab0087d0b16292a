// glibc-floor.mjs: the version reader agrees with readelf, and the floor check flags what is above.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { versionNeeds } from './elf64.mjs';
import { checkFloor, compareVersions, highestNeeds } from './glibc-floor.mjs';

/** readelf's view of .gnu.version_r: `{ file: [versions] }`. */
function readelfNeeds(path) {
  const out = execFileSync('readelf', ['-V', '--wide', path], { encoding: 'utf8' });
  const section = out.slice(out.indexOf(".gnu.version_r'"));
  const needs = {};
  let file = null;
  for (const line of section.split('\n')) {
    const f = /File: (\S+)/.exec(line);
    if (f) needs[(file = f[1])] = [];
    const n = /Name: (\S+)/.exec(line);
    if (n && file) needs[file].push(n[1]);
  }
  return needs;
}

const libstdcxx = execFileSync('g++', ['-print-file-name=libstdc++.so.6'], { encoding: 'utf8' }).trim();

test('versionNeeds reads what readelf reads', () => {
  const ours = Object.fromEntries(versionNeeds(libstdcxx).map(({ file, versions }) => [file, versions]));
  const theirs = readelfNeeds(libstdcxx);
  assert.ok(Object.keys(theirs).length > 0, 'readelf found version needs');
  assert.deepEqual(ours, theirs);
});

test('versions compare as numbers', () => {
  assert.ok(compareVersions('2.9', '2.28') < 0);
  assert.ok(compareVersions('3.4.29', '3.4.25') > 0);
  assert.equal(compareVersions('2.17', '2.17.0'), 0);
});

test('the floor check flags a file above GLIBC_2.28 and passes one below', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glibc-floor-'));
  try {
    // The system's libstdc++ needs this machine's glibc; a file that needs none is below any floor.
    copyFileSync(libstdcxx, join(dir, 'libstdc++.so.6'));
    const needs = highestNeeds(join(dir, 'libstdc++.so.6'));
    assert.match(needs.GLIBC ?? '', /^2\.\d+$/);
    const [row] = checkFloor([dir], { GLIBC: '2.2.5', GLIBCXX: '3.4' });
    assert.deepEqual(row.above, [`GLIBC_${needs.GLIBC} > GLIBC_2.2.5`]);
    assert.deepEqual(checkFloor([dir], { GLIBC: needs.GLIBC, GLIBCXX: '3.4' })[0].above, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
