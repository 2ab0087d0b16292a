#!/usr/bin/env bash
# The packaging test: what a user gets from a registry, and from the tarballs.
#
#  1. Copy this checkout (with its build) to a temporary "clone" and run there what the guides
#     say (`pnpm run pack`, tools/release/pack-set.mjs): `pnpm pack` of every public workspace
#     package (workspace: ranges become real versions), and the staged + packed linux-x64-gnu platform packages
#     (tools/release/prepare-platform-package.mjs):
#     @lite/binding-linux-x64-gnu (the .node) and @lite/runtime-megengine-linux-x64-gnu (the
#     runtime, libmegengine_shared.so slimmed by slim-elf.mjs, the libnvrtc stand-in), and
#     @lite/runtime-mindspore-linux-x64-gnu (tools/release/prepare-mindspore-runtime.mjs: the
#     MindSpore Lite libraries, our shim, MindSpore's third-party notices). Every guide and package
#     README must give the local-registry and the tarball routes (doc-install.mjs check).
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
#  5. The guides' install instructions as written (doc-install.mjs extracts them): the tarball
#     route in a fresh project; then the local registry: `pnpm run registry &` and
#     `pnpm run release:local` in the clone (changeset version in a copy, then
#     tools/release/publish.mjs --registry, this platform's packages with the rest), and in a
#     fresh project `npm install @lite/core`, `@lite/mindspore`, `@lite/utils`, `@lite/crypto`,
#     `@lite/ndarray` by name; every fixture of both engines from ESM and CJS; an installed engine
#     without its runtime package names it even with a full developer cache (and uses the cache
#     only with LITE_USE_CACHED_RUNTIME=1); then a patch release (a changeset, changeset version,
#     release:local, which skips the already published runtimes) taken with `npm update`.
#     Prints the `registry: ` lines.
#
# Needs a finished build (`pnpm run build`) and the fetched runtimes (`pnpm run setup`, and the
# MindSpore one of tools/setup.sh). Port 4873 on 127.0.0.1 must be free (the guides' registry).
# Writes nothing into the repo (checked at the end with git status); everything lives in one temp
# dir that is removed at exit (LITE_PACK_TEST_KEEP=1 keeps it). The slimmed runtime copy and the
# packed runtime tarballs are cached per user (~/.cache/lite-node); staged packages hard-link them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$repo/tools/pack-test"
started=$(date +%s)

if [ "$(node -p 'process.platform + "-" + process.arch')" != linux-x64 ]; then
  echo "pack-test: only linux-x64 has a packaged runtime to test; skipped"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lite-pack-test.XXXXXX")
