#!/usr/bin/env bash
# Create (once) the Python venv used by tools/models/make_fixtures.py.
#
#   venv:      ${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}/py310
#   wheels:    ${LITE_CACHE_DIR...}/wheels/MegEngine-1.13.0-<pytag>-<pytag>-manylinux2014_x86_64.whl
#   pip cache: ${LITE_CACHE_DIR...}/pip   (never inside the repo)
#
# Idempotent: a marker file inside the venv records what was installed; when it
# matches, the script exits at once. Prints the venv's python path on stdout as
# its last line, so callers can do:  PY="$(tools/models/setup-python.sh | tail -n1)"
#
# Interpreter choice: pyenv's newest 3.10.x, else `python3.10` on PATH, else
# `python3.9` on PATH (Debian bullseye), else a clear error. MegEngine 1.13
# ships wheels only for CPython <= 3.10.
#
# Env knobs:
#   LITE_CACHE_DIR     cache root (default: $XDG_CACHE_HOME/lite-node or ~/.cache/lite-node)
#   LITE_PYTHON        force an interpreter
#   LITE_MEGENGINE_WHEEL  force a wheel file
#   LITE_SETUP_FORCE=1 rebuild the venv even if the marker matches
set -euo pipefail

MEGENGINE_VERSION=1.13.0
# Extra requirements installed next to the wheel. numpy<2: MegEngine 1.13 is
# built against the numpy 1.x ABI. opencv-python<4.11: later releases require
# numpy>=2, which would conflict.
EXTRA_REQS=("numpy<2" "opencv-python<4.11" "cryptography")
# Bump when the install recipe changes so existing venvs are rebuilt.
RECIPE_VERSION=1

CACHE_ROOT="${LITE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lite-node}"
VENV="$CACHE_ROOT/py310"
MARKER="$VENV/.lite-node-setup-done"

log() { echo "[setup-python] $*" >&2; }

# ---- pick an interpreter -------------------------------------------------
find_python() {
  if [[ -n "${LITE_PYTHON:-}" ]]; then echo "$LITE_PYTHON"; return 0; fi
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  if [[ -d "$root/versions" ]]; then
    local best
    best="$(ls -1d "$root"/versions/3.10.* 2>/dev/null | sort -V | tail -n1 || true)"
    if [[ -n "$best" && -x "$best/bin/python" ]]; then echo "$best/bin/python"; return 0; fi
  fi
  local cand
  for cand in python3.10 python3.9; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys' >/dev/null 2>&1; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

# ---- fast path -----------------------------------------------------------
if [[ -f "$MARKER" && -x "$VENV/bin/python" && "${LITE_SETUP_FORCE:-0}" != 1 ]]; then
  if grep -qx "recipe=$RECIPE_VERSION" "$MARKER" 2>/dev/null; then
    echo "$VENV/bin/python"
    exit 0
  fi
fi

if ! PY="$(find_python)"; then
  cat >&2 <<EOF
[setup-python] ERROR: no suitable Python found.
  MegEngine $MEGENGINE_VERSION needs CPython 3.10 (or 3.9). Install one of:
    pyenv install 3.10.13        (preferred; picked up from \$PYENV_ROOT/versions)
    apt-get install python3.9 python3.9-venv   (Debian bullseye)
  or point LITE_PYTHON at an interpreter.
EOF
  exit 1
fi
PYTAG="$("$PY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
case "$PYTAG" in
  cp39|cp310) ;;
  *) log "ERROR: $PY is $PYTAG; MegEngine $MEGENGINE_VERSION needs cp39 or cp310."; exit 1 ;;
esac
log "using $PY ($PYTAG)"

# ---- locate the wheel ----------------------------------------------------
WHEEL="${LITE_MEGENGINE_WHEEL:-$CACHE_ROOT/wheels/MegEngine-$MEGENGINE_VERSION-$PYTAG-$PYTAG-manylinux2014_x86_64.whl}"
if [[ -f "$WHEEL" ]]; then
  MEGENGINE_REQ="$WHEEL"
else
  log "wheel not found at $WHEEL; will ask the configured package index for megengine==$MEGENGINE_VERSION"
  MEGENGINE_REQ="megengine==$MEGENGINE_VERSION"
fi

# ---- build the venv ------------------------------------------------------
export PIP_CACHE_DIR="$CACHE_ROOT/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$CACHE_ROOT" "$PIP_CACHE_DIR"

rm -rf "$VENV"
log "creating venv at $VENV"
if ! "$PY" -m venv "$VENV"; then
  log "ERROR: '$PY -m venv' failed (on Debian: apt-get install python3.9-venv)."
  exit 1
fi
VPY="$VENV/bin/python"
log "installing megengine $MEGENGINE_VERSION + ${EXTRA_REQS[*]} (pip cache: $PIP_CACHE_DIR)"
"$VPY" -m pip install --quiet "$MEGENGINE_REQ" "${EXTRA_REQS[@]}" >&2

log "checking imports"
"$VPY" - >&2 <<'EOF'
import numpy, megengine, megenginelite
print("numpy", numpy.__version__, "megengine", megengine.__version__)
EOF

{
  echo "recipe=$RECIPE_VERSION"
  echo "python=$PY"
  echo "megengine=$MEGENGINE_REQ"
  echo "extra=${EXTRA_REQS[*]}"
} >"$MARKER"
log "done"
echo "$VPY"
