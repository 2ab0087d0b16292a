#!/usr/bin/env bash
# The packaging test: what a user gets from the registry, without the registry.
#
#  1. `pnpm pack` every public workspace package (workspace: ranges become real versions), and
#     stage + pack the linux-x64-gnu platform packages (tools/release/prepare-platform-package.mjs):
#     @lite/binding-linux-x64-gnu (the .node) and @lite/runtime-megengine-linux-x64-gnu (the
#     runtime, libmegengine_shared.so slimmed by slim-elf.mjs, the libnvrtc stand-in), and
#     @lite/runtime-mindspore-linux-x64-gnu (tools/release/prepare-mindspore-runtime.mjs: the
#     MindSpore Lite libraries, our shim, MindSpore's third-party notices).
#  2. Install the tarballs (all but @lite/mindspore's) with plain npm into a fresh project in a temp dir (no workspace, no
#     repo paths, PATH without cargo/python, LITE_CACHE_DIR pointing at an empty dir so only the
#     packaged runtime can be found; time and peak memory of `npm install` via /usr/bin/time -v
#     where installed). Assert the installed size of @lite/core + its dependencies is at most
#     350 MB, run an ESM and a CJS consumer that load shufflenet.mge and compare the output with
#     megenginelite's on this machine (bit for bit), run every fixture and compare the output
#     bytes with the original wheel library's (sha256), and check that without the runtime
#     package the error names it. publint (--strict) and @arethetypeswrong/cli check every
#     public package on the way.
#  3. Install @lite/utils alone (with core + binding, without the platform package): assert
#     @lite/crypto and @lite/ndarray are absent, and that the missing platform package gives
#     the clear LITE_RUNTIME_NOT_FOUND error naming it.
#  4. Install @lite/mindspore alone (+ binding, its platform package, its runtime package): assert
#     no @lite/runtime-megengine-* and no @lite/core is installed or depended on (and, in 2, that
#     @lite/core pulls no @lite/runtime-mindspore-*), report the installed size, and run every
#     MindSpore fixture from an ESM and a CJS consumer, bit-identical to fixtures/mindspore.
#     Then the same consumers under Bun (and an async/pool run), and every ELF file of the two
#     installs (the .node, both engines' libraries, our shims)
#     must need no symbol version above Node 20's floor (tools/release/glibc-floor.mjs).
#
# Needs a finished build (`pnpm run build`) and the fetched runtime (`pnpm run setup`).
# Writes nothing into the repo; everything lives in one temp dir that is removed at exit
# (LITE_PACK_TEST_KEEP=1 keeps it). The slimmed runtime copy is cached per user by
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

step "staging and packing @lite/binding-linux-x64-gnu (.node) and @lite/runtime-megengine-linux-x64-gnu (runtime)"
node "$repo/tools/release/prepare-platform-package.mjs" --target linux-x64-gnu \
  --out "$tmp/stage/binding-linux-x64-gnu" --runtime-out "$tmp/stage/runtime-megengine-linux-x64-gnu"
for staged in binding-linux-x64-gnu runtime-megengine-linux-x64-gnu; do
  (cd "$tmp/stage/$staged" && npm pack --pack-destination "$tmp/tarballs" --silent >/dev/null)
done
step "staging and packing @lite/runtime-mindspore-linux-x64-gnu (libraries, shim, third-party notices)"
node "$repo/tools/runtime/build-mindspore-shim.mjs" # this checkout's shim into the cached runtime (no-op when up to date)
node "$repo/tools/release/prepare-mindspore-runtime.mjs" --target linux-x64-gnu --out "$tmp/stage/runtime-mindspore-linux-x64-gnu"
(cd "$tmp/stage/runtime-mindspore-linux-x64-gnu" && npm pack --pack-destination "$tmp/tarballs" --silent >/dev/null)
rm -rf "$tmp/stage" # hard links into the cache; the tarballs are what counts now

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
  case "$t" in *binding-linux-x64-gnu* | *runtime-megengine-* | *runtime-mindspore-*) continue ;; esac # no JS/types: a .node or libraries
  # node16 profile: every package needs Node >= 20.17, so node10-style resolution (which ignores
  # "exports" subpaths such as @lite/core/internal) is not a way these packages can be loaded.
  "$repo/node_modules/.bin/attw" "$t" --profile node16 --format ascii --quiet || { echo "attw flagged $(basename "$t")" >&2; exit 1; }
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

