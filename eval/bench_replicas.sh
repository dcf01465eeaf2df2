#!/usr/bin/env bash
# Fault drill for deploy/replicas.sh, loopback only, ~30 s of load plus start-up: steady load
# with hey through HAProxy; 1 s into the middle phase an admin reindex through replica a,
# 2 s in replica b is SIGKILLed (replicas.sh starts it again). Reports failed requests and
# p95 before / during / after (the 8 s after the 14 s fault phase), the rebuild time (reindex
# request until index/CURRENT names the new generation) and, apart from it, the seconds from
# that publish until every replica answers from the new generation (bounded at 240 s). Then,
# with both replicas up, one more publish by `askshow index build` under the same load: how
# fast replicas that did not build it follow CURRENT.
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

followed() {  # asked-at old-generation: rebuild time, then publish -> each replica
  # CURRENT's mtime is the publish (it is replaced by a rename of a file written just before);
  # then each replica's /ready is polled every 50 ms until it names the new generation.
  python3 - "$1" "$2" "$ASKSHOW_INDEX_DIR/CURRENT" "$REPLICA_A_PORT" "$REPLICA_B_PORT" <<'EOF'
import json, os, sys, time, urllib.request
asked, old, current, ports = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
deadline = time.time() + 240
def live(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
            return json.load(r)["index_version"]
    except Exception:
        return "down"
while time.time() < deadline:
    with open(current) as f:
        new = f.read().strip()
    if new != old:
        break
    time.sleep(0.05)
else:
    sys.exit(print("no new generation published within 240 s"))
published = os.stat(current).st_mtime
print(f"rebuild: new generation {new} published {published - asked:.1f} s after it was asked for")
at_publish = {port: live(port) for port in ports}  # "down": still restarting after the kill
seen = {}
while time.time() < deadline and len(seen) < len(ports):
    for port in ports:
        if port not in seen and live(port) == new:
            seen[port] = time.time() - published
    time.sleep(0.05)
for port in ports:
    state = {"down": "down", old: "on the old generation"}.get(at_publish[port], "on it already")
    print(f"  replica :{port} ({state} at publish) on it {seen[port]:.2f} s after publish"
          if port in seen else f"  replica :{port} not on it within 240 s")
if len(seen) == len(ports):
    print(f"seconds from publish to every replica on the new generation: {max(seen.values()):.2f}")
EOF
}
echo "Changed for the drill." >> "$ASKSHOW_CORPUS_DIR/all-of-us-are-dead-season-2.txt"
faults() {
  sleep 1
  curl -s -o /dev/null -w "reindex via replica a: HTTP %{http_code}\n" -X POST \
       -H 'Authorization: Bearer drill' "http://127.0.0.1:$REPLICA_A_PORT/api/admin/reindex"
  local asked
  asked=$(date +%s.%N)
  sleep 1
  kill -9 "$(cat "$RUN_DIR/replica-b.pid")" && echo "replica b SIGKILLed (replicas.sh restarts it)"
  followed "$asked" "$OLD"
}

echo "offered ~$RATE req/s, $CLIENTS clients, through HAProxy"
echo "before (8 s):  $(load 8s)"
faults > "$WORK/faults.out" &
FAULTS=$!
echo "during (14 s): $(load 14s)"
echo "after (8 s):   $(load 8s)"
wait $FAULTS
cat "$WORK/faults.out"

# The killed replica was still starting when the first publish came, so that measured its
# restart. Now both are up: publish once more from outside (`askshow index build`, as an
# editor would) under the same load, and time how fast both replicas follow CURRENT.
for _ in $(seq 480); do [ "$(version "$REPLICA_B_PORT")" = "$(version "$REPLICA_A_PORT")" ] && break; sleep 0.5; done
echo "Changed again for the drill." >> "$ASKSHOW_CORPUS_DIR/all-of-us-are-dead-season-2.txt"
OLD=$(version "$REPLICA_A_PORT")
hey -z 240s -c "$CLIENTS" -q $(((RATE + CLIENTS - 1) / CLIENTS)) -t 20 -m POST \
    -T application/json -D "$BODY" "$FRONT/api/ask" > "$WORK/hey-cli.out" &
HEY=$!
asked=$(date +%s.%N)
"${PYTHON:-.venv/bin/python}" -m askshow.cli index build > "$WORK/build.out" 2>&1 &
BUILD=$!
echo "second publish: askshow index build with both replicas up, under the same load"
followed "$asked" "$OLD"
wait $BUILD || cat "$WORK/build.out"
kill -INT $HEY 2>/dev/null; wait $HEY 2>/dev/null || true
