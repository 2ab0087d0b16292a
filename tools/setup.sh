#!/usr/bin/env bash
# One command for a fresh machine: tools, dependencies, the MegEngine Lite runtime, the build,
# then the demo's main job (`lite-demo eval`). Re-runs are fast: every step is cached in the
# user's cache directories (pnpm store, cargo registry, ~/.cache/lite-node), never in the repo.
#
#   bash tools/setup.sh            set up and run the demo's main job
#   bash tools/setup.sh --no-demo  set up only (what tools/test.sh uses)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) run_demo=0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")

step "checking tools"
node -e "const [a,b]=process.versions.node.split('.').map(Number); if (a<20||(a===20&&b<17)) { console.error('Node >= 20.17 is needed, found '+process.version); process.exit(1) }"
if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust (cargo) is needed to build the native binding: install it with rustup, then re-run." >&2
  exit 1
fi
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit
fi

step "installing JavaScript dependencies"
if [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile
else
  pnpm install
fi

step "fetching the MegEngine Lite runtime"
node tools/runtime/fetch-runtime.mjs

# @lite/mindspore's runtime (the mindspore-lite 2.0.0 wheel's CPU libraries, ~170 MB download
# once) and our C shim compiled against it; only this repo's setup fetches it, never a
# MegEngine-only install. LITE_SKIP_MINDSPORE=1 skips it (its tests then fail with the reason).
if [ "${LITE_SKIP_MINDSPORE:-0}" != 1 ]; then
  step "fetching the MindSpore Lite runtime and building its shim"
  node tools/runtime/fetch-runtime.mjs --engine mindspore
fi

if [ -f tools/setup-extra.sh ]; then
  bash tools/setup-extra.sh
fi

step "building (turbo: Rust binding, then the TypeScript packages)"
pnpm run build

if [ "$run_demo" = 1 ]; then
  step "running the demo's main job: lite-demo eval --engine both (MegEngine Lite and MindSpore Lite)"
  pnpm --filter @lite/demo run eval
fi
