#!/usr/bin/env bash
# Create (once) the Python 3.7 venv used by tools/models/make_mindspore_fixtures.py and
# tools/bench/bench_mindspore_py.py: numpy, onnx and the pinned mindspore-lite 2.0.0 wheel
# (the same file the runtime fetcher verified; it is the only version the package index has,
# and it exists for CPython 3.7 only).
#
#   venv:   ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}/py37-mindspore
#   wheel:  <cache>/wheels/mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl
#           (fetched and sha256-checked by `node tools/runtime/fetch-runtime.mjs --engine mindspore`)
#
# Idempotent (marker file in the venv); prints the venv's python path as its last line:
#   PY="$(tools/models/setup-python-mindspore.sh | tail -n1)"
# Interpreter: LITE_PYTHON37, else pyenv's newest 3.7.x, else python3.7 on PATH.
# Fixture generation only: neither setup.sh nor CI runs this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# numpy<1.22 and onnx<1.15 still ship cp37 wheels; protobuf<4 keeps onnx 1.14 importable.
EXTRA_REQS=("numpy==1.21.6" "onnx==1.14.1" "protobuf==3.20.3")
RECIPE_VERSION=1
CACHE_ROOT="${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}"
VENV="$CACHE_ROOT/py37-mindspore"
MARKER="$VENV/.lite-node-setup-done"
log() { echo "[setup-python-mindspore] $*" >&2; }

if [[ -f "$MARKER" && -x "$VENV/bin/python" ]] && grep -qx "recipe=$RECIPE_VERSION" "$MARKER"; then
  echo "$VENV/bin/python"; exit 0
fi

PY="${LITE_PYTHON37:-}"
if [[ -z "$PY" ]]; then
  PY="$(ls -1d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.7.* 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$PY" ]] && PY="$PY/bin/python"
fi
[[ -z "$PY" ]] && PY="$(command -v python3.7 || true)"
if [[ -z "$PY" || ! -x "$PY" ]]; then
  log "ERROR: CPython 3.7 is needed (mindspore-lite 2.0.0 has cp37 wheels only): pyenv install 3.7.16, or set LITE_PYTHON37"
  exit 1
fi

node tools/runtime/fetch-runtime.mjs --engine mindspore >&2
WHEEL="$CACHE_ROOT/wheels/mindspore_lite-2.0.0-cp37-cp37m-manylinux1_x86_64.whl"

export PIP_CACHE_DIR="$CACHE_ROOT/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
rm -rf "$VENV"
log "creating $VENV with $PY"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "${EXTRA_REQS[@]}" "$WHEEL" >&2
"$VENV/bin/python" -c 'import numpy, onnx, mindspore_lite; print("numpy", numpy.__version__, "onnx", onnx.__version__)' >&2
printf 'recipe=%s\npython=%s\n' "$RECIPE_VERSION" "$PY" >"$MARKER"
echo "$VENV/bin/python"
