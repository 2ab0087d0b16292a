#!/usr/bin/env bash
# The packaging test: what a user gets from the registry, without the registry.
#
#  1. `pnpm pack` every public workspace package (workspace: ranges become real versions) and
#     stage + pack the linux-x64-gnu platform package (.node + runtime, tools/release/).
#  2. Install the tarballs with plain npm into a fresh project in a temp dir (no workspace, no
#     repo paths, PATH without cargo/python, LITE_CACHE_DIR pointing at an empty dir so only the
#     packaged runtime can be found), then run an ESM and a CJS consumer that load
#     shufflenet.mge and compare the output with the reference (max abs diff).
#     publint (--strict) and @arethetypeswrong/cli check every public package on the way.
#  3. Install @lite/utils alone (with core + binding, without the platform package): assert
#     @lite/crypto and @lite/ndarray are absent, and that the missing platform package gives
#     the clear LITE_RUNTIME_NOT_FOUND error naming it.
#
# Needs a finished build (`pnpm run build`) and the fetched runtime (`pnpm run setup`).
# Writes nothing into the repo; everything lives in one temp dir that is removed at exit
# (LITE_PACK_TEST_KEEP=1 keeps it). The CPU-only runtime copy is cached per user by
# tools/release/prepare-platform-package.mjs; the staged package hard-links it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$repo/tools/pack-test"
started=$(date +%s)

if [ "$(node -p 'process.platform + "-" + process.arch')" != linux-x64 ]; then
  echo "pack-test: only linux-x64 has a packaged runtime to test; skipped"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lite-pack-test.XXXXXX")
