#!/usr/bin/env node
// The install instructions of the guides and package READMEs, for the packaging test to run them
// as written. An instruction is an `sh` block right after a marker comment (invisible when the
// Markdown is rendered):
//
//   <!-- install: registry-clone -->    run in the clone of the repository (the local registry route)
//   <!-- install: registry-project -->  run in the user's project
//   <!-- install: tarball-clone -->     run in the clone (the tarball route)
//   <!-- install: tarball-project -->   run in the user's project, LITE_NODE = the clone's folder
//
//   node doc-install.mjs <repo> check              every guide below has all four, each *-clone
//                                                  block the same as getting-started's; prints a summary
//   node doc-install.mjs <repo> blocks <marker>    the distinct blocks of <marker>, in guide order,
//                                                  NUL-separated (for `mapfile -d ''`)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Guides that must tell how to install, in the order their blocks run (core before its add-ons). */
export const GUIDES = [
  'docs/getting-started.md',
  'docs/mindspore.md',
  'packages/core/README.md',
  'packages/mindspore/README.md',
  'packages/utils/README.md',
  'packages/crypto/README.md',
  'packages/ndarray/README.md',
];
export const MARKERS = ['registry-clone', 'registry-project', 'tarball-clone', 'tarball-project'];

/**
 * The marked install blocks of one Markdown file.
 * @param {string} text
 * @returns {{ marker: string, code: string, line: number }[]}
 */
export function installBlocks(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^<!--\s*install:\s*([a-z-]+)\s*-->\s*$/.exec(lines[i].trim());
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    if (!/^```sh\s*$/.test(lines[j] ?? '')) throw new Error(`line ${i + 1}: <!-- install: ${m[1]} --> must be followed by a \`\`\`sh block`);
    const body = [];
    let k = j + 1;
    while (k < lines.length && !lines[k].startsWith('```')) body.push(lines[k++]);
    if (!MARKERS.includes(m[1])) throw new Error(`line ${i + 1}: unknown install marker ${m[1]} (known: ${MARKERS.join(', ')})`);
    out.push({ marker: m[1], code: `${body.join('\n')}\n`, line: j + 1 });
    i = k;
  }
  return out;
}

function main([repo, command, marker]) {
  const all = GUIDES.map((file) => ({ file, blocks: installBlocks(readFileSync(join(repo, file), 'utf8')) }));
  if (command === 'check') {
    const reference = Object.fromEntries(all[0].blocks.map((b) => [b.marker, b.code]));
    const problems = [];
    for (const { file, blocks } of all) {
      for (const mk of MARKERS) {
        const found = blocks.filter((b) => b.marker === mk);
        if (found.length !== 1) problems.push(`${file}: ${found.length} blocks marked install: ${mk} (one is needed)`);
        else if (mk.endsWith('-clone') && found[0].code !== reference[mk]) problems.push(`${file}:${found[0].line}: the ${mk} block differs from ${GUIDES[0]}'s`);
      }
      for (const b of blocks) if (b.marker.endsWith('-project') && !/^npm install /m.test(b.code)) problems.push(`${file}:${b.line}: the ${b.marker} block runs no npm install`);
    }
    if (problems.length) {
      console.error(problems.join('\n'));
      process.exit(1);
    }
    console.log(`install instructions: ${GUIDES.length} guides, each with the local-registry and tarball routes (${MARKERS.length} marked blocks)`);
    return;
  }
  if (command === 'blocks' && MARKERS.includes(marker)) {
    const seen = new Set();
    for (const { blocks } of all) for (const b of blocks) if (b.marker === marker && !seen.has(b.code)) seen.add(b.code);
    process.stdout.write([...seen].map((c) => `${c}\0`).join(''));
    return;
  }
  console.error('usage: doc-install.mjs <repo> check | blocks <marker>');
  process.exit(2);
}

main(process.argv.slice(2));
