// The TypeScript examples of the READMEs compile against the published types (dist/*.d.ts,
// resolved as `@lite/core`) under the strictest settings users run: strict +
// noUncheckedIndexedAccess. Each ```ts block is its own module; `input` (used but not defined by
// the megenginelite example) is declared globally.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const readmes = [join(pkgDir, 'README.md'), join(pkgDir, '..', '..', 'README.md')];

function blocks(file: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== '```') end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** Type errors of `code` compiled as a module inside this package. */
function typeErrors(code: string): string[] {
  const file = join(pkgDir, '__readme_example__.ts');
  const globals = join(pkgDir, '__readme_globals__.d.ts');
  const sources = new Map([
    [file, `${code}\nexport {};\n`],
    [globals, 'declare const input: Float32Array;\n'],
  ]);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  const getSource = host.getSourceFile.bind(host);
  host.readFile = (f) => sources.get(f) ?? read(f);
  host.fileExists = (f) => sources.has(f) || exists(f);
  host.getSourceFile = (f, v, onError, create) => {
    const text = sources.get(f);
    return text === undefined ? getSource(f, v, onError, create) : ts.createSourceFile(f, text, v);
  };
  const program = ts.createProgram([file, globals], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('README examples type-check (strict, noUncheckedIndexedAccess)', () => {
  for (const readme of readmes) {
    for (const { line, code } of blocks(readme)) {
      if (!code.includes("from '@lite/core'")) continue;
      it(`${relative(join(pkgDir, '..', '..'), readme)}:${line}`, () => {
        expect(typeErrors(code)).toEqual([]);
      });
    }
  }

  it('the checker catches what it should (a possibly-undefined index is an error)', () => {
    const errors = typeErrors("import { LiteTensor } from '@lite/core';\nconst x: number = new LiteTensor([2]).toTypedArray()[0];");
    expect(errors.join('\n')).toMatch(/TS2322/);
  });
});
