#!/usr/bin/env bash
# Fault drill for deploy/replicas.sh, loopback only, ~30 s of load plus start-up: steady load
# with hey through HAProxy; 1 s into the middle phase an admin reindex through replica a,
# 2 s in replica b is SIGKILLed (replicas.sh starts it again). Reports failed requests and
# p95 before / during / after (the 8 s after the 14 s fault phase), and the seconds from the
# reindex request until every replica answers from the new generation (bounded at 240 s).
# Caches off (ASKSHOW_CACHE_SIZE=0): every request pays a full answer. The rate limit is on
# (Redis in the path) but far above the load. Works on copies of corpus/ and the index.
# Usage: eval/bench_replicas.sh          (INDEX_SRC=folder to copy another built index)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hey >/dev/null || { echo "install hey first: apt-get install -y hey" >&2; exit 1; }
INDEX_SRC=${INDEX_SRC:-index}
[ -f "$INDEX_SRC/CURRENT" ] || { echo "no index in $INDEX_SRC; run make index" >&2; exit 1; }
RATE=${RATE:-20}      # requests/s offered in total
CLIENTS=${CLIENTS:-4}
export FRONT_PORT=${FRONT_PORT:-8810} REPLICA_A_PORT=${REPLICA_A_PORT:-8811} \
       REPLICA_B_PORT=${REPLICA_B_PORT:-8812} REDIS_PORT=${REDIS_PORT:-6391}
WORK=$(mktemp -d -t askshow-drill.XXXXXX)
export RUN_DIR="$WORK/run" ASKSHOW_CORPUS_DIR="$WORK/corpus" ASKSHOW_INDEX_DIR="$WORK/index" \
       ASKSHOW_ADMIN_TOKEN=drill ASKSHOW_RATE_LIMIT=100000 ASKSHOW_CACHE_SIZE=0
cp -r corpus "$ASKSHOW_CORPUS_DIR"
cp -r "$INDEX_SRC" "$ASKSHOW_INDEX_DIR"
rm -rf "$ASKSHOW_INDEX_DIR/ratelimit"
trap 'kill $REPLICAS 2>/dev/null && wait $REPLICAS 2>/dev/null; rm -rf "$WORK"' EXIT
deploy/replicas.sh > "$WORK/replicas.out" 2>&1 &
REPLICAS=$!
FRONT="http://127.0.0.1:$FRONT_PORT"
for _ in $(seq 480); do grep -q "^askshow on" "$WORK/replicas.out" && break
  kill -0 $REPLICAS 2>/dev/null || { cat "$WORK/replicas.out" >&2; exit 1; }; sleep 0.5; done
grep -q "^askshow on" "$WORK/replicas.out" || { echo "replicas did not start" >&2; exit 1; }
version() { curl -s --max-time 2 "http://127.0.0.1:$1/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_version"])' 2>/dev/null || echo down; }
OLD=$(version "$REPLICA_A_PORT")

BODY="$WORK/body.json"
echo '{"question": "when will all of us are dead season 2 be released?"}' > "$BODY"
load() {  # seconds -> "failed N (of M)  p95 X ms"
  hey -z "$1" -c "$CLIENTS" -q $(((RATE + CLIENTS - 1) / CLIENTS)) -t 20 -m POST \
      -T application/json -D "$BODY" "$FRONT/api/ask" | awk '
    /^ *\[[0-9]+\]/ && /\[200\]/ {ok+=$2}
    /^ *\[[0-9]+\]/ && !/\[200\]/ {bad+=$2}
    /95% in/ {p95=$3*1000}
    END {printf "failed %d (of %d)  p95 %.1f ms", bad, ok+bad, p95}'
}
hey -n 20 -c 2 -m POST -T application/json -D "$BODY" "$FRONT/api/ask" >/dev/null  # warm up

echo "Changed for the drill." >> "$ASKSHOW_CORPUS_DIR/all-of-us-are-dead-season-2.txt"
faults() {
  sleep 1
  curl -s -o /dev/null -w "reindex via replica a: HTTP %{http_code}\n" -X POST \
       -H 'Authorization: Bearer drill' "http://127.0.0.1:$REPLICA_A_PORT/api/admin/reindex"
  local asked=$(date +%s.%N)
  sleep 1
  kill -9 "$(cat "$RUN_DIR/replica-b.pid")" && echo "replica b SIGKILLed (replicas.sh restarts it)"
  for _ in $(seq 1200); do
    a=$(version "$REPLICA_A_PORT"); b=$(version "$REPLICA_B_PORT")
    if [ "$a" != "$OLD" ] && [ "$a" != down ] && [ "$a" = "$b" ]; then
      echo "every replica answers from $a $(python3 -c "print(f'{$(date +%s.%N) - $asked:.1f}')") s after the reindex request"
      return
    fi
    sleep 0.2
  done
  echo "new generation not live on every replica within 240 s (a=$a b=$b)"
}

echo "offered ~$RATE req/s, $CLIENTS clients, through HAProxy"
echo "before (8 s):  $(load 8s)"
faults > "$WORK/faults.out" &
FAULTS=$!
echo "during (14 s): $(load 14s)"
echo "after (8 s):   $(load 8s)"
wait $FAULTS
cat "$WORK/faults.out"
