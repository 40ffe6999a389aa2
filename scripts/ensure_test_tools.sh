#!/usr/bin/env bash
# What the test suite runs besides Python: a real Chromium for the browser tests
# (CHROMIUM_PATH, else Debian's /usr/bin/chromium) and PgBouncer, which the isolation
# tests run through. Missing ones are installed with apt-get when we are root on
# Debian; otherwise we stop and say what to install.
set -euo pipefail

missing=()
if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
    exit 1
  fi
elif [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's ${missing[*]} for the tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi

cat >&2 <<MSG
The tests need ${missing[*]}, not found on this machine.
Install Debian's packages (sudo apt-get install ${missing[*]}); for the browser you may
instead point CHROMIUM_PATH at a Chromium or Chrome executable. Then run \`make test\` again.
MSG
exit 1
