#!/usr/bin/env bash
# The whole test suite on a fresh machine: sets up (without the demo run), then runs the Rust
# tests, lints and every package's tests through turbo. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)

bash tools/setup.sh --no-demo

printf '\n==> lint (clippy -D warnings, rustfmt, tsc)\n'
pnpm run lint

printf '\n==> tests (cargo test via @lite/binding, then vitest per package)\n'
pnpm run test

echo
echo "all tests passed in $(( $(date +%s) - started )) s"
