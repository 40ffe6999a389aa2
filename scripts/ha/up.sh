#!/usr/bin/env bash
# `make ha`: a pg_auto_failover formation (monitor, primary, synchronous standby; see
# scripts/ha/cluster.py), the roles and migrations as `make db` does them, the demo
# clinics, then two app nodes (each a web server and its workers, scripts/serve.py) on
# HA_NODE1_APP_PORT and HA_NODE2_APP_PORT behind HAProxy on HA_APP_PORT (round robin,
# health-checked; scripts/ha/balancer.py), all in the background: `make ha-stop`
# stops it all. The nodes' DATABASE_URL names both database nodes with
# target_session_attrs=read-write, so after a failover their next connection finds
# the new primary without a restart. Logs and pids in .data/ha/.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=.venv/bin/python
APP_PORT=${HA_APP_PORT:-8010}
NODE_PORTS=("${HA_NODE1_APP_PORT:-8011}" "${HA_NODE2_APP_PORT:-8012}")
HA=.data/ha

bash scripts/ensure_test_tools.sh --ha
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

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.5
  done
  return 1
}

# Both nodes run from this checkout, so they share its SECRET_KEY (the environment's,
# else the one kept under .data/): a session cookie one signs, the other reads.
# Links in texts point at the load balancer, not at a node.
for number in 1 2; do
  port=${NODE_PORTS[$((number - 1))]}
  pid=$HA/app$number.pid
  if running "$pid"; then
    echo "App node $number is already running (pid $(cat "$pid"))."
  else
    # A session of its own: it outlives make; scripts/serve.py stops its children on SIGTERM.
    DEBUG=${DEBUG:-true} WEBHOOK_ALLOW_PRIVATE_URLS=${WEBHOOK_ALLOW_PRIVATE_URLS:-true} \
      CALENDAR_FETCH_ALLOW_LOOPBACK=${CALENDAR_FETCH_ALLOW_LOOPBACK:-true} \
      SMS_LINK_BASE_URL=${SMS_LINK_BASE_URL:-http://127.0.0.1:$APP_PORT} \
      setsid $PY scripts/serve.py 127.0.0.1 "$port" >>"$HA/app$number.log" 2>&1 </dev/null &
    echo $! >"$pid"
  fi
done
for number in 1 2; do
  port=${NODE_PORTS[$((number - 1))]}
  wait_for "http://127.0.0.1:$port/readyz" || {
    echo "App node $number did not become ready; see $HA/app$number.log" >&2
    exit 1
  }
done

if running "$HA/haproxy.pid"; then
  echo "HAProxy is already running (pid $(cat "$HA/haproxy.pid"))."
else
  python3 scripts/ha/balancer.py config "$APP_PORT" "node1=${NODE_PORTS[0]}" "node2=${NODE_PORTS[1]}" >"$HA/haproxy.cfg"
  setsid haproxy -db -f "$HA/haproxy.cfg" >>"$HA/haproxy.log" 2>&1 </dev/null &
  echo $! >"$HA/haproxy.pid"
fi
wait_for "http://127.0.0.1:$APP_PORT/readyz" || {
  echo "HAProxy does not answer on :$APP_PORT; see $HA/haproxy.log" >&2
  exit 1
}
echo
echo "Clinic on http://127.0.0.1:$APP_PORT (HAProxy, log $HA/haproxy.log), round robin to"
echo "  node1 http://127.0.0.1:${NODE_PORTS[0]} (log $HA/app1.log) and node2 http://127.0.0.1:${NODE_PORTS[1]} (log $HA/app2.log),"
echo "  each response's X-Clinic-Node header naming the node that served it; both against"
echo "  DATABASE_URL=$DATABASE_URL"
python3 scripts/ha/cluster.py state
echo "make ha-stop stops HAProxy, the app nodes and the formation."
