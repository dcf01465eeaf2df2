#!/usr/bin/env bash
# HTTP load benchmark on loopback with hey (Debian package `hey`): single-client latency, the
# highest sustained rate with p95 <= 200 ms and no errors, p95 during a reindex, server memory.
# Caches are off (ASKSHOW_CACHE_SIZE=0) so every request pays query encoding, as a new
# question does. Works on copies of corpus/ and index/ in a temp folder.
# Usage: eval/bench_http.sh [port]      (needs `make index` first)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hey >/dev/null || { echo "install hey first: apt-get install -y hey" >&2; exit 1; }
PORT=${1:-8799}
CLIENTS=${CLIENTS:-4}  # hey fires its clients together: the burst size, so keep it modest
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null && wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
cp -r corpus "$WORK/corpus"
cp -r index "$WORK/index"
BODY="$WORK/body.json"
echo '{"question": "when will all of us are dead season 2 be released?"}' > "$BODY"

ASKSHOW_CORPUS_DIR="$WORK/corpus" ASKSHOW_INDEX_DIR="$WORK/index" ASKSHOW_RATE_LIMIT=0 \
ASKSHOW_CACHE_SIZE=0 ASKSHOW_ADMIN_TOKEN=bench \
  .venv/bin/askshow serve --port "$PORT" > "$WORK/server.log" 2>&1 &
SERVER=$!
curl -sf "$URL/health" >/dev/null && { echo "port $PORT is already serving; pick another" >&2; exit 1; }
for _ in $(seq 120); do curl -sf "$URL/ready" >/dev/null && break; sleep 0.5; done

summary() {  # hey output -> "rps p50 p95 errors"
  awk '/Requests\/sec/ {rps=$2} /50% in/ {p50=$3*1000} /95% in/ {p95=$3*1000}
       /\[200\]/ {ok=$2} END {printf "%.1f req/s  p50 %.1f ms  p95 %.1f ms  200s %d", rps, p50, p95, ok}'
}
load() { hey "$@" -m POST -T application/json -D "$BODY" "$URL/api/ask"; }

load -n 50 -c 1 >/dev/null  # warm up
echo "single client (300 requests):   $(load -n 300 -c 1 | summary)"
best=0
for rate in 20 40 60 80 100 120 140 160; do
  out=$(load -z 10s -c "$CLIENTS" -q $(((rate + CLIENTS - 1) / CLIENTS)) | tee "$WORK/hey-$rate.txt")
  line=$(echo "$out" | summary)
  p95=$(echo "$out" | awk '/95% in/ {print $3*1000}')
  errors=$(echo "$out" | awk '/Error distribution/ {e=1} END {print e+0}')
  non200=$(echo "$out" | awk '/^ *\[[0-9]+\]/ && !/\[200\]/ {n+=$2} END {print n+0}')
  echo "offered ~$rate req/s ($CLIENTS clients): $line  non-200 $non200"
  if awk "BEGIN {exit !($p95 <= 200)}" && [ "$errors" = 0 ] && [ "$non200" = 0 ]; then best=$rate; else break; fi
done
echo "highest offered rate with p95 <= 200 ms and no errors: $best req/s (see achieved req/s on its line)"

rate=40  # the issue's target rate, below saturation, so the reindex effect is visible
echo "quiet baseline at $rate req/s: $(load -z 10s -c "$CLIENTS" -q $(((rate + CLIENTS - 1) / CLIENTS)) | summary)"
echo "Changed for the reindex benchmark." >> "$WORK/corpus/all-of-us-are-dead-season-2.txt"
( sleep 1; curl -s -X POST -H 'Authorization: Bearer bench' "$URL/api/admin/reindex" >/dev/null ) &
echo "during a reindex at $rate req/s: $(load -z 10s -c "$CLIENTS" -q $(((rate + CLIENTS - 1) / CLIENTS)) | summary)"
curl -s -H 'Authorization: Bearer bench' "$URL/api/admin/index" | \
  python3 -c 'import json,sys; d=json.load(sys.stdin); print("reindex:", d["last_build"]["state"], d["last_build"].get("summary", {}).get("seconds"), "s")'
echo "server RSS: $(( $(ps -o rss= -p "$SERVER") / 1024 )) MB"
