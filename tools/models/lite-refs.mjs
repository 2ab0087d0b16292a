#!/usr/bin/env node
// Makes sure this machine's megenginelite reference outputs exist (see lite_refs.py for why they
// are per machine), creating them once with the Python venv of tools/models/setup-python.sh.
// Prints the folder. Re-runs are instant.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { liteRefsDir } from './machine-key.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dir = liteRefsDir();
if (!existsSync(join(dir, '.done'))) {
  const setup = execFileSync('bash', [join(here, 'setup-python.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const python = setup.trim().split('\n').pop();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync(python, [join(here, 'lite_refs.py'), '--out', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(join(tmp, '.done'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}
console.log(dir);