registry_job=
cleanup() {
  # The local registry started in step 5 (its own process group: `set -m` there), if still running.
  if [ -n "$registry_job" ] && kill -0 "$registry_job" 2>/dev/null; then kill -INT -- "-$registry_job" 2>/dev/null || true; wait "$registry_job" 2>/dev/null || true; fi
  if [ "${LITE_PACK_TEST_KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
# The checkout must be exactly as it was at the end (the release path rewrites versions in copies only).
checkout_state() { if [ -d "$repo/.git" ] || [ -f "$repo/.git" ]; then git -C "$repo" status --porcelain --untracked-files=all; fi; }
state_before=$(checkout_state)
last=$started
step() { printf '\n[pack-test] %s  (+%d s)\n' "$*" "$(( $(date +%s) - last ))"; last=$(date +%s); }
human() { numfmt --to=iec --suffix=B "$1"; }

# ---- 1. pack -----------------------------------------------------------------------------
# The clone a user has: a copy of this checkout (with its build), where the guides' commands run.
step "a clone of the repository (a copy of this checkout) and its tarballs, made as the guides say (pnpm run pack)"
clone="$tmp/lite-node"
node "$repo/tools/release/repo-copy.mjs" "$clone"
node "$here/doc-install.mjs" "$repo" check
mapfile -d '' -t tarball_clone_blocks < <(node "$here/doc-install.mjs" "$repo" blocks tarball-clone)
for block in "${tarball_clone_blocks[@]}"; do
  echo "+ (in the clone) $block" | sed '/^$/d'
  (cd "$clone" && bash -euo pipefail -c "$block")
done
tarballs="$clone/tarballs"
mapfile -t public_dirs < <(cd "$repo" && node -e '
  const { readdirSync, existsSync, readFileSync } = require("node:fs");
  const dirs = ["crates/lite-napi", ...readdirSync("packages").map((d) => "packages/" + d)];
  for (const d of dirs) {
    if (!existsSync(d + "/package.json")) continue;
    const p = JSON.parse(readFileSync(d + "/package.json", "utf8"));
    if (!p.private) console.log(d);
  }')

echo "tarballs:"
for t in "$tarballs"/*.tgz; do
  printf '  %-44s %9s\n' "$(basename "$t")" "$(human "$(stat -c %s "$t")")"
done
tgz() { ls "$tarballs"/"$1"-[0-9]*.tgz; }

step "publint and are-the-types-wrong on every public package"
for dir in "${public_dirs[@]}"; do
  (cd "$repo/$dir" && "$repo/node_modules/.bin/publint" --strict --pack pnpm | grep -v '^Running\|^Packing\|^Linting')
done
for t in "$tarballs"/*.tgz; do
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
mapfile -t all_tgz < <(ls "$tarballs"/*.tgz | grep -v '/lite-mindspore-[0-9]\|/lite-runtime-mindspore-')
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
core_set=(core common binding binding-linux-x64-gnu runtime-megengine-linux-x64-gnu)
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
  for (const n of seen) if (!["@lite/core","@lite/common","@lite/binding","@lite/binding-linux-x64-gnu","@lite/runtime-megengine-linux-x64-gnu","@lite/binding-darwin-x64","@lite/runtime-megengine-darwin-x64","@lite/binding-linux-arm64-gnu"].includes(n)) out.push(n);
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
  console.log(JSON.stringify({ "@lite/common": "file:" + pick("lite-common-"), "@lite/binding": "file:" + pick("lite-binding-"), "@lite/binding-linux-x64-gnu": "file:" + pick("lite-binding-linux-x64-gnu-"),
    "@lite/runtime-megengine-linux-x64-gnu": "file:" + pick("lite-runtime-megengine-linux-x64-gnu-") }));' "$tarballs")
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
if ls "$tarballs"/lite-utils-*.tgz >/dev/null 2>&1; then
  step "installing @lite/utils alone (with its peer @lite/core, without the platform package)"
  solo="$tmp/utils-only"
  mkdir -p "$solo"
  echo '{ "name": "lite-pack-test-utils", "version": "0.0.0", "private": true }' > "$solo/package.json"
  cp "$here/missing-platform.cjs" "$solo/"
  (cd "$solo" && "${clean_env[@]}" npm install --no-save --loglevel=error --omit=optional \
    "$(tgz lite-utils)" "$(tgz lite-core)" "$(tgz lite-common)" "$(tgz lite-binding)")
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
  "$(tgz lite-mindspore)" "$(tgz lite-common)" "$(tgz lite-binding)" "$(tgz lite-binding-linux-x64-gnu)" "$(tgz lite-runtime-mindspore-linux-x64-gnu)")
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
for p in mindspore common binding binding-linux-x64-gnu runtime-mindspore-linux-x64-gnu; do
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

# ---- 5. the guides' install instructions, as written: tarballs, then a local registry -------
# doc-install.mjs extracts the marked `sh` blocks of every guide and package README (checked in
# step 1: each has both routes). "clone" blocks run in $clone, "project" blocks in a fresh npm
# project with the clean environment (LITE_NODE = the clone for the tarball route).
run_project_blocks() { # <project dir> <marker> <log>
  local dir=$1 marker=$2 log=$3 block
  mapfile -d '' -t blocks < <(node "$here/doc-install.mjs" "$repo" blocks "$marker")
  for block in "${blocks[@]}"; do
    printf '+ (in the project) %s' "$block" >>"$log"
    if ! (cd "$dir" && "${clean_env[@]}" "LITE_NODE=$clone" /bin/bash -euo pipefail -c "$block" >>"$log" 2>&1); then
      cat "$log" >&2; echo "pack-test: a documented $marker block failed:" >&2; echo "$block" >&2; exit 1
    fi
  done
  echo "${#blocks[@]} documented $marker blocks ran: $(printf '%s' "${blocks[@]}" | grep -c '^npm install') npm installs"
}
new_project() { mkdir -p "$1"; echo "{ \"name\": \"$(basename "$1")\", \"version\": \"0.0.0\", \"private\": true }" > "$1/package.json"; }
# The fixtures each engine's consumers check, copied into a project.
add_fixtures() {
  mkdir -p "$1/fixtures"
  cp "$repo"/fixtures/{shufflenet.mge,shufflenet_input.npy,shufflenet_output.npy} "$app/fixtures/shufflenet_lite_output.npy" "$1/fixtures/"
  cp "$here"/{check.mjs,check.cjs,check-shufflenet.cjs,check-mindspore.mjs,check-mindspore.cjs,npy.cjs,installed-closure.cjs} "$1/"
}
run_fixtures() { # <project dir>: both engines from ESM and CJS, runtimes from their packages
  (cd "$1" && "${clean_env[@]}" node check.mjs fixtures && "${clean_env[@]}" node check.cjs fixtures \
    && "${clean_env[@]}" node check-mindspore.mjs "$repo/fixtures/mindspore" && "${clean_env[@]}" node check-mindspore.cjs "$repo/fixtures/mindspore")
}
# Every @lite package a project has, name@version, sorted (what the lockfile resolved).
installed_lite() { (cd "$1" && node -e '
  const lock = require("./package-lock.json");
  const out = Object.entries(lock.packages).filter(([p]) => /^node_modules\/@lite\//.test(p)).map(([p, v]) => p.slice(13) + "@" + v.version);
  console.log(out.sort().join(" "));'); }

step "the tarball route of every guide, in a fresh npm project (LITE_NODE = the clone)"
tarapp="$tmp/tarball-app"
new_project "$tarapp"
run_project_blocks "$tarapp" tarball-project "$tmp/tarball-route.log"
for p in binding-linux-x64-gnu runtime-megengine-linux-x64-gnu runtime-mindspore-linux-x64-gnu core common mindspore utils crypto ndarray; do
  test -f "$tarapp/node_modules/@lite/$p/package.json" || { echo "pack-test: the tarball route did not install @lite/$p" >&2; exit 1; }
done
add_fixtures "$tarapp"
run_fixtures "$tarapp"

registry_started=$(date +%s)
step "local registry: the guides' commands in the clone (pnpm run registry &, pnpm run release:local)"
mapfile -d '' -t registry_clone_blocks < <(node "$here/doc-install.mjs" "$repo" blocks registry-clone)
release_log="$tmp/release-local.log"
cd "$clone"
set -m # the registry runs as a job in a process group of its own, stopped with SIGINT like Ctrl-C
for block in "${registry_clone_blocks[@]}"; do
  while IFS= read -r line; do
    [ -n "${line// /}" ] || continue
    echo "+ (in the clone) $line"
    if ! eval "$line" >>"$release_log" 2>&1; then cat "$release_log" >&2; echo "pack-test: failed in the clone: $line" >&2; exit 1; fi
  done <<<"$block"
done
registry_job=$!
set +m
cd "$repo"
grep -q '^\[registry\] serving http://127.0.0.1:4873/' "$release_log" || { cat "$release_log" >&2; echo "pack-test: the registry did not start" >&2; exit 1; }
grep '^\[release:local\] versions:' "$release_log"
echo "published: $(grep -c '^New tag: ' "$release_log") packages ($(grep '^New tag: ' "$release_log" | sed 's/^New tag: //' | tr '\n' ' '))"
if grep -q '^New tag: @lite/\(binding-\|runtime-\).*\(darwin\|arm64\)' "$release_log"; then echo "pack-test: another platform's package was published" >&2; exit 1; fi

step "install by name from the local registry in a fresh npm project: the guides' npm install commands"
regapp="$tmp/registry-app"
new_project "$regapp"
run_project_blocks "$regapp" registry-project "$tmp/registry-route.log"
# Every @lite package came from the local registry (its integrity is the one the registry
# serves: the lockfile may omit "resolved", omit-lockfile-registry-resolved), and npm chose the
# platform packages by the os/cpu/libc of the registry's metadata (recorded in the lockfile).
(cd "$regapp" && node -e '
  const lock = require("./package-lock.json");
  const lite = Object.entries(lock.packages).filter(([p]) => p.startsWith("node_modules/@lite/"));
  (async () => {
    for (const [p, v] of lite) {
      const name = p.slice("node_modules/".length);
      const doc = await (await fetch("http://127.0.0.1:4873/" + name.replace("/", "%2f"))).json();
      const served = doc.versions?.[v.version]?.dist?.integrity;
      if (!served || served !== v.integrity) throw new Error(name + "@" + v.version + ": installed integrity " + v.integrity + ", the local registry serves " + served);
    }
    for (const n of ["binding-linux-x64-gnu", "runtime-megengine-linux-x64-gnu", "runtime-mindspore-linux-x64-gnu"]) {
      const v = lock.packages["node_modules/@lite/" + n];
      if (!v || JSON.stringify([v.os, v.cpu, v.libc]) !== JSON.stringify([["linux"], ["x64"], ["glibc"]])) throw new Error("@lite/" + n + ": no linux/x64/glibc platform fields in the registry metadata: " + JSON.stringify(v));
    }
    console.log(lite.length + " @lite packages, each with the integrity the local registry serves; platform packages chosen by os/cpu/libc");
  })().catch((e) => { console.error("pack-test: " + e.message); process.exit(1); });')
for engine in core mindspore; do
  closure=$(cd "$regapp" && node "$here/installed-closure.cjs" "@lite/$engine")
  node -e '
    const c = JSON.parse(process.argv[1]);
    console.log(`registry: installed ${c.name}@${c.version} by name: ${c.packages.length} packages, ${(c.bytes / 1e6).toFixed(1)} MB`);
    console.log(`  (${c.packages.join(", ")})`);' "$closure"
  # Both engines share @lite/common (the one LiteError), installed as a dependency by name.
  if [[ "$closure" != *'"@lite/common@'* ]]; then echo "pack-test: @lite/$engine did not pull @lite/common" >&2; exit 1; fi
  if [ "$engine" = core ] && [[ "$closure" == *runtime-mindspore* ]]; then echo "pack-test: @lite/core pulled a MindSpore runtime" >&2; exit 1; fi
  if [ "$engine" = mindspore ] && [[ "$closure" == *runtime-megengine* || "$closure" == *'"@lite/core@'* ]]; then echo "pack-test: @lite/mindspore pulled MegEngine packages" >&2; exit 1; fi
done
add_fixtures "$regapp"
run_fixtures "$regapp"
(cd "$regapp" && "${clean_env[@]}" node -e '
  const { TensorBatchCollector } = require("@lite/utils");
  const { LiteDeviceType } = require("@lite/core");
  const c = new TensorBatchCollector([2, 3], { dtype: "float32", deviceType: LiteDeviceType.LITE_CPU });
  const i = c.collect(new Float32Array([1, 2, 3]));
  const got = Array.from(c.toTypedArray().slice(0, 3));
  if (i !== 0 || got.join() !== "1,2,3") { console.error("@lite/utils: collect gave " + i + " / " + got); process.exit(1); }
  console.log("@lite/utils: TensorBatchCollector collected a sample into slot 0");')

step "no silent fallback: without its runtime package an installed engine names the package, even with a full developer cache"
dev_cache="${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}"
test -d "$dev_cache/runtime" || { echo "pack-test: no developer runtime cache at $dev_cache (run pnpm run setup)" >&2; exit 1; }
for pair in "core runtime-megengine-linux-x64-gnu" "mindspore runtime-mindspore-linux-x64-gnu"; do
  set -- $pair
  mv "$regapp/node_modules/@lite/$2" "$tmp/aside-$2"
  (cd "$regapp" && env -i "HOME=$HOME" "PATH=$tmp/bin" "LITE_CACHE_DIR=$dev_cache" node -e '
    const [engine, runtimePkg, model] = process.argv.slice(1);
    const m = require("@lite/" + engine);
    const load = () => engine === "core" ? new m.LiteNetwork().load(model) : new m.Model().buildFromFile(model, m.ModelType.MINDIR, new m.Context());
    try { load(); } catch (e) {
      if (e.code === "LITE_RUNTIME_NOT_FOUND" && e.message.includes(runtimePkg) && !e.message.includes("\n")) { console.log("@lite/" + engine + ": " + e.code + ": " + e.message.slice(0, 110) + "..."); process.exit(0); }
      console.error("unexpected error:", e); process.exit(1);
    }
    console.error("@lite/" + engine + " loaded a runtime from the developer cache without being asked"); process.exit(1);' \
    "$1" "@lite/$2" "$([ "$1" = core ] && echo "$repo/fixtures/mlp.mge" || echo "$repo/fixtures/mindspore/lenet.mindir")")
  # Asked for: LITE_USE_CACHED_RUNTIME=1 loads the cached runtime.
  (cd "$regapp" && env -i "HOME=$HOME" "PATH=$tmp/bin" "LITE_CACHE_DIR=$dev_cache" LITE_USE_CACHED_RUNTIME=1 node -e '
    const [engine, model, cache] = process.argv.slice(1);
    const m = require("@lite/" + engine);
    const b = require("@lite/binding");
    let from;
    if (engine === "core") { const n = new m.LiteNetwork(); n.load(model); n.dispose(); from = b.loadRuntime(); }
    else { const x = new m.Model(); x.buildFromFile(model, m.ModelType.MINDIR, new m.Context()); x.dispose(); from = b.loadMindsporeRuntime(); }
    if (!from.startsWith(cache)) { console.error("with LITE_USE_CACHED_RUNTIME=1 the runtime came from " + from); process.exit(1); }
    console.log("@lite/" + engine + " with LITE_USE_CACHED_RUNTIME=1: runtime from the cache");' \
    "$1" "$([ "$1" = core ] && echo "$repo/fixtures/mlp.mge" || echo "$repo/fixtures/mindspore/lenet.mindir")" "$dev_cache")
  mv "$tmp/aside-$2" "$regapp/node_modules/@lite/$2"
done

step "a patch release: a changeset, changeset version, pnpm run release:local, then npm update in the same project"
before=$(installed_lite "$regapp")
# The first release's "Version Packages" pull request, merged: the clone now has its versions.
(cd "$clone" && pnpm run version-packages >>"$release_log" 2>&1)
cat > "$clone/.changeset/pack-test-patch.md" <<'EOF_CHANGESET'
---
"@lite/core": patch
---

A patch release made by the packaging test.
EOF_CHANGESET
{ printf '\n---- second release\n'; } >>"$release_log"
(cd "$clone" && pnpm run release:local >>"$release_log" 2>&1) || { cat "$release_log" >&2; echo "pack-test: the patch release failed" >&2; exit 1; }
grep -q '@lite/runtime-megengine-linux-x64-gnu@1.13.0 is already published' "$release_log" || { echo "pack-test: the patch release republished the runtime" >&2; exit 1; }
sed -n '/^---- second release/,$p' "$release_log" | grep '^\[release:local\] versions:' | sed 's/^/patch release: /'
(cd "$regapp" && "${clean_env[@]}" npm update --loglevel=error >>"$tmp/registry-route.log" 2>&1) || { cat "$tmp/registry-route.log" >&2; exit 1; }
after=$(installed_lite "$regapp")
node -e '
  const parse = (s) => new Map(s.split(" ").map((x) => { const i = x.lastIndexOf("@"); return [x.slice(0, i), x.slice(i + 1)]; }));
  const [before, after] = process.argv.slice(1).map(parse);
  const inc = (v) => v.replace(/(\d+)$/, (d) => String(Number(d) + 1));
  const changed = [], kept = [];
  const fail = (m) => { console.error("pack-test: after npm update " + m); process.exit(1); };
  for (const [name, v] of before) {
    const w = after.get(name);
    if (name.includes("/runtime-")) { if (w !== v) fail(name + " changed " + v + " -> " + w); kept.push(name + "@" + v); continue; }
    if (w !== inc(v)) fail(name + " is " + w + " (was " + v + "), not the patch " + inc(v));
    changed.push(name);
  }
  const core = before.get("@lite/core"), ms = before.get("@lite/mindspore");
  console.log(`registry: npm update took @lite/core ${core} -> ${after.get("@lite/core")} and @lite/mindspore ${ms} -> ${after.get("@lite/mindspore")} (${changed.length} packages updated, ${kept.join(", ")} kept); the fixtures pass on the new version`);' "$before" "$after" > "$tmp/update-line.txt"
run_fixtures "$regapp"
cat "$tmp/update-line.txt"

step "stopping the local registry (SIGINT, as Ctrl-C)"
kill -INT -- "-$registry_job"
wait "$registry_job" || true
registry_job=
grep -q '^\[registry\] stopped (SIGINT)' "$release_log" || { tail -5 "$release_log" >&2; echo "pack-test: the registry did not stop cleanly" >&2; exit 1; }
echo "registry stopped; the registry phase took $(( $(date +%s) - registry_started )) s"
if [ "$(checkout_state)" != "$state_before" ]; then echo "pack-test: the checkout was modified:" >&2; diff <(echo "$state_before") <(checkout_state) >&2; exit 1; fi

echo
echo "[pack-test] passed in $(( $(date +%s) - started )) s"