bun=$(node "$repo/tools/runtime/fetch-bun.mjs") # Bun from npm (@oven/bun-linux-x64), cached per user

# ---- 2. full install, ESM + CJS consumers -------------------------------------------------
step "installing every tarball but @lite/mindspore's into a fresh npm project"
app="$tmp/app"
mkdir -p "$app/fixtures"
cp "$repo"/fixtures/{shufflenet.mge,shufflenet_input.npy,shufflenet_output.npy} "$app/fixtures/"
# megenginelite's output on this machine (the engine's kernels, hence the last bits, depend on the CPU)
cp "$(node "$repo/tools/models/lite-refs.mjs")/shufflenet_lite_output.npy" "$app/fixtures/"
cp "$here/check.mjs" "$here/check.cjs" "$here/check-shufflenet.cjs" "$here/npy.cjs" "$here/bun-async.mjs" "$app/"
echo '{ "name": "lite-pack-test-app", "version": "0.0.0", "private": true }' > "$app/package.json"
mapfile -t all_tgz < <(ls "$tmp"/tarballs/*.tgz | grep -v '/lite-mindspore-[0-9]\|/lite-runtime-mindspore-')
install_started=$(date +%s)
timed=()
if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -v -o "$tmp/install-time.txt"); fi
(cd "$app" && "${timed[@]}" "${clean_env[@]}" npm install --no-save --loglevel=error "${all_tgz[@]}")
echo "installed in $(( $(date +%s) - install_started )) s; node_modules: $(du -sh "$app/node_modules" | cut -f1) on disk ($(du -sh --apparent-size "$app/node_modules" | cut -f1) apparent)"
if [ -f "$tmp/install-time.txt" ]; then
  grep -E 'Elapsed \(wall clock\)|Maximum resident set size' "$tmp/install-time.txt" | sed 's/^\s*/  npm install: /'
fi
test -f "$app/node_modules/@lite/runtime-megengine-linux-x64-gnu/runtime/megenginelite/libs/liblite_shared_whl.so"
if [ -e "$app/node_modules/@lite/binding-linux-x64-gnu/runtime" ]; then echo "pack-test: the binding package still carries a runtime" >&2; exit 1; fi
if ls -d "$app"/node_modules/@lite/runtime-mindspore-* 2>/dev/null; then echo "pack-test: installing @lite/core installed a MindSpore runtime" >&2; exit 1; fi
# The installed size of @lite/core and everything it pulls in on linux-x64 (apparent bytes).
core_set=(core binding binding-linux-x64-gnu runtime-megengine-linux-x64-gnu)
core_bytes=0
for p in "${core_set[@]}"; do
  b=$(du -sb "$app/node_modules/@lite/$p" | cut -f1)
  printf '  installed @lite/%-34s %12d bytes\n' "$p" "$b"
  core_bytes=$((core_bytes + b))
done
extra_deps=$(cd "$app" && node -e '
  const seen = new Set(); const todo = ["@lite/core"]; const out = [];
  while (todo.length) { const n = todo.pop(); if (seen.has(n)) continue; seen.add(n);
    let pkg; try { pkg = require(n + "/package.json"); } catch { continue; }
    for (const d of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) todo.push(d); }
  for (const n of seen) if (!["@lite/core","@lite/binding","@lite/binding-linux-x64-gnu","@lite/runtime-megengine-linux-x64-gnu","@lite/binding-darwin-x64","@lite/runtime-megengine-darwin-x64","@lite/binding-linux-arm64-gnu"].includes(n)) out.push(n);
  console.log(out.join(" "));')
if [ -n "$extra_deps" ]; then echo "pack-test: @lite/core pulls in packages the size check does not count: $extra_deps" >&2; exit 1; fi
echo "installed size of @lite/core + its dependencies on linux-x64: $core_bytes bytes ($(human "$core_bytes"))"
if [ "$core_bytes" -gt 350000000 ]; then echo "pack-test: over the 350 MB bound" >&2; exit 1; fi
if find "$app/node_modules/@lite" -type l | grep -q .; then echo "pack-test: symlinks in the installed packages" >&2; exit 1; fi

step "ESM and CJS consumers"
(cd "$app" && "${clean_env[@]}" node check.mjs fixtures && "${clean_env[@]}" node check.cjs fixtures)
# The runtime really came from the platform package (the cache dir is empty, LITE_LIB_PATH unset).
(cd "$app" && "${clean_env[@]}" node -e '
  const b = require("@lite/binding");
  const core = require("@lite/core");
  new core.LiteNetwork().dispose();
  const p = b.loadRuntime();
  if (!p.includes("node_modules/@lite/runtime-megengine-linux-x64-gnu/runtime/")) { console.error("runtime loaded from " + p); process.exit(1); }
  console.log("runtime loaded from the runtime package: " + p.slice(p.indexOf("node_modules")));')

step "types of the installed packages: CJS and ESM consumers, node16, without esModuleInterop"
types_check() { # <project dir> <files...>: tsc over tools/pack-test/types/<files> as the project sees the packages
  local dir="$1/types-check"; shift
  mkdir -p "$dir"
  local list=""
  for f in "$@"; do cp "$here/types/$f" "$dir/"; list="$list\"$f\","; done
  printf '{ "extends": "%s", "compilerOptions": { "typeRoots": ["%s"] }, "files": [%s] }\n' \
    "$here/types/tsconfig.json" "$repo/packages/core/node_modules/@types" "${list%,}" > "$dir/tsconfig.json"
  "$repo/node_modules/.bin/tsc" -p "$dir/tsconfig.json"
  echo "tsc: $* type-check against the installed packages"
}
types_check "$app" consumer.cts consumer.mts

step "every fixture: the packaged runtime gives the original wheel library's outputs, bit for bit"
want=$(cd "$repo" && LITE_LIB_PATH="$(node tools/runtime/fetch-runtime.mjs --print)" node tools/pack-test/fixture-digest.cjs packages/core/dist/index.cjs fixtures)
got=$(cd "$app" && "${clean_env[@]}" node "$here/fixture-digest.cjs" @lite/core "$repo/fixtures")
node -e '
  const [want, got] = process.argv.slice(1).map((s) => JSON.parse(s));
  if (!got._runtime.includes("node_modules/@lite/runtime-megengine-linux-x64-gnu/")) throw new Error("packaged run loaded " + got._runtime);
  delete want._runtime; delete got._runtime;
  const keys = Object.keys(want);
  const bad = keys.filter((k) => want[k] !== got[k]);
  if (bad.length || Object.keys(got).length !== keys.length) { console.error("outputs differ: " + bad.join(", ")); process.exit(1); }
  console.log(keys.length + " fixture outputs bit-identical (sha256) to the original wheel library");' "$want" "$got"

step "without the runtime package: one clear error that names it"
mv "$app/node_modules/@lite/runtime-megengine-linux-x64-gnu" "$tmp/runtime-package-aside"
(cd "$app" && "${clean_env[@]}" node -e '
  const core = require("@lite/core");
  try { new core.LiteNetwork(); } catch (e) {
    if (e.code === "LITE_RUNTIME_NOT_FOUND" && e.message.includes("@lite/runtime-megengine-linux-x64-gnu")) {
      console.log(e.code + ": " + e.message.slice(0, 120) + "..."); process.exit(0);
    }
    console.error("unexpected error:", e); process.exit(1);
  }
  console.error("no error without the runtime package"); process.exit(1);')
mv "$tmp/runtime-package-aside" "$app/node_modules/@lite/runtime-megengine-linux-x64-gnu"

step "the same tarballs with pnpm (pnpm.overrides) and Bun (overrides): docs/tarball-install.md, run as written there"
# Before a release, @lite/core's dependencies on @lite/binding and the platform packages must be
# pointed at the tarballs; npm takes them from the command line, pnpm and Bun from overrides.
overrides=$(node -e '
  const [dir] = process.argv.slice(1); const fs = require("node:fs");
  const pick = (p) => dir + "/" + fs.readdirSync(dir).find((f) => f.startsWith(p) && /^[0-9]/.test(f.slice(p.length)));
  console.log(JSON.stringify({ "@lite/binding": "file:" + pick("lite-binding-"), "@lite/binding-linux-x64-gnu": "file:" + pick("lite-binding-linux-x64-gnu-"),
    "@lite/runtime-megengine-linux-x64-gnu": "file:" + pick("lite-runtime-megengine-linux-x64-gnu-") }));' "$tmp/tarballs")
for client in pnpm bun; do
  capp="$tmp/$client-app"
  mkdir -p "$capp"
  cp "$here/check.cjs" "$here/check-shufflenet.cjs" "$here/npy.cjs" "$capp/"
  if [ "$client" = pnpm ]; then
    printf '{ "name": "lite-pack-test-pnpm", "private": true, "pnpm": { "overrides": %s } }\n' "$overrides" > "$capp/package.json"
    (cd "$capp" && "${clean_env[@]}" "$(command -v pnpm)" add --store-dir "$tmp/pnpm-store" --reporter=silent "$(tgz lite-core)")
  else
    printf '{ "name": "lite-pack-test-bun", "private": true, "overrides": %s }\n' "$overrides" > "$capp/package.json"
    (cd "$capp" && "${clean_env[@]}" BUN_INSTALL_CACHE_DIR="$tmp/bun-cache" "$bun" add --silent "$(tgz lite-core)")
  fi
  (cd "$capp" && "${clean_env[@]}" node check.cjs "$app/fixtures" | sed "s/^/$client: /")
done

step "the lite-runtime command of the installed @lite/core (no CUDA runtime fetched, no index, no pip)"
if out=$(cd "$app" && "${clean_env[@]}" node_modules/.bin/lite-runtime path --cuda 2>&1); then
  echo "pack-test: lite-runtime path --cuda succeeded without a fetch: $out" >&2; exit 1
fi
echo "$out" | grep -q 'run `lite-runtime fetch --cuda`' || { echo "pack-test: unexpected: $out" >&2; exit 1; }
if out=$(cd "$app" && "${clean_env[@]}" node_modules/.bin/lite-runtime fetch --cuda --no-pip 2>&1); then
  echo "pack-test: lite-runtime fetch --cuda succeeded without an index: $out" >&2; exit 1
fi
echo "$out" | grep -q 'no package index URL is configured' || { echo "pack-test: unexpected: $out" >&2; exit 1; }
echo "lite-runtime: $out" | cut -c1-160
if [ -e "$tmp/empty-cache/runtime" ]; then echo "pack-test: a failed fetch left files in the cache" >&2; exit 1; fi

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

# ---- 4. @lite/mindspore alone -------------------------------------------------------------
step "installing @lite/mindspore alone into a fresh npm project"
msapp="$tmp/mindspore-only"
mkdir -p "$msapp"
echo '{ "name": "lite-pack-test-mindspore", "version": "0.0.0", "private": true }' > "$msapp/package.json"
cp "$here/check-mindspore.mjs" "$here/check-mindspore.cjs" "$here/npy.cjs" "$msapp/"
ms_started=$(date +%s)
(cd "$msapp" && "${clean_env[@]}" npm install --no-save --loglevel=error \
  "$(tgz lite-mindspore)" "$(tgz lite-binding)" "$(tgz lite-binding-linux-x64-gnu)" "$(tgz lite-runtime-mindspore-linux-x64-gnu)")
echo "installed in $(( $(date +%s) - ms_started )) s"
test -f "$msapp/node_modules/@lite/runtime-mindspore-linux-x64-gnu/runtime/liblite_mindspore_shim.so"
test -s "$msapp/node_modules/@lite/runtime-mindspore-linux-x64-gnu/runtime/Third_Party_Open_Source_Software_Notice"
if ls -d "$msapp"/node_modules/@lite/runtime-megengine-* "$msapp/node_modules/@lite/core" 2>/dev/null; then
  echo "pack-test: installing @lite/mindspore installed MegEngine packages" >&2; exit 1
fi
# Nothing @lite/mindspore depends on (installed or not) is MegEngine's.
ms_deps=$(cd "$msapp" && node -e '
  const seen = new Set(); const todo = ["@lite/mindspore"];
  while (todo.length) { const n = todo.pop(); if (seen.has(n)) continue; seen.add(n);
    let pkg; try { pkg = require(n + "/package.json"); } catch { continue; }
    for (const d of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) todo.push(d); }
  console.log([...seen].sort().join(" "));')
echo "@lite/mindspore and its dependencies: $ms_deps"
case " $ms_deps " in *runtime-megengine* | *" @lite/core "*) echo "pack-test: @lite/mindspore depends on MegEngine packages" >&2; exit 1 ;; esac
ms_bytes=0
for p in mindspore binding binding-linux-x64-gnu runtime-mindspore-linux-x64-gnu; do
  b=$(du -sb "$msapp/node_modules/@lite/$p" | cut -f1)
  printf '  installed @lite/%-34s %12d bytes\n' "$p" "$b"
  ms_bytes=$((ms_bytes + b))
done
echo "installed size of @lite/mindspore + its dependencies on linux-x64: $ms_bytes bytes ($(human "$ms_bytes"))"
if find "$msapp/node_modules/@lite" -type l | grep -q .; then echo "pack-test: symlinks in the installed packages" >&2; exit 1; fi

step "@lite/mindspore: every MindSpore fixture from ESM and CJS (runtime from the package)"
(cd "$msapp" && "${clean_env[@]}" node check-mindspore.mjs "$repo/fixtures/mindspore" && "${clean_env[@]}" node check-mindspore.cjs "$repo/fixtures/mindspore")
(cd "$msapp" && "${clean_env[@]}" node -e '
  const ms = require("@lite/mindspore");
  new ms.Model().buildFromFile(process.argv[1], ms.ModelType.MINDIR, new ms.Context());
  const p = require("@lite/binding").loadMindsporeRuntime();
  if (!p.includes("node_modules/@lite/runtime-mindspore-linux-x64-gnu/runtime")) { console.error("MindSpore runtime loaded from " + p); process.exit(1); }
  console.log("MindSpore runtime loaded from the runtime package: " + p.slice(p.indexOf("node_modules")));' "$repo/fixtures/mindspore/lenet.mindir")

types_check "$msapp" mindspore.cts mindspore.mts

step "under Bun (@oven/bun-linux-x64 from npm, cached per user): both engines from ESM and CJS, same outputs as under Node"
# Under Bun, MindSpore Lite's engine runs `cat /proc/cpuinfo|grep cpu\ MHz | sed ...` through sh
# (libmindspore_core.so); a user's PATH has them, this clean one gets them for that alone.
for tool in cat grep sed; do ln -sf "$(command -v "$tool")" "$tmp/bin/$tool"; done
(cd "$app" && "${clean_env[@]}" "$bun" check.mjs fixtures && "${clean_env[@]}" "$bun" check.cjs fixtures)
(cd "$msapp" && "${clean_env[@]}" "$bun" check-mindspore.mjs "$repo/fixtures/mindspore" && "${clean_env[@]}" "$bun" check-mindspore.cjs "$repo/fixtures/mindspore")
(cd "$app" && "${clean_env[@]}" "$bun" bun-async.mjs fixtures)

step "glibc floor: every ELF file of the installed tarballs needs at most Node 20's GLIBC_2.28 / GLIBCXX_3.4.25"
node "$repo/tools/release/glibc-floor.mjs" "$app/node_modules/@lite" "$msapp/node_modules/@lite"

step "@lite/mindspore without its runtime package: one clear error that names it"
mv "$msapp/node_modules/@lite/runtime-mindspore-linux-x64-gnu" "$tmp/ms-runtime-aside"
(cd "$msapp" && "${clean_env[@]}" node -e '
  const ms = require("@lite/mindspore");
  try { new ms.Model().buildFromFile(process.argv[1], ms.ModelType.MINDIR, new ms.Context()); } catch (e) {
    if (e.code === "LITE_RUNTIME_NOT_FOUND" && e.message.includes("@lite/runtime-mindspore-linux-x64-gnu")) {
      console.log(e.code + ": " + e.message.slice(0, 120) + "..."); process.exit(0);
    }
    console.error("unexpected error:", e); process.exit(1);
  }
  console.error("no error without the runtime package"); process.exit(1);' "$repo/fixtures/mindspore/lenet.mindir")

echo
echo "[pack-test] passed in $(( $(date +%s) - started )) s"