cleanup() { if [ "${LITE_PACK_TEST_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
last=$started
step() { printf '\n[pack-test] %s  (+%d s)\n' "$*" "$(( $(date +%s) - last ))"; last=$(date +%s); }
human() { numfmt --to=iec --suffix=B "$1"; }

# ---- 1. pack -----------------------------------------------------------------------------
step "packing the public packages"
mkdir -p "$tmp/tarballs"
mapfile -t public_dirs < <(cd "$repo" && node -e '
  const { readdirSync, existsSync, readFileSync } = require("node:fs");
  const dirs = ["crates/lite-napi", ...readdirSync("packages").map((d) => "packages/" + d)];
  for (const d of dirs) {
    if (!existsSync(d + "/package.json")) continue;
    const p = JSON.parse(readFileSync(d + "/package.json", "utf8"));
    if (!p.private) console.log(d);
  }')
for dir in "${public_dirs[@]}"; do
  (cd "$repo/$dir" && pnpm pack --pack-destination "$tmp/tarballs" >/dev/null)
done

step "staging and packing @lite/binding-linux-x64-gnu (binding + runtime)"
node "$repo/tools/release/prepare-platform-package.mjs" --target linux-x64-gnu --out "$tmp/stage/linux-x64-gnu"
(cd "$tmp/stage/linux-x64-gnu" && npm pack --pack-destination "$tmp/tarballs" --silent >/dev/null)

echo "tarballs:"
for t in "$tmp"/tarballs/*.tgz; do
  printf '  %-44s %9s\n' "$(basename "$t")" "$(human "$(stat -c %s "$t")")"
done
tgz() { ls "$tmp"/tarballs/"$1"-[0-9]*.tgz; }

step "publint and are-the-types-wrong on every public package"
for dir in "${public_dirs[@]}"; do
  (cd "$repo/$dir" && "$repo/node_modules/.bin/publint" --strict --pack pnpm | grep -v '^Running\|^Packing\|^Linting')
done
for t in "$tmp"/tarballs/*.tgz; do
  case "$t" in *binding-linux-x64-gnu*) continue ;; esac # no JS/types: only the .node and the runtime
  "$repo/node_modules/.bin/attw" "$t" --format ascii --quiet || { echo "attw flagged $(basename "$t")" >&2; exit 1; }
done
echo "publint: no errors or warnings; attw: no problems (${#public_dirs[@]} packages)"

# A PATH with node and npm only: no cargo, rustc, python or pip can be reached.
mkdir -p "$tmp/bin"
ln -s "$(command -v node)" "$tmp/bin/node"
ln -s "$(command -v npm)" "$tmp/bin/npm"
ln -s "$(command -v sh)" "$tmp/bin/sh"
mkdir -p "$tmp/empty-cache"
clean_env=(env -i "HOME=$HOME" "PATH=$tmp/bin" "LITE_CACHE_DIR=$tmp/empty-cache" "npm_config_update_notifier=false"
  "npm_config_fund=false" "npm_config_audit=false")
for tool in cargo rustc python3 python pip; do
  if "${clean_env[@]}" sh -c "command -v $tool" >/dev/null 2>&1; then echo "pack-test: $tool is reachable on the clean PATH" >&2; exit 1; fi
done

# ---- 2. full install, ESM + CJS consumers -------------------------------------------------
step "installing every tarball into a fresh npm project"
app="$tmp/app"
mkdir -p "$app/fixtures"
cp "$repo"/fixtures/{shufflenet.mge,shufflenet_input.npy,shufflenet_output.npy} "$app/fixtures/"
# megenginelite's output on this machine (the engine's kernels, hence the last bits, depend on the CPU)
cp "$(node "$repo/tools/models/lite-refs.mjs")/shufflenet_lite_output.npy" "$app/fixtures/"
cp "$here/check.mjs" "$here/check.cjs" "$here/check-shufflenet.cjs" "$app/"
echo '{ "name": "lite-pack-test-app", "version": "0.0.0", "private": true }' > "$app/package.json"
mapfile -t all_tgz < <(ls "$tmp"/tarballs/*.tgz)
install_started=$(date +%s)
(cd "$app" && "${clean_env[@]}" npm install --no-save --loglevel=error "${all_tgz[@]}")
echo "installed in $(( $(date +%s) - install_started )) s; node_modules: $(du -sh "$app/node_modules" | cut -f1) on disk ($(du -sh --apparent-size "$app/node_modules" | cut -f1) apparent)"
test -f "$app/node_modules/@lite/binding-linux-x64-gnu/runtime/megenginelite/libs/liblite_shared_whl.so"
if find "$app/node_modules/@lite" -type l | grep -q .; then echo "pack-test: symlinks in the installed packages" >&2; exit 1; fi

step "ESM and CJS consumers"
(cd "$app" && "${clean_env[@]}" node check.mjs fixtures && "${clean_env[@]}" node check.cjs fixtures)
# The runtime really came from the platform package (the cache dir is empty, LITE_LIB_PATH unset).
(cd "$app" && "${clean_env[@]}" node -e '
  const b = require("@lite/binding");
  const core = require("@lite/core");
  new core.LiteNetwork().dispose();
  const p = b.loadRuntime();
  if (!p.includes("node_modules/@lite/binding-linux-x64-gnu/runtime/")) { console.error("runtime loaded from " + p); process.exit(1); }
  console.log("runtime loaded from the platform package: " + p.slice(p.indexOf("node_modules")));')

# ---- 3. @lite/utils alone ---------------------------------------------------------------
if ls "$tmp"/tarballs/lite-utils-*.tgz >/dev/null 2>&1; then
  step "installing @lite/utils alone (with its peer @lite/core, without the platform package)"
  solo="$tmp/utils-only"
  mkdir -p "$solo"
  echo '{ "name": "lite-pack-test-utils", "version": "0.0.0", "private": true }' > "$solo/package.json"
  cp "$here/missing-platform.cjs" "$solo/"
  (cd "$solo" && "${clean_env[@]}" npm install --no-save --loglevel=error --omit=optional \
    "$(tgz lite-utils)" "$(tgz lite-core)" "$(tgz lite-binding)")
  for absent in crypto ndarray binding-linux-x64-gnu; do
    if [ -e "$solo/node_modules/@lite/$absent" ]; then echo "pack-test: @lite/$absent was installed with @lite/utils" >&2; exit 1; fi
  done
  echo "absent as expected: @lite/crypto, @lite/ndarray (and the platform package, omitted on purpose)"
  (cd "$solo" && "${clean_env[@]}" node missing-platform.cjs)
fi

echo
echo "[pack-test] passed in $(( $(date +%s) - started )) s"
