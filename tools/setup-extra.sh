#!/usr/bin/env bash
# Extra system packages for the demo's browser test (called by tools/setup.sh when present).
# Installs Debian's chromium (/usr/bin/chromium) when it is missing. Idempotent and quiet:
# does nothing when chromium is already there. Needs root (or sudo) and apt-get; on other
# systems it prints how to get a browser and carries on (the browser test then says so).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${LITE_CHROMIUM:-}" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[setup-extra] chromium not found and no apt-get: install Chromium and set LITE_CHROMIUM=/path/to/chromium for the browser test" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "[setup-extra] chromium not found; run as root: apt-get install chromium" >&2
    exit 0
  fi
fi
echo "[setup-extra] installing Debian's chromium (browser test)"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "[setup-extra] installing chromium failed (see above); the browser test needs it" >&2
  exit 1
fi
command -v chromium >/dev/null 2>&1 && chromium --version 2>/dev/null || true
