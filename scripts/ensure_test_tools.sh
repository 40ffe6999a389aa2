#!/usr/bin/env bash
# What runs besides Python. By default what the test suite needs: a real Chromium for
# the browser tests (CHROMIUM_PATH, else Debian's /usr/bin/chromium), PgBouncer, which
# the isolation tests run through, and HAProxy, in front of two app servers in
# tests/test_app_nodes.py. With --ha, what `make ha` and the soak's part 6 need:
# pg_auto_failover (Debian's postgresql-15-auto-failover) and HAProxy. Missing ones
# are installed with apt-get when we are root on Debian; otherwise we stop and say
# what to install.
set -euo pipefail

missing=()
needed_by="The tests need"
again="make test"
if [ "${1:-}" = "--ha" ]; then
  needed_by="make ha needs"
  again="make ha"
  command -v pg_autoctl >/dev/null 2>&1 || missing+=(postgresql-15-auto-failover)
else
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    if [ ! -x "$CHROMIUM_PATH" ]; then
      echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
      exit 1
    fi
  elif [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
  fi
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
fi
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's ${missing[*]}..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No service of theirs started: the package's own haproxy would hold port 80, and
  # what we run, we start with configurations of our own.
  policy=/usr/sbin/policy-rc.d
  created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  status=0
  apt-get install -y -qq "${missing[@]}" >/dev/null || status=$?
  [ -n "$created_policy" ] && rm -f "$policy"
  exit $status
fi

cat >&2 <<MSG
$needed_by ${missing[*]}, not found on this machine.
Install Debian's packages (sudo apt-get install ${missing[*]}); for the browser you may
instead point CHROMIUM_PATH at a Chromium or Chrome executable. Then run \`$again\` again.
MSG
exit 1
