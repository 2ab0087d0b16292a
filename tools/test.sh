#!/usr/bin/env bash
# The whole test suite on a fresh machine: sets up (without the demo run), then runs the Rust
# tests, lints, every package's tests through turbo, the packaging test and the linux-arm64 test
# under qemu (when the cross tools are installed). `.ci/run` calls exactly this.
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

printf '
==> packaging test (pack; install with npm, pnpm and Bun in temp projects; run ESM + CJS under Node and Bun; types; glibc floor; publish to a local registry, install by name, a patch release with npm update)
'
bash tools/pack-test/run.sh

# Cross-builds the linux-arm64 .node and shims, packs the linux-arm64 packages and runs them with
# an aarch64 Node under qemu-aarch64 (every MindSpore fixture vs the x64 references, the
# Converter, the missing-package and MegEngine errors). Adds 163 s on a fresh clone (cold Rust
# build for aarch64: 67 s) and 108 s when target/ is warm (2 shared cores; figures in
# docs/architecture.md, "linux-arm64 under qemu"). Without the Debian cross tools it prints one
# line and is skipped.
printf '\n==> linux-arm64 packages under qemu-aarch64 (tools/arm64/test-linux-arm64-under-qemu.mjs)\n'
node tools/arm64/test-linux-arm64-under-qemu.mjs --if-tools

echo
echo "all tests passed in $(( $(date +%s) - started )) s"
