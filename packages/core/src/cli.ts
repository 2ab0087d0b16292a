#!/usr/bin/env node
// `lite-runtime`: fetches MegEngine runtimes into the per-user cache on request (never at install
// time) and records which one the loader should prefer.
//
//   npx lite-runtime fetch --cuda      the full library with the CUDA device code (linux-x64)
//   npx lite-runtime fetch             the CPU runtime (normally installed as an npm package; an
//                                      installed @lite/core loads it with LITE_USE_CACHED_RUNTIME=1)
//   npx lite-runtime path [--cuda]     print the cached library path (exit 1 when not fetched)
//   npx lite-runtime use cuda|cpu      make the loader prefer the CUDA runtime (or not) by default
//
// Options: --index-url URL (a "simple" package index; default LITE_RUNTIME_INDEX_URL, then
// PIP_INDEX_URL), --no-pip (never fall back to pip), --pip-only (download with pip only),
// --platform KEY (another platform's runtime).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LiteError } from './errors.js';
import { cacheRoot, fetchRuntime, platformKey, runtimeDir, runtimePin, writeConfiguredDevice } from './runtime/fetch.js';

const USAGE = `usage: lite-runtime fetch [--cuda] [--index-url URL] [--no-pip | --pip-only] [--platform KEY]
       lite-runtime path [--cuda] [--platform KEY]
       lite-runtime use cuda|cpu`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      cuda: { type: 'boolean', default: false },
      'index-url': { type: 'string' },
      'no-pip': { type: 'boolean', default: false },
      'pip-only': { type: 'boolean', default: false },
      platform: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg] = positionals;
  const platform = values.platform ?? platformKey();
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'fetch') {
    const started = Date.now();
    const r = await fetchRuntime({
      platform,
      cuda: values.cuda,
      pip: !values['no-pip'],
      http: !values['pip-only'],
      log: (line) => console.log(`[lite-runtime] ${line}`),
      ...(values['index-url'] ? { indexUrl: values['index-url'] } : {}),
    });
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`[lite-runtime] ${r.source === 'cache' ? 'already cached' : `fetched with ${r.source === 'pip' ? 'pip' : 'HTTP(S)'} in ${took} s`}: ${r.library}`);
    if (values.cuda) console.log('[lite-runtime] used when LITE_DEVICE=cuda is set, or by default after `lite-runtime use cuda`');
    else console.log('[lite-runtime] an installed @lite/core uses its runtime package; set LITE_USE_CACHED_RUNTIME=1 to use this one instead');
    return 0;
  }
  if (command === 'path') {
    const pin = runtimePin(platform, values.cuda);
    const root = cacheRoot();
    const first = pin?.members[0];
    const lib = pin && root && first ? join(runtimeDir(root, pin, platform, values.cuda), first.to) : null;
    if (!lib || !existsSync(lib)) {
      console.error(`no ${values.cuda ? 'CUDA ' : ''}runtime for ${platform} in the cache; run \`lite-runtime fetch${values.cuda ? ' --cuda' : ''}\``);
      return 1;
    }
    console.log(lib);
    return 0;
  }
  if (command === 'use' && (arg === 'cuda' || arg === 'cpu')) {
    console.log(`[lite-runtime] ${writeConfiguredDevice(arg)}: device ${arg}`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`[lite-runtime] ${err instanceof LiteError || err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
