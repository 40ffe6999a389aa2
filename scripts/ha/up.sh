#!/usr/bin/env bash
# `make ha`: a pg_auto_failover formation (monitor, primary, synchronous standby; see
# scripts/ha/cluster.py), the roles and migrations as `make db` does them, the demo
# clinics, and the app (web server and workers, scripts/serve.py) on HA_APP_PORT, in
# the background: `make ha-stop` stops it all. The app's DATABASE_URL names both nodes
# with target_session_attrs=read-write, so after a failover its next connection finds
# the new primary without a restart.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
APP_PORT=${HA_APP_PORT:-8010}
APP_PID=.data/ha/app.pid

python3 scripts/ha/cluster.py start
DATABASE_URL="$(python3 scripts/ha/cluster.py url)"
export DATABASE_URL
# Reads that write nothing go to the standby while there is one (docs/operations/read-replicas.md).
export DATABASE_REPLICA_URL="${DATABASE_URL/target_session_attrs=read-write/target_session_attrs=prefer-standby}"

$PY manage.py db_roles
$PY manage.py migrate --database owner --no-input
$PY manage.py db_roles
$PY manage.py check --database default
$PY manage.py seed_demo --if-empty

if [ -f "$APP_PID" ] && kill -0 "$(cat "$APP_PID")" 2>/dev/null; then
  echo "The app is already running (pid $(cat "$APP_PID"))."
else
  # A session of its own: it outlives make; scripts/serve.py stops its children on SIGTERM.
  DEBUG=${DEBUG:-true} WEBHOOK_ALLOW_PRIVATE_URLS=${WEBHOOK_ALLOW_PRIVATE_URLS:-true} \
    CALENDAR_FETCH_ALLOW_LOOPBACK=${CALENDAR_FETCH_ALLOW_LOOPBACK:-true} \
    setsid $PY scripts/serve.py 127.0.0.1 "$APP_PORT" >>.data/ha/app.log 2>&1 </dev/null &
  echo $! >"$APP_PID"
fi
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "http://127.0.0.1:$APP_PORT/healthz" && break
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/readyz" || {
  echo "The app did not become ready; see .data/ha/app.log" >&2
  exit 1
}
echo
echo "Clinic on http://127.0.0.1:$APP_PORT (log: .data/ha/app.log), against"
echo "  DATABASE_URL=$DATABASE_URL"
python3 scripts/ha/cluster.py state
echo "make ha-stop stops the app and the formation."
