// Extracts the fenced code blocks of the project's Markdown and what each one is.
//
// A TypeScript/JavaScript block is a complete program unless an HTML comment right before its
// fence says otherwise (comments do not show when the Markdown is rendered):
//
//   <!-- example: fragment -->            type-checked only
//   <!-- example: fragment
//   import { LiteNetwork } from '@lite/core';
//   declare const input: Float32Array;
//   -->                                   type-checked after this prelude (imports, declarations)
//   <!-- example: program env MODEL=mlp.mge -->   run with these environment variables
//
// A program runs in a folder holding the fixtures (fixtures/*, the demo's models). A `text` block
// right after it, marked `<!-- output -->`, is what it must print (a line `...` stands for any
// lines, `...` inside a line for any text); a program that prints that and keeps running (a server)
// is stopped there. Other blocks (sh, json, text) are listed as not code.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export type BlockKind = 'program' | 'fragment' | 'output' | 'other';

export interface CodeBlock {
  /** Markdown file, relative to the repository. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's language (first word of the info string). */
  readonly lang: string;
  readonly kind: BlockKind;
  readonly code: string;
  /** Fragment prelude (imports/declarations) from the marker comment. */
  readonly prelude: string;
  /** Environment for a program. */
  readonly env: Readonly<Record<string, string>>;
  /** Expected output of a program (from the `<!-- output -->` block after it). */
  expected?: string;
}

const CODE_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

/** The Markdown files whose code blocks are checked: READMEs and docs/ guides. */
export function markdownFiles(repo: string): string[] {
  const out = ['README.md'];
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, dir))) {
      const readme = join(dir, name, 'README.md');
      try {
        if (statSync(join(repo, readme)).isFile()) out.push(readme);
      } catch {
        // no README
      }
    }
  }
  const docs = join(repo, 'docs');
  try {
    for (const name of readdirSync(docs)) if (name.endsWith('.md') && name !== 'api-index.md') out.push(relative(repo, join(docs, name)));
  } catch {
    // no docs folder
  }
  return out.sort();
}

interface Marker {
  kind: 'fragment' | 'program' | 'output';
  prelude: string;
  env: Record<string, string>;
}

function parseMarker(comment: string): Marker | undefined {
  const m = /^<!--\s*(example:\s*(fragment|program)|output)([^\n]*?)(?:\n([\s\S]*?))?\s*-->$/.exec(comment.trim());
  if (!m) return undefined;
  if (m[1] === 'output') return { kind: 'output', prelude: '', env: {} };
  const env: Record<string, string> = {};
  const rest = (m[3] ?? '').trim();
  if (rest.startsWith('env ')) {
    for (const pair of rest.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  } else if (rest !== '') {
    throw new Error(`unknown example marker option "${rest}"`);
  }
  return { kind: m[2] as 'fragment' | 'program', prelude: m[4] ?? '', env };
}

/** All fenced blocks of one Markdown file. */
export function extractBlocks(repo: string, file: string): CodeBlock[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = /^(\s*)(```+)(.*)$/.exec(lines[i] as string);
    if (!open) {
      i++;
      continue;
    }
    const fence = open[2] as string;
    const lang = (open[3] ?? '').trim().split(/\s+/)[0] ?? '';
    const start = i;
    const body: string[] = [];
    i++;
    while (i < lines.length && !(lines[i] as string).trim().startsWith(fence)) body.push(lines[i++] as string);
    i++;
    // The marker comment: the non-empty lines right before the fence, if they form an HTML comment.
    let j = start - 1;
    while (j >= 0 && (lines[j] as string).trim() === '') j--;
    let marker: Marker | undefined;
    if (j >= 0 && (lines[j] as string).trim().endsWith('-->')) {
      let k = j;
      while (k >= 0 && !(lines[k] as string).includes('<!--')) k--;
      if (k >= 0) marker = parseMarker(lines.slice(k, j + 1).join('\n'));
    }
    let kind: BlockKind = 'other';
    if (marker?.kind === 'output') kind = 'output';
    else if (CODE_LANGS.has(lang)) kind = marker?.kind ?? 'program';
    const block: CodeBlock = { file, line: start + 1, lang, kind, code: body.join('\n'), prelude: marker?.prelude ?? '', env: marker?.env ?? {} };
    if (kind === 'output') {
      const prev = blocks.at(-1);
      if (!prev || prev.kind !== 'program') throw new Error(`${file}:${start + 1}: an output block must follow a program block`);
      prev.expected = block.code;
    }
    blocks.push(block);
  }
  return blocks;
}

/** Whether `actual` (a program's stdout) matches `expected` (with `...` wildcards). */
export function matchesOutput(actual: string, expected: string): boolean {
  const exp = expected.replace(/\s+$/, '').split('\n');
  const act = actual.replace(/\s+$/, '').split('\n');
  const lineRe = (l: string): RegExp => new RegExp(`^${l.split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const go = (e: number, a: number): boolean => {
    if (e === exp.length) return a === act.length;
    if ((exp[e] as string).trim() === '...') {
      for (let k = a; k <= act.length; k++) if (go(e + 1, k)) return true;
      return false;
    }
    return a < act.length && lineRe(exp[e] as string).test(act[a] as string) && go(e + 1, a + 1);
  };
  return go(0, 0);
}
