#!/usr/bin/env bash
# Two `askshow serve` replicas over one index folder, HAProxy in front and redis-server for
# the rate limit they share, all on loopback; Ctrl-C (or any exit) stops them all.
# A replica that dies is started again (HAProxy sends its traffic to the other meanwhile).
#   deploy/replicas.sh                     # http://127.0.0.1:8000, replicas on 8001 and 8002
#   FRONT_PORT=9000 ASKSHOW_INDEX_DIR=other-index deploy/replicas.sh
# Needs Debian's haproxy and redis-server, and an index (`make index`). Every ASKSHOW_*
# setting (ASKSHOW_ADMIN_TOKEN, ASKSHOW_RATE_LIMIT, ...) is handed to both replicas.
# RUN_DIR holds the logs and replica-{a,b}.pid (the serve processes, for fault drills).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in haproxy redis-server; do
  command -v "$tool" >/dev/null || { echo "install $tool: apt-get install -y haproxy redis-server" >&2; exit 1; }
done
export FRONT_PORT=${FRONT_PORT:-8000} REPLICA_A_PORT=${REPLICA_A_PORT:-8001} REPLICA_B_PORT=${REPLICA_B_PORT:-8002}
REDIS_PORT=${REDIS_PORT:-6390}
PYTHON=${PYTHON:-.venv/bin/python}
RUN_DIR=${RUN_DIR:-$(mktemp -d -t askshow-replicas.XXXXXX)}
mkdir -p "$RUN_DIR"
export ASKSHOW_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
PIDS=()

stop() {
  touch "$RUN_DIR/stopping"  # the supervisors must not start a replica again
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for name in a b; do
    [ -f "$RUN_DIR/replica-$name.pid" ] && kill "$(cat "$RUN_DIR/replica-$name.pid")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
  > "$RUN_DIR/redis.log" 2>&1 &
PIDS+=($!)

supervise() {  # name port: run one replica, start it again whenever it dies
  local name=$1 port=$2
  while [ ! -e "$RUN_DIR/stopping" ]; do
    "$PYTHON" -m askshow.cli serve --port "$port" >> "$RUN_DIR/replica-$name.log" 2>&1 &
    echo $! > "$RUN_DIR/replica-$name.pid"
    wait $! || true
    sleep 1
  done
}
supervise a "$REPLICA_A_PORT" &
PIDS+=($!)
supervise b "$REPLICA_B_PORT" &
PIDS+=($!)

for port in "$REPLICA_A_PORT" "$REPLICA_B_PORT"; do
  for _ in $(seq 240); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "replica on $port not ready; see $RUN_DIR" >&2; exit 1; }
done
haproxy -f deploy/haproxy.cfg -db > "$RUN_DIR/haproxy.log" 2>&1 &
HAPROXY=$!
PIDS+=("$HAPROXY")
for _ in $(seq 40); do curl -sf "http://127.0.0.1:$FRONT_PORT/ready" >/dev/null && break; sleep 0.25; done
curl -sf "http://127.0.0.1:$FRONT_PORT/ready" >/dev/null || { echo "haproxy not answering; see $RUN_DIR" >&2; exit 1; }
echo "askshow on http://127.0.0.1:$FRONT_PORT (replicas :$REPLICA_A_PORT :$REPLICA_B_PORT, redis :$REDIS_PORT, logs $RUN_DIR)"
wait "$HAPROXY"
