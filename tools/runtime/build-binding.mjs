#!/usr/bin/env node
// Builds @lite/binding's .node (`napi build` with the given arguments). On Linux x86-64 it is
// linked with napi-rs' glibc 2.17 toolchain (tools/runtime/glibc-toolchain.mjs), as the release
// workflow does, so the .node that setup builds and the packaging test packs needs GLIBC_2.17 at
// most, not this machine's glibc. Elsewhere (macOS) it is a plain `napi build`.
//
//   node tools/runtime/build-binding.mjs --platform --release --js index.js --dts index.d.ts
import { spawnSync } from 'node:child_process';
import { RUST_TARGETS, cargoEnv, hostSupported } from './glibc-toolchain.mjs';

const args = process.argv.slice(2);
let env = process.env;
if (hostSupported() && !args.includes('--target')) {
  const triple = RUST_TARGETS['linux-x64-gnu'];
  args.push('--target', triple);
  env = { ...process.env, ...cargoEnv(triple) };
}
const r = spawnSync('napi', ['build', ...args], { stdio: 'inherit', env });
if (r.error) console.error(`[lite build] could not run napi: ${r.error.message}`);
process.exit(r.status ?? 1);
