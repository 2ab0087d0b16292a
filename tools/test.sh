#!/usr/bin/env bash
# The whole test suite on a fresh machine: sets up (without the demo run), then runs the Rust
# tests, lints, every package's tests through turbo, and the packaging test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)

bash tools/setup.sh --no-demo

printf '\n==> megenginelite reference outputs on this machine (Python 3.10 venv, cached per CPU)\n'
node tools/models/lite-refs.mjs

printf '\n==> lint (clippy -D warnings, rustfmt, tsc)\n'
pnpm run lint

printf '\n==> API reference (TypeDoc into docs/api/; fails on any warning: undocumented export, broken link)\n'
pnpm run docs

printf '\n==> tests (cargo test via @lite/binding, then vitest per package; doc examples included)\n'
pnpm run test

printf '\n==> MindSpore third-party notices for the runtime package (once per cache: the pinned mindspore wheel, only the notice kept)\n'
node tools/release/mindspore-notices.mjs

printf '\n==> release tools (slim-elf, libnvrtc stand-in, MindSpore runtime staging: headers, readelf, bit-identical fixtures)\n'
node --test tools/release/

printf '\n==> packaging test (pack, install with plain npm in a temp project, run ESM + CJS; publish to a local registry, install by name, a patch release with npm update)\n'
bash tools/pack-test/run.sh

echo
echo "all tests passed in $(( $(date +%s) - started )) s"
