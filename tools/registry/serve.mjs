#!/usr/bin/env node
// `pnpm run registry`: a local npm registry (verdaccio) on 127.0.0.1 until Ctrl-C (SIGINT) or
// SIGTERM. Its storage is a fresh temporary folder, removed when it stops (--storage <dir> keeps
// it in that folder instead).
//
//   pnpm run registry [--port <n>] [--storage <dir>]     port: --port, LITE_REGISTRY_PORT, else 4873
//
// Then `pnpm run release:local` publishes this platform's packages into it, and a project with
// `@lite:registry=http://127.0.0.1:4873/` in its .npmrc installs them by name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, startRegistry } from './registry.mjs';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, storage: { type: 'string' } } });
const port = Number(args.port ?? process.env.LITE_REGISTRY_PORT ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`[registry] not a port: ${args.port ?? process.env.LITE_REGISTRY_PORT}`);
  process.exit(2);
}
const temporary = !args.storage;
const storage = args.storage ? resolve(args.storage) : mkdtempSync(join(tmpdir(), 'lite-registry-'));
const removeStorage = () => {
  if (temporary) rmSync(storage, { recursive: true, force: true });
};

let registry;
try {
  registry = await startRegistry({ port, storage });
} catch (err) {
  removeStorage();
  console.error(`[registry] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
console.log(`[registry] serving ${registry.url} (storage ${storage}${temporary ? ', removed on exit' : ''}); Ctrl-C stops it`);

let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  await registry.close();
  removeStorage();
  console.log(`[registry] stopped (${signal})`);
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
