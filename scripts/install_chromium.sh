#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; its own browser download is not used).
# Does nothing when Chromium is there already ($CHROMIUM, else /usr/bin/chromium).
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  AS_ROOT=()
elif command -v sudo >/dev/null 2>&1; then
  AS_ROOT=(sudo)
else
  echo "The browser tests need Chromium at $CHROMIUM. Install Debian's packages 'chromium' and" \
       "'chromium-driver' as root (apt-get install chromium chromium-driver), or set CHROMIUM." >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
if ! "${AS_ROOT[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null; then
  "${AS_ROOT[@]}" apt-get update -qq
  "${AS_ROOT[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
fi
"$CHROMIUM" --version
