#!/usr/bin/env bash
# `make ha-stop`: the app `make ha` started (SIGTERM: scripts/serve.py stops the web
# server and workers), then the formation's keepers, each stopping its PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."

APP_PID=.data/ha/app.pid
if [ -f "$APP_PID" ]; then
  pid=$(cat "$APP_PID")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    echo "App stopped."
  fi
  rm -f "$APP_PID"
fi
python3 scripts/ha/cluster.py stop
