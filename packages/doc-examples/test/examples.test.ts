// Every code block of the READMEs and docs/ guides (see src/blocks.ts for the markers):
// TypeScript/JavaScript blocks are type-checked with strict + noUncheckedIndexedAccess against the
// built packages; complete programs are run against the fixtures and their output compared. A doc
// example that rots fails here.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, extractBlocks, markdownFiles, matchesOutput } from '../src/blocks.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '../..');
// Inside this package, so the examples resolve @lite/* and ndarray from its node_modules.
const work = join(pkg, `.work-${process.pid}`);
const blocks = markdownFiles(repo).flatMap((f) => extractBlocks(repo, f));
const code = blocks.filter((b) => b.kind === 'program' || b.kind === 'fragment');
const sourceOf = new Map<CodeBlock, string>();
let diagnostics = new Map<string, string[]>();

function fileName(b: CodeBlock, i: number): string {
  const js = b.lang === 'js' || b.lang === 'javascript' || b.lang === 'mjs';
  return join(work, 'src', `ex${i}-${b.file.replace(/[^a-z0-9]+/gi, '_')}-${b.line}.${js ? 'mjs' : 'mts'}`);
}

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'src'), { recursive: true });
  mkdirSync(join(work, 'run'), { recursive: true });
  mkdirSync(join(work, 'fixtures'), { recursive: true });
  // Copies, not links: an example that writes a file must never change the committed fixtures.
  for (const dir of [join(repo, 'fixtures'), join(repo, 'fixtures/mindspore'), join(repo, 'apps/demo/models')]) {
    for (const name of readdirSync(dir)) if (!existsSync(join(work, 'fixtures', name))) cpSync(join(dir, name), join(work, 'fixtures', name), { recursive: true });
  }
  code.forEach((b, i) => {
    const file = fileName(b, i);
    // `export {}` makes every block a module (top-level await, no global name clashes).
    writeFileSync(file, `${b.kind === 'fragment' ? `${b.prelude}\n` : ''}${b.code}\nexport {};\n`);
    sourceOf.set(b, file);
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [join(pkg, 'node_modules/@types')],
    allowJs: true,
    checkJs: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const program = ts.createProgram([...sourceOf.values()], options);
  diagnostics = new Map();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file?.fileName ?? '(global)';
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const text = `${pos ? `line ${pos.line + 1}: ` : ''}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    diagnostics.set(name, [...(diagnostics.get(name) ?? []), text]);
  }
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function run(b: CodeBlock, file: string): Promise<{ code: number | null; stdout: string; stderr: string; stoppedAtOutput: boolean }> {
  const js = ts.transpileModule(`${b.code}\nexport {};\n`, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
  const out = join(work, 'run', `${file.split('/').pop()?.replace(/\.m?[jt]s$/, '')}.mjs`);
  writeFileSync(out, js);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [out], { cwd: join(work, 'fixtures'), env: { ...process.env, ...b.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stoppedAtOutput = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // A program that printed its expected output and keeps running (a server) is done.
      if (b.expected !== undefined && !stoppedAtOutput && matchesOutput(stdout, b.expected)) {
        stoppedAtOutput = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, stoppedAtOutput });
    });
  });
}

describe('documentation code blocks', () => {
  it('every TypeScript/JavaScript block is a program or a marked fragment', () => {
    expect(code.length).toBeGreaterThan(0);
    for (const b of blocks) if (b.kind === 'other') expect(['sh', 'bash', 'json', 'text', ''], `${b.file}:${b.line} (${b.lang})`).toContain(b.lang);
  });

  for (const b of code) {
    const where = `${b.file}:${b.line}`;
    it(`${where} type-checks (${b.kind})`, () => {
      const file = sourceOf.get(b) as string;
      expect(diagnostics.get(file) ?? [], where).toEqual([]);
    });
    if (b.kind === 'program') {
      it(`${where} runs${b.expected !== undefined ? ' and prints its documented output' : ''}`, async () => {
        const r = await run(b, sourceOf.get(b) as string);
        expect(r.stderr, `${where} stderr`).toBe('');
        if (!r.stoppedAtOutput) expect(r.code, `${where} exit code; stdout:\n${r.stdout}`).toBe(0);
        if (b.expected !== undefined) expect(matchesOutput(r.stdout, b.expected), `${where} printed:\n${r.stdout}\nexpected:\n${b.expected}`).toBe(true);
      });
    }
  }
});
