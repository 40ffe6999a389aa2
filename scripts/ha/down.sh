#!/usr/bin/env bash
# `make ha-stop`: what `make ha` started: HAProxy, then the two app nodes (SIGTERM:
# scripts/serve.py stops the web server and workers), then the formation's keepers,
# each stopping its PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."

stop_pid_file() {
  local file=$1 what=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    echo "$what stopped."
  fi
  rm -f "$file"
}

stop_pid_file .data/ha/haproxy.pid HAProxy
stop_pid_file .data/ha/app1.pid "App node 1"
stop_pid_file .data/ha/app2.pid "App node 2"
stop_pid_file .data/ha/app.pid App  # a single node, as `make ha` ran the app before
python3 scripts/ha/cluster.py stop
