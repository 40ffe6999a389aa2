#!/usr/bin/env bash
# Browser tests drive a real Chromium. Use CHROMIUM_PATH, else Debian's
# /usr/bin/chromium, installing it with apt-get when we are root on Debian.
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && exit 0
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
  exit 1
fi
[ -x /usr/bin/chromium ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium package for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi

cat >&2 <<'MSG'
The browser tests need Chromium, and none was found.
Install Debian's package (sudo apt-get install chromium), or point CHROMIUM_PATH
at a Chromium or Chrome executable, then run `make test` again.
MSG
exit 1
