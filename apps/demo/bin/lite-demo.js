#!/usr/bin/env node
// lite-demo: the handwritten-digit demo of @lite/core (built by `pnpm --filter @lite/demo build`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`lite-demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
